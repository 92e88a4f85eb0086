/**
 * The side that accepts: MSE steps 2 and 4 (see protocol.ts and STATE.md). Sans-I/O: `push`
 * takes what arrives (from the first byte of the connection) and returns what to send and, at
 * the end, the outcome, whose `leftover` starts with the decrypted initial payload IA (usually
 * the peer's BitTorrent handshake). Hostile or broken input ends in an error value, never a
 * throw; after an error every push returns the same error.
 */
import type { ErrorValue } from '../../../lib/errors.js';
import type { HashPort } from '../../../lib/hash-port.js';
import type { Rng } from '../../../lib/ports.js';
import { err, ok, type Result } from '../../../lib/result.js';
import { ByteQueue } from './byte-queue.js';
import { DH_KEY_LENGTH, type DhKeyPair, generateKeyPair, sharedSecret } from './dh.js';
import { deriveCipher, type MseCipher, req1Hash, req3Hash, xor20 } from './keys.js';
import { ALL_METHODS, METHOD_BIT, type MseMethod, selectMethod } from './method.js';
import {
  badField,
  concatBytes,
  HASH_LENGTH,
  indexOf,
  MAX_PAD,
  type MseStep,
  outcomeOf,
  type Progress,
  REQ1_WINDOW,
  randomPad,
  readU16,
  readU32,
  VC_LENGTH,
  writeU32,
} from './protocol.js';

/** From HASH('req2', SKEY) to the 20-byte info-hash of a torrent we have, or undefined. */
export type SkeyLookup = (obfuscatedHash: Uint8Array) => Uint8Array | undefined;

export interface MseResponderOptions {
  readonly lookup: SkeyLookup;
  readonly rng: Rng;
  readonly hash: HashPort;
  /** Methods we accept (default both). Must not be empty. */
  readonly allowed?: readonly MseMethod[];
  /** Chosen when the initiator offers it and it is allowed (default 'rc4'). */
  readonly prefer?: MseMethod;
  /** The longest PadB (random length 0..padMax, default 512). */
  readonly padMax?: number;
}

interface Keyed {
  readonly secret: Uint8Array;
  readonly req1: Uint8Array;
}
interface Negotiated {
  readonly cipher: MseCipher;
  readonly infoHash: Uint8Array;
  readonly method: MseMethod;
}

type State =
  | { readonly kind: 'await-key' }
  | { readonly kind: 'sync-req1'; readonly keyed: Keyed; readonly scanned: number }
  | { readonly kind: 'skey'; readonly keyed: Keyed }
  | { readonly kind: 'pad-c'; readonly deal: Negotiated; readonly padLength: number }
  | { readonly kind: 'ia'; readonly deal: Negotiated; readonly iaLength: number }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly error: ErrorValue };

/** HASH('req2', SKEY) xor HASH('req3', S), then VC, crypto_provide and len(PadC). */
const SKEY_FIELDS = HASH_LENGTH + VC_LENGTH + 4 + 2;

export class MseResponder {
  private readonly keys: DhKeyPair;
  private readonly queue = new ByteQueue(1024);
  private readonly allowed: readonly MseMethod[];
  private readonly prefer: MseMethod;
  private state: State = { kind: 'await-key' };

  constructor(private readonly options: MseResponderOptions) {
    this.keys = generateKeyPair(options.rng);
    this.allowed = options.allowed ?? ALL_METHODS;
    this.prefer = options.prefer ?? 'rc4';
  }

  /** Bytes from the initiator, from the start of the connection. */
  push(chunk: Uint8Array): Result<MseStep, ErrorValue> {
    const state = this.state;
    if (state.kind === 'failed') return err(state.error);
    if (state.kind === 'done') return this.fail(badField('the handshake is already over'));
    if (this.allowed.length === 0) return this.fail(badField('no method allowed'));
    this.queue.push(chunk);
    const send: Uint8Array[] = [];
    for (;;) {
      const r = this.step(send);
      if (!r.ok) return this.fail(r.error);
      if (r.value === 'wait') return ok({ send: concatBytes(send), done: undefined });
      if (r.value !== 'next') {
        this.state = { kind: 'done' };
        return ok({ send: concatBytes(send), done: r.value.outcome });
      }
    }
  }

  private step(send: Uint8Array[]): Result<Progress, ErrorValue> {
    const state = this.state;
    switch (state.kind) {
      case 'await-key':
        return this.readKey(send);
      case 'sync-req1':
        return this.syncReq1(state.keyed, state.scanned);
      case 'skey':
        return this.readSkey(state.keyed);
      case 'pad-c':
        return this.readPadC(state.deal, state.padLength);
      case 'ia':
        return this.readIa(state.deal, state.iaLength, send);
      case 'done':
      case 'failed':
        return err(badField(`no step in state ${state.kind}`));
    }
  }

