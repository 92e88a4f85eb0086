/**
 * The side that dials: MSE steps 1, 3 and 5 (see protocol.ts and STATE.md). Sans-I/O: `start`
 * gives the first bytes to send, `push` takes what arrives and returns what to send next and,
 * at the end, the outcome. Hostile or broken input ends in an error value, never a throw; after
 * an error every push returns the same error.
 */
import type { ErrorValue } from '../../../lib/errors.js';
import type { HashPort } from '../../../lib/hash-port.js';
import type { Rng } from '../../../lib/ports.js';
import { err, ok, type Result } from '../../../lib/result.js';
import { ByteQueue } from './byte-queue.js';
import { DH_KEY_LENGTH, type DhKeyPair, generateKeyPair, sharedSecret } from './dh.js';
import {
  deriveCipher,
  type MseCipher,
  req1Hash,
  req2Hash,
  req3Hash,
  SKEY_LENGTH,
  xor20,
} from './keys.js';
import { ALL_METHODS, type MseMethod, methodBits, selectedMethod } from './method.js';
import {
  badField,
  concatBytes,
  EMPTY,
  indexOf,
  MAX_INITIAL_PAYLOAD,
  MAX_PAD,
  type MseStep,
  outcomeOf,
  type Progress,
  randomPad,
  readU16,
  readU32,
  VC_LENGTH,
  VC_WINDOW,
  writeU16,
  writeU32,
} from './protocol.js';

export interface MseInitiatorOptions {
  /** SKEY: the info-hash of the torrent we dial for (a v2 hash is cut to 20 bytes). */
  readonly infoHash: Uint8Array;
  readonly rng: Rng;
  readonly hash: HashPort;
  /**
   * crypto_provide: the methods we accept (default both). The responder chooses among them;
   * offer only 'rc4' to insist on it. Must not be empty.
   */
  readonly provide?: readonly MseMethod[];
  /**
   * IA: the start of the payload stream sent with step 3 (usually our BitTorrent handshake),
   * always RC4-encrypted. At most 65535 bytes.
   */
  readonly initialPayload?: Uint8Array;
  /** The longest PadA (random length 0..padMax, default 512). */
  readonly padMax?: number;
}

type State =
  | { readonly kind: 'new' }
  | { readonly kind: 'await-key' }
  | { readonly kind: 'sync-vc'; readonly cipher: MseCipher; readonly vc: Uint8Array }
  | { readonly kind: 'select'; readonly cipher: MseCipher }
  | {
      readonly kind: 'pad-d';
      readonly cipher: MseCipher;
      readonly method: MseMethod;
      readonly padLength: number;
    }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly error: ErrorValue };

export class MseInitiator {
  private readonly keys: DhKeyPair;
  private readonly queue = new ByteQueue(1024);
  private readonly provide: readonly MseMethod[];
  private readonly initialPayload: Uint8Array;
  private readonly skey: Uint8Array;
  private state: State = { kind: 'new' };

  constructor(private readonly options: MseInitiatorOptions) {
    this.keys = generateKeyPair(options.rng);
    this.skey = options.infoHash.slice(0, SKEY_LENGTH);
    this.provide = options.provide ?? ALL_METHODS;
    this.initialPayload = options.initialPayload ?? EMPTY;
  }

  /** Step 1: Ya and PadA, the first bytes on the connection. Once; later calls give nothing. */
  start(): Result<Uint8Array, ErrorValue> {
    if (this.state.kind !== 'new') return ok(EMPTY);
    const problem = this.checkOptions();
    if (problem !== undefined) return this.fail(problem);
    this.state = { kind: 'await-key' };
    return ok(concatBytes([this.keys.publicKey, randomPad(this.options.rng, this.padMax())]));
  }

