/**
 * What the two MSE roles share: the message sizes and limits of the specification, the outcome
 * of a handshake, and the small helpers both state machines use.
 *
 *   1 A->B: Ya, PadA
 *   2 B->A: Yb, PadB
 *   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 *   5 A->B: ENCRYPT2(payload)
 *
 * ENCRYPT is RC4 whatever the method; ENCRYPT2 is RC4 (the same streams, continued) when RC4 is
 * selected and nothing when plaintext is.
 */
import type { ErrorValue } from '../../../lib/errors.js';
import type { Rng } from '../../../lib/ports.js';
import type { MseCipher } from './keys.js';
import type { MseMethod } from './method.js';

/** PadA, PadB, PadC and PadD: 0 to 512 bytes each. */
export const MAX_PAD = 512;
/** VC, the verification constant: 8 zero bytes. */
export const VC_LENGTH = 8;
export const HASH_LENGTH = 20;
/** The responder must find HASH('req1', S) within PadA's 512 bytes + 20 after Ya (628 in all). */
export const REQ1_WINDOW = MAX_PAD + HASH_LENGTH;
/** The initiator must find ENCRYPT(VC) within PadB's 512 bytes + 8 after Yb. */
export const VC_WINDOW = MAX_PAD + VC_LENGTH;
/** len(IA) is a 16-bit field. */
export const MAX_INITIAL_PAYLOAD = 0xffff;

/** A finished handshake. `leftover`: bytes of the payload stream already received, decrypted. */
export type MseOutcome =
  | {
      readonly method: 'plaintext';
      /** The stream key SKEY: the 20-byte info-hash the connection is for. */
      readonly infoHash: Uint8Array;
      readonly leftover: Uint8Array;
    }
  | {
      readonly method: 'rc4';
      readonly infoHash: Uint8Array;
      /** The RC4 streams to use for everything after `leftover`, both ways. */
      readonly cipher: MseCipher;
      readonly leftover: Uint8Array;
    };

/** What one `push` produced: bytes to send now (maybe none), and the outcome once done. */
export interface MseStep {
  readonly send: Uint8Array;
  readonly done: MseOutcome | undefined;
}

/** What a state-machine step did with the bytes it has. */
export type Progress = 'wait' | 'next' | { readonly outcome: MseOutcome };

export const EMPTY = new Uint8Array(0);

export const concatBytes = (parts: readonly Uint8Array[]): Uint8Array => {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Random bytes of a random length in [0, max]. */
export const randomPad = (rng: Rng, max: number): Uint8Array => {
  const pad = new Uint8Array(Math.min(max, Math.floor(rng.next() * (max + 1))));
  rng.fill(pad);
  return pad;
};

/** The first offset of `needle` in `haystack` at or after `from`, or -1. */
export const indexOf = (haystack: Uint8Array, needle: Uint8Array, from: number): number => {
  const first = needle[0];
  outer: for (let i = Math.max(0, from); i + needle.length <= haystack.length; i++) {
    if (haystack[i] !== first) continue;
    for (let k = 1; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
};

export const readU16 = (b: Uint8Array, at: number): number =>
  ((b[at] as number) << 8) | (b[at + 1] as number);

export const readU32 = (b: Uint8Array, at: number): number =>
  (((b[at] as number) << 24) |
    ((b[at + 1] as number) << 16) |
    ((b[at + 2] as number) << 8) |
    (b[at + 3] as number)) >>>
  0;

export const writeU16 = (b: Uint8Array, at: number, value: number): void => {
  b[at] = (value >>> 8) & 0xff;
  b[at + 1] = value & 0xff;
};

export const writeU32 = (b: Uint8Array, at: number, value: number): void => {
  b[at] = (value >>> 24) & 0xff;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
};

/** The outcome, with the payload bytes already received decrypted when RC4 was chosen. */
export const outcomeOf = (
  method: MseMethod,
  infoHash: Uint8Array,
  cipher: MseCipher,
  leftover: Uint8Array,
): MseOutcome =>
  method === 'rc4' ? { method, infoHash, cipher, leftover } : { method, infoHash, leftover };

export const badField = (message: string): ErrorValue => ({ code: 'MSE_BAD_FIELD', message });