  /** Step 1 received (Ya): answer with step 2, Yb and PadB. */
  private readKey(send: Uint8Array[]): Result<Progress, ErrorValue> {
    if (this.queue.length < DH_KEY_LENGTH) return ok('wait');
    const secret = sharedSecret(this.keys.privateKey, this.queue.view(DH_KEY_LENGTH));
    if (!secret.ok) return secret;
    this.queue.consume(DH_KEY_LENGTH);
    const padMax = Math.max(0, Math.min(MAX_PAD, Math.floor(this.options.padMax ?? MAX_PAD)));
    send.push(concatBytes([this.keys.publicKey, randomPad(this.options.rng, padMax)]));
    const keyed = { secret: secret.value, req1: req1Hash(this.options.hash, secret.value) };
    this.state = { kind: 'sync-req1', keyed, scanned: 0 };
    return ok('next');
  }

  /** PadA is of unknown length: find HASH('req1', S) within its 512 bytes + 20. */
  private syncReq1(keyed: Keyed, scanned: number): Result<Progress, ErrorValue> {
    const window = this.queue.view(REQ1_WINDOW);
    const at = indexOf(window, keyed.req1, scanned);
    if (at < 0) {
      if (this.queue.length >= REQ1_WINDOW) {
        return err({
          code: 'MSE_NO_SYNC',
          message: `no req1 hash within ${REQ1_WINDOW} bytes after Ya`,
        });
      }
      // Positions that cannot start a match need no second look.
      const next = Math.max(0, window.length - HASH_LENGTH + 1);
      this.state = { kind: 'sync-req1', keyed, scanned: next };
      return ok('wait');
    }
    this.queue.consume(at + HASH_LENGTH);
    this.state = { kind: 'skey', keyed };
    return ok('next');
  }

  /** The obfuscated SKEY names the torrent; then VC, crypto_provide and len(PadC). */
  private readSkey(keyed: Keyed): Result<Progress, ErrorValue> {
    if (this.queue.length < SKEY_FIELDS) return ok('wait');
    const fields = this.queue.view(SKEY_FIELDS);
    const { hash } = this.options;
    const req2 = xor20(fields.subarray(0, HASH_LENGTH), req3Hash(hash, keyed.secret));
    const infoHash = this.options.lookup(req2);
    if (infoHash === undefined) {
      return err({
        code: 'MSE_UNKNOWN_TORRENT',
        message: 'the obfuscated info-hash matches no torrent here',
      });
    }
    const cipher = deriveCipher(hash, 'responder', keyed.secret, infoHash);
    const plain = cipher.decrypt.update(fields.subarray(HASH_LENGTH));
    this.queue.consume(SKEY_FIELDS);
    for (let i = 0; i < VC_LENGTH; i++) {
      if (plain[i] !== 0) return err(badField('a wrong verification constant'));
    }
    const method = selectMethod(readU32(plain, VC_LENGTH), this.allowed, this.prefer);
    if (!method.ok) return method;
    const padLength = readU16(plain, VC_LENGTH + 4);
    if (padLength > MAX_PAD)
      return err(badField(`PadC of ${padLength} bytes (at most ${MAX_PAD})`));
    const deal = { cipher, infoHash: infoHash.slice(), method: method.value };
    this.state = { kind: 'pad-c', deal, padLength };
    return ok('next');
  }

  /** PadC (skipped) and len(IA). */
  private readPadC(deal: Negotiated, padLength: number): Result<Progress, ErrorValue> {
    if (this.queue.length < padLength + 2) return ok('wait');
    const plain = deal.cipher.decrypt.update(this.queue.view(padLength + 2));
    this.queue.consume(padLength + 2);
    this.state = { kind: 'ia', deal, iaLength: readU16(plain, padLength) };
    return ok('next');
  }

  /** IA, always RC4; then step 4 out, and the rest is the payload stream. */
  private readIa(
    deal: Negotiated,
    iaLength: number,
    send: Uint8Array[],
  ): Result<Progress, ErrorValue> {
    if (this.queue.length < iaLength) return ok('wait');
    const rest = this.queue.drain();
    const { cipher, method } = deal;
    cipher.decrypt.update(rest.subarray(0, iaLength), rest.subarray(0, iaLength));
    if (method === 'rc4') cipher.decrypt.update(rest.subarray(iaLength), rest.subarray(iaLength));
    // VC, crypto_select, len(PadD) = 0, under keyB's stream.
    const reply = new Uint8Array(VC_LENGTH + 4 + 2);
    writeU32(reply, VC_LENGTH, METHOD_BIT[method]);
    send.push(cipher.encrypt.update(reply, reply));
    return ok({ outcome: outcomeOf(method, deal.infoHash, cipher, rest) });
  }

  private fail(error: ErrorValue): { ok: false; error: ErrorValue } {
    this.state = { kind: 'failed', error };
    return err(error);
  }
}
