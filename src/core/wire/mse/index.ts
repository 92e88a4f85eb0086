export { ByteQueue } from './byte-queue.js';
export {
  bigIntToBytes,
  bytesToBigInt,
  DH_KEY_LENGTH,
  DH_PRIVATE_LENGTH,
  type DhKeyPair,
  generateKeyPair,
  MSE_GENERATOR,
  MSE_PRIME,
  modPow,
  sharedSecret,
} from './dh.js';
export { MseInitiator, type MseInitiatorOptions } from './initiator.js';
export {
  deriveCipher,
  type MseCipher,
  RC4_DISCARD,
  req1Hash,
  req2Hash,
  req3Hash,
  SKEY_LENGTH,
  skeyLookup,
} from './keys.js';
export {
  ALL_METHODS,
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  METHOD_BIT,
  type MseMethod,
  methodBits,
  selectedMethod,
  selectMethod,
} from './method.js';
export {
  MAX_INITIAL_PAYLOAD,
  MAX_PAD,
  type MseOutcome,
  type MseStep,
  REQ1_WINDOW,
  VC_LENGTH,
  VC_WINDOW,
} from './protocol.js';
export { Rc4 } from './rc4.js';
export { MseResponder, type MseResponderOptions, type SkeyLookup } from './responder.js';
export { type IncomingKind, PLAINTEXT_PREFIX_LENGTH, sniffIncoming } from './sniff.js';
