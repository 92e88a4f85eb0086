/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit MAC for short inputs, here the
 * UDP connection ids (BEP 15 asks for ids a client cannot forge; a MAC of its address and the
 * time window lets the tracker check them without keeping any state). Pure: 64-bit words are
 * held as two unsigned 32-bit halves, so no BigInt on the hot path.
 */

export const SIPHASH_KEY_BYTES = 16;

/** The four 64-bit state words as [hi, lo] pairs: v0 = s[0..1], v1 = s[2..3], ... */
type State = Uint32Array;

const add = (s: State, a: number, b: number): void => {
  const lo = (s[a + 1] as number) + (s[b + 1] as number);
  s[a] = (s[a] as number) + (s[b] as number) + (lo > 0xffffffff ? 1 : 0);
  s[a + 1] = lo;
};

const rotl = (s: State, a: number, r: number): void => {
  const hi = s[a] as number;
  const lo = s[a + 1] as number;
  if (r === 32) {
    s[a] = lo;
    s[a + 1] = hi;
    return;
  }
  s[a] = (hi << r) | (lo >>> (32 - r));
  s[a + 1] = (lo << r) | (hi >>> (32 - r));
};

const xor = (s: State, a: number, b: number): void => {
  s[a] = (s[a] as number) ^ (s[b] as number);
  s[a + 1] = (s[a + 1] as number) ^ (s[b + 1] as number);
};

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

const sipRound = (s: State): void => {
  add(s, V0, V1);
  rotl(s, V1, 13);
  xor(s, V1, V0);
  rotl(s, V0, 32);
  add(s, V2, V3);
  rotl(s, V3, 16);
  xor(s, V3, V2);
  add(s, V0, V3);
  rotl(s, V3, 21);
  xor(s, V3, V0);
  add(s, V2, V1);
  rotl(s, V1, 17);
  xor(s, V1, V2);
  rotl(s, V2, 32);
};

const le32 = (b: Uint8Array, at: number): number =>
  ((b[at] as number) |
    ((b[at + 1] as number) << 8) |
    ((b[at + 2] as number) << 16) |
    ((b[at + 3] as number) << 24)) >>>
  0;

/** Mixes one message word (hi, lo) into the state with two compression rounds. */
const compress = (s: State, hi: number, lo: number): void => {
  s[V3] = (s[V3] as number) ^ hi;
  s[V3 + 1] = (s[V3 + 1] as number) ^ lo;
  sipRound(s);
  sipRound(s);
  s[V0] = (s[V0] as number) ^ hi;
  s[V0 + 1] = (s[V0 + 1] as number) ^ lo;
};

/** A SipHash-2-4 keyed with 16 bytes, reusable for any number of messages. */
export class SipHash24 {
  private readonly k: Uint32Array;
  private readonly s = new Uint32Array(8);
  private readonly tail = new Uint8Array(8);

  constructor(key: Uint8Array) {
    if (key.length !== SIPHASH_KEY_BYTES) throw new RangeError('SipHash needs a 16-byte key');
    // k0 and k1 are little-endian 64-bit words: [k0hi, k0lo, k1hi, k1lo].
    this.k = Uint32Array.of(le32(key, 4), le32(key, 0), le32(key, 12), le32(key, 8));
  }

  /**
   * The MAC of `message` as its high and low 32 bits, written to `out` (out[0] high, out[1]
   * low), so that no array is allocated per call.
   */
  hash(message: Uint8Array, out: Uint32Array): void {
    const s = this.s;
    const k = this.k;
    s[0] = (k[0] as number) ^ 0x736f6d65;
    s[1] = (k[1] as number) ^ 0x70736575;
    s[2] = (k[2] as number) ^ 0x646f7261;
    s[3] = (k[3] as number) ^ 0x6e646f6d;
    s[4] = (k[0] as number) ^ 0x6c796765;
    s[5] = (k[1] as number) ^ 0x6e657261;
    s[6] = (k[2] as number) ^ 0x74656462;
    s[7] = (k[3] as number) ^ 0x79746573;
    const whole = message.length - (message.length % 8);
    for (let at = 0; at < whole; at += 8) compress(s, le32(message, at + 4), le32(message, at));
    const tail = this.tail;
    tail.fill(0);
    tail.set(message.subarray(whole));
    tail[7] = message.length & 0xff;
    compress(s, le32(tail, 4), le32(tail, 0));
    s[V2 + 1] = (s[V2 + 1] as number) ^ 0xff;
    for (let i = 0; i < 4; i++) sipRound(s);
    out[0] = (s[0] as number) ^ (s[2] as number) ^ (s[4] as number) ^ (s[6] as number);
    out[1] = (s[1] as number) ^ (s[3] as number) ^ (s[5] as number) ^ (s[7] as number);
  }
}