  /** Bytes from the responder. */
  push(chunk: Uint8Array): Result<MseStep, ErrorValue> {
    const state = this.state;
    if (state.kind === 'failed') return err(state.error);
    if (state.kind === 'new') return this.fail(badField('push before start'));
    if (state.kind === 'done') return this.fail(badField('the handshake is already over'));
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
      case 'sync-vc':
        return this.syncVc(state.cipher, state.vc);
      case 'select':
        return this.readSelect(state.cipher);
      case 'pad-d':
        return this.readPadD(state.cipher, state.method, state.padLength);
      case 'new':
      case 'done':
      case 'failed':
        return err(badField(`no step in state ${state.kind}`));
    }
  }

  /** Step 2 received (Yb): send step 3, then look for the responder's encrypted VC. */
  private readKey(send: Uint8Array[]): Result<Progress, ErrorValue> {
    if (this.queue.length < DH_KEY_LENGTH) return ok('wait');
    const secret = sharedSecret(this.keys.privateKey, this.queue.view(DH_KEY_LENGTH));
    if (!secret.ok) return secret;
    this.queue.consume(DH_KEY_LENGTH);
    const s = secret.value;
    const { hash } = this.options;
    const cipher = deriveCipher(hash, 'initiator', s, this.skey);
    const ia = this.initialPayload;
    // VC (8 zeros), crypto_provide, len(PadC) = 0, len(IA), IA: all under keyA's stream.
    const body = new Uint8Array(VC_LENGTH + 4 + 2 + 2 + ia.length);
    writeU32(body, VC_LENGTH, methodBits(this.provide));
    writeU16(body, VC_LENGTH + 6, ia.length);
    body.set(ia, VC_LENGTH + 8);
    cipher.encrypt.update(body, body);
    send.push(
      concatBytes([req1Hash(hash, s), xor20(req2Hash(hash, this.skey), req3Hash(hash, s)), body]),
    );
    // ENCRYPT(VC) from the responder is the next 8 bytes of keyB's stream; producing them here
    // leaves the decrypting stream just past the VC, where the responder's cipher will be too.
    const vc = cipher.decrypt.update(new Uint8Array(VC_LENGTH));
    this.state = { kind: 'sync-vc', cipher, vc };
    return ok('next');
  }

  /** PadB is of unknown length: find ENCRYPT(VC) within its 512 bytes + 8. */
  private syncVc(cipher: MseCipher, vc: Uint8Array): Result<Progress, ErrorValue> {
    const window = this.queue.view(VC_WINDOW);
    const at = indexOf(window, vc, 0);
    if (at < 0) {
      if (this.queue.length >= VC_WINDOW) {
        return err({
          code: 'MSE_NO_SYNC',
          message: `no encrypted verification constant within ${VC_WINDOW} bytes after Yb`,
        });
      }
      return ok('wait');
    }
    this.queue.consume(at + VC_LENGTH);
    this.state = { kind: 'select', cipher };
    return ok('next');
  }

  /** crypto_select (4 bytes) and len(PadD) (2 bytes). */
  private readSelect(cipher: MseCipher): Result<Progress, ErrorValue> {
    if (this.queue.length < 6) return ok('wait');
    const field = cipher.decrypt.update(this.queue.view(6));
    this.queue.consume(6);
    const method = selectedMethod(readU32(field, 0), this.provide);
    if (!method.ok) return method;
    const padLength = readU16(field, 4);
    if (padLength > MAX_PAD)
      return err(badField(`PadD of ${padLength} bytes (at most ${MAX_PAD})`));
    this.state = { kind: 'pad-d', cipher, method: method.value, padLength };
    return ok('next');
  }

  private readPadD(
    cipher: MseCipher,
    method: MseMethod,
    padLength: number,
  ): Result<Progress, ErrorValue> {
    if (this.queue.length < padLength) return ok('wait');
    cipher.decrypt.update(this.queue.view(padLength)); // PadD: keystream to skip, content ignored
    this.queue.consume(padLength);
    const leftover = this.queue.drain();
    if (method === 'rc4') cipher.decrypt.update(leftover, leftover);
    return ok({ outcome: outcomeOf(method, this.skey, cipher, leftover) });
  }

  private checkOptions(): ErrorValue | undefined {
    if (this.provide.length === 0) return badField('no method to offer');
    if (this.options.infoHash.length < SKEY_LENGTH) return badField('an info-hash under 20 bytes');
    if (this.initialPayload.length > MAX_INITIAL_PAYLOAD) {
      return badField(`an initial payload of ${this.initialPayload.length} bytes`);
    }
    return undefined;
  }

  private padMax(): number {
    return Math.max(0, Math.min(MAX_PAD, Math.floor(this.options.padMax ?? MAX_PAD)));
  }

  private fail(error: ErrorValue): { ok: false; error: ErrorValue } {
    this.state = { kind: 'failed', error };
    return err(error);
  }
}
