/**
 * RC4 (ARC4), the stream cipher of Message Stream Encryption. Weak as cryptography, and used
 * here only because MSE/PE requires it: the point of MSE is obfuscation, not secrecy. Keys are
 * 20-byte SHA-1 digests; MSE discards the first 1024 keystream bytes (`discard`), which the
 * handshake does, not this class.
 */

/** RC4 keys are 1 to 256 bytes long. */
export const RC4_MAX_KEY_LENGTH = 256;

export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  /** `key` must hold 1 to 256 bytes (a programming error otherwise: keys are ours, not input). */
  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > RC4_MAX_KEY_LENGTH) {
      throw new RangeError(`RC4 key of ${key.length} bytes`);
    }
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const sk = s[k] as number;
      j = (j + sk + (key[k % key.length] as number)) & 255;
      s[k] = s[j] as number;
      s[j] = sk;
    }
  }

  /**
   * XORs `input` with the next `input.length` keystream bytes into `output` (a new array by
   * default; pass `input` itself to work in place) and returns `output`.
   */
  update(input: Uint8Array, output: Uint8Array = new Uint8Array(input.length)): Uint8Array {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    const n = input.length;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 255;
      const si = s[i] as number;
      j = (j + si) & 255;
      const sj = s[j] as number;
      s[i] = sj;
      s[j] = si;
      output[k] = (input[k] as number) ^ (s[(si + sj) & 255] as number);
    }
    this.i = i;
    this.j = j;
    return output;
  }

  /** Drops the next `n` keystream bytes. */
  discard(n: number): void {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 255;
      const si = s[i] as number;
      j = (j + si) & 255;
      s[i] = s[j] as number;
      s[j] = si;
    }
    this.i = i;
    this.j = j;
  }
}
