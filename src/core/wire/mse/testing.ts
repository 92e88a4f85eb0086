/**
 * Helpers for the MSE tests only: a driver that lets an initiator and a responder talk in
 * memory, delivering bytes in chunks of a chosen size, and a scripted initiator that writes
 * whatever fields a hostile peer would.
 */
import type { ErrorValue } from '../../../lib/errors.js';
import type { HashPort } from '../../../lib/hash-port.js';
import type { Rng } from '../../../lib/ports.js';
import type { Result } from '../../../lib/result.js';
import { generateKeyPair, sharedSecret } from './dh.js';
import { deriveCipher, type MseCipher, req1Hash, req2Hash, req3Hash, xor20 } from './keys.js';
import {
  concatBytes,
  EMPTY,
  type MseOutcome,
  type MseStep,
  writeU16,
  writeU32,
} from './protocol.js';

export interface Pushable {
  push(chunk: Uint8Array): Result<MseStep, ErrorValue>;
}

/** `bytes` in pieces of `size` bytes (the last one shorter); one piece when size is 0. */
export const chunks = (bytes: Uint8Array, size: number): Uint8Array[] => {
  if (size <= 0 || bytes.length === 0) return [bytes];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
};

export interface Delivery {
  readonly send: Uint8Array;
  readonly done: MseOutcome | undefined;
  readonly error: ErrorValue | undefined;
  /** The pieces after the one that finished the handshake, not pushed: payload, still raw. */
  readonly after: Uint8Array;
}

/**
 * Pushes `bytes` into `to` in pieces of `size`, gathering what it sends; stops at an error, and
 * at the end of the handshake (what follows is payload for the caller, as on a socket).
 */
export const deliver = (to: Pushable, bytes: Uint8Array, size: number): Delivery => {
  const sent: Uint8Array[] = [];
  const pieces = chunks(bytes, size);
  for (const [n, piece] of pieces.entries()) {
    const r = to.push(piece);
    if (!r.ok) return { send: concatBytes(sent), done: undefined, error: r.error, after: EMPTY };
    sent.push(r.value.send);
    if (r.value.done !== undefined) {
      const after = concatBytes([EMPTY, ...pieces.slice(n + 1)]);
      return { send: concatBytes(sent), done: r.value.done, error: undefined, after };
    }
  }
  return { send: concatBytes(sent), done: undefined, error: undefined, after: EMPTY };
};

/** What a hostile (or merely unusual) initiator writes in step 3. */
export interface ScriptedStep3 {
  readonly infoHash: Uint8Array;
  readonly provide?: number;
  readonly vc?: Uint8Array;
  readonly padC?: number;
  /** The value of len(PadC) on the wire, when it should lie about padC. */
  readonly padCField?: number;
  readonly ia?: Uint8Array;
  /** Replaces HASH('req1', S). */
  readonly req1?: Uint8Array;
}

/** A hand-driven initiator: step 1 now, step 3 from the responder's Yb. */
export const scriptedInitiator = (rng: Rng, hash: HashPort) => {
  const keys = generateKeyPair(rng);
  return {
    step1: (padA = 0): Uint8Array => concatBytes([keys.publicKey, new Uint8Array(padA).fill(7)]),
    step3: (yb: Uint8Array, s: ScriptedStep3): { bytes: Uint8Array; cipher: MseCipher } => {
      const secret = sharedSecret(keys.privateKey, yb);
      if (!secret.ok) throw new Error(secret.error.message);
      const cipher = deriveCipher(hash, 'initiator', secret.value, s.infoHash);
      const padC = s.padC ?? 0;
      const ia = s.ia ?? new Uint8Array(0);
      const body = new Uint8Array(8 + 4 + 2 + padC + 2 + ia.length);
      body.set(s.vc ?? new Uint8Array(8), 0);
      writeU32(body, 8, s.provide ?? 0x03);
      writeU16(body, 12, s.padCField ?? padC);
      writeU16(body, 14 + padC, ia.length);
      body.set(ia, 16 + padC);
      cipher.encrypt.update(body, body);
      const bytes = concatBytes([
        s.req1 ?? req1Hash(hash, secret.value),
        xor20(req2Hash(hash, s.infoHash), req3Hash(hash, secret.value)),
        body,
      ]);
      return { bytes, cipher };
    },
  };
};

/** What a hostile (or merely unusual) responder writes in step 4. */
export interface ScriptedStep4 {
  readonly infoHash: Uint8Array;
  readonly select?: number;
  readonly vc?: Uint8Array;
  readonly padD?: number;
  readonly padDField?: number;
}

/** A hand-driven responder: step 2 (Yb and `padB` bytes) from Ya, then step 4. */
export const scriptedResponder = (rng: Rng, hash: HashPort) => {
  const keys = generateKeyPair(rng);
  let secret: Uint8Array | undefined;
  return {
    step2: (ya: Uint8Array, padB = 0): Uint8Array => {
      const s = sharedSecret(keys.privateKey, ya.subarray(0, 96));
      if (!s.ok) throw new Error(s.error.message);
      secret = s.value;
      return concatBytes([keys.publicKey, new Uint8Array(padB).fill(9)]);
    },
    step4: (s: ScriptedStep4): { bytes: Uint8Array; cipher: MseCipher } => {
      if (secret === undefined) throw new Error('step4 before step2');
      const cipher = deriveCipher(hash, 'responder', secret, s.infoHash);
      const padD = s.padD ?? 0;
      const bytes = new Uint8Array(8 + 4 + 2 + padD);
      bytes.set(s.vc ?? new Uint8Array(8), 0);
      writeU32(bytes, 8, s.select ?? 0x02);
      writeU16(bytes, 12, s.padDField ?? padD);
      cipher.encrypt.update(bytes, bytes);
      return { bytes, cipher };
    },
  };
};
