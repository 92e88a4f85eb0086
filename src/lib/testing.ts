/** Helpers shared by tests only. */
export const pseudoRandomBytes = (length: number, seed: number): Uint8Array => {
  // xorshift32: deterministic content, so that no two pieces of a test file are alike.
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};
