export { decode, decodePrefix, rawBytes } from './decode.js';
export { encode } from './encode.js';
export * from './types.js';
