/**
 * Message Stream Encryption (MSE/PE) on a node:net Socket: the pure state machines of
 * core/wire/mse driven by a socket's bytes, with a time-out. libtorrent and Transmission dial
 * with MSE first; this lets us answer them, and dial them the same way.
 *
 * Both entry points resolve once the handshake is over and leave the socket paused with this
 * module's listeners removed (but for a no-op 'error' listener, so that an error before the
 * caller's own listeners are attached cannot crash the process: check `socket.destroyed` after
 * attaching them). The caller attaches its 'data' listener, feeds it `leftover` first, then calls
 * `socket.resume()`. On failure the socket is destroyed and the promise rejects with a
 * FanseedError: MSE_* codes, MSE_TIMEOUT, MSE_CLOSED.
 */
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import { MseInitiator } from '../../core/wire/mse/initiator.js';
import type { MseCipher } from '../../core/wire/mse/keys.js';
import type { MseMethod } from '../../core/wire/mse/method.js';
import type { MseOutcome } from '../../core/wire/mse/protocol.js';
import { MseResponder, type SkeyLookup } from '../../core/wire/mse/responder.js';
import { sniffIncoming } from '../../core/wire/mse/sniff.js';
import { type ErrorValue, FanseedError } from '../../lib/errors.js';
import type { HashPort } from '../../lib/hash-port.js';
import type { Rng } from '../../lib/ports.js';
import { err, ok, type Result } from '../../lib/result.js';
import { nodeHash } from '../node-hash.js';

/** As long as a plaintext handshake may take (DEFAULT_PEER_TIMEOUTS.handshakeMs). */
export const DEFAULT_MSE_TIMEOUT_MS = 10_000;

/** The RC4 streams of a connection, for everything after the handshake. */
export interface StreamCipher {
  /** Encrypts into a new array: the input (a cached block, say) is left alone. */
  encrypt(data: Uint8Array): Uint8Array;
  /** Decrypts in place and returns the same array: a received chunk is the receiver's own. */
  decrypt(data: Uint8Array): Uint8Array;
}

export interface EncryptedConnection {
  readonly method: MseMethod;
  /** The 20-byte info-hash (SKEY) the handshake was for. */
  readonly infoHash: Uint8Array;
  /** Present when RC4 was chosen: every later byte, both ways, goes through it. */
  readonly cipher?: StreamCipher;
  /**
   * Payload-stream bytes that arrived with the end of the handshake, already decrypted. For an
   * accepted connection it starts with the initiator's IA (usually its BitTorrent handshake).
   */
  readonly leftover: Uint8Array;
}

/** An accepted connection: a plaintext BitTorrent handshake, or an MSE one. */
export type IncomingConnection =
  | {
      readonly encrypted: false;
      /** The bytes read to tell (the start of the BitTorrent handshake). */
      readonly leftover: Uint8Array;
    }
  | ({ readonly encrypted: true } & EncryptedConnection);

interface CommonOptions {
  /** The whole handshake must finish within this (default 10 s). */
  readonly timeoutMs?: number;
  /** Default: the operating system's randomness. */
  readonly rng?: Rng;
  /** Default: node:crypto. */
  readonly hash?: HashPort;
  /** Longest random pad (PadA or PadB), 0..512 (default 512). */
  readonly padMax?: number;
}

export interface OutgoingMseOptions extends CommonOptions {
  /** The torrent's info-hash (a v2 hash is cut to 20 bytes, as in its BitTorrent handshake). */
  readonly infoHash: Uint8Array;
  /** Methods offered (default both; the responder chooses). ['rc4'] insists on RC4. */
  readonly provide?: readonly MseMethod[];
  /** Sent as IA, under RC4, with step 3: our BitTorrent handshake, to save a round trip. */
  readonly initialPayload?: Uint8Array;
}

export interface IncomingMseOptions extends CommonOptions {
  /** From HASH('req2', SKEY) to one of our info-hashes (see core `req2Hash`, `skeyLookup`). */
  readonly lookup: SkeyLookup;
  /** Methods accepted (default both). */
  readonly allowed?: readonly MseMethod[];
  /** Chosen when offered (default 'rc4'). */
  readonly prefer?: MseMethod;
  /** A plaintext BitTorrent handshake: 'accept' (default) or 'refuse' (MSE_REQUIRED). */
  readonly plaintext?: 'accept' | 'refuse';
}

/** Randomness for keys and pads from the operating system. */
export const cryptoRng: Rng = {
  next: () => (randomFillSync(new Uint32Array(1))[0] ?? 0) / 2 ** 32,
  fill: (bytes) => void randomFillSync(bytes),
};

const streamCipher = (cipher: MseCipher): StreamCipher => ({
  encrypt: (data) => cipher.encrypt.update(data),
  decrypt: (data) => cipher.decrypt.update(data, data),
});

const toConnection = (outcome: MseOutcome): EncryptedConnection =>
  outcome.method === 'rc4'
    ? {
        method: outcome.method,
        infoHash: outcome.infoHash,
        cipher: streamCipher(outcome.cipher),
        leftover: outcome.leftover,
      }
    : { method: outcome.method, infoHash: outcome.infoHash, leftover: outcome.leftover };

type Step<T> = Result<{ readonly send: Uint8Array; readonly done: T | undefined }, ErrorValue>;

const ignore = (): void => {};

/**
 * Runs `push` over the socket's bytes (and `initial`, bytes already read) until it is done,
 * writing what it asks to send; `first` is written at once.
 */
const drive = <T>(
  socket: Socket,
  timeoutMs: number,
  first: Uint8Array,
  push: (chunk: Uint8Array) => Step<T>,
  initial?: Uint8Array,
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let settled = false;
    const stop = (): void => {
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.on('error', ignore);
    };
    const fail = (error: FanseedError): void => {
      if (settled) return;
      stop();
      socket.destroy();
      reject(error);
    };
    const feed = (chunk: Uint8Array): void => {
      if (settled) return;
      const r = push(chunk);
      if (!r.ok) return fail(FanseedError.from(r.error));
      if (r.value.send.length > 0) socket.write(r.value.send);
      if (r.value.done === undefined) return;
      stop();
      socket.pause();
      resolve(r.value.done);
    };
    const onData = (chunk: Buffer): void => feed(chunk);
    const onEnd = (): void =>
      fail(new FanseedError('MSE_CLOSED', 'the connection ended during the encryption handshake'));
    const onError = (e: Error): void =>
      fail(
        new FanseedError('MSE_CLOSED', `socket error in the encryption handshake: ${e.message}`, {
          cause: e,
        }),
      );
    const timer = setTimeout(
      () => fail(new FanseedError('MSE_TIMEOUT', `no encryption handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    if (socket.destroyed) return onEnd();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    if (first.length > 0) socket.write(first);
    if (initial !== undefined && initial.length > 0) feed(initial);
    if (!settled) socket.resume();
  });

/**
 * Dials with MSE on a socket we opened (connected or still connecting): resolves with the
 * negotiated method, the cipher when RC4 and any payload bytes already received.
 */
export const encryptOutgoing = (
  socket: Socket,
  options: OutgoingMseOptions,
): Promise<EncryptedConnection> => {
  const machine = new MseInitiator({
    infoHash: options.infoHash,
    rng: options.rng ?? cryptoRng,
    hash: options.hash ?? nodeHash,
    ...(options.provide === undefined ? {} : { provide: options.provide }),
    ...(options.initialPayload === undefined ? {} : { initialPayload: options.initialPayload }),
    ...(options.padMax === undefined ? {} : { padMax: options.padMax }),
  });
  const start = machine.start();
  if (!start.ok) {
    socket.destroy();
    return Promise.reject(FanseedError.from(start.error));
  }
  return drive(socket, options.timeoutMs ?? DEFAULT_MSE_TIMEOUT_MS, start.value, (chunk) =>
    machine.push(chunk),
  ).then(toConnection);
};

const responderFor = (options: IncomingMseOptions): MseResponder =>
  new MseResponder({
    lookup: options.lookup,
    rng: options.rng ?? cryptoRng,
    hash: options.hash ?? nodeHash,
    ...(options.allowed === undefined ? {} : { allowed: options.allowed }),
    ...(options.prefer === undefined ? {} : { prefer: options.prefer }),
    ...(options.padMax === undefined ? {} : { padMax: options.padMax }),
  });

/**
 * Answers an MSE handshake on an accepted socket whose first bytes (`alreadyRead`, possibly
 * none) the caller has read already and found not to be a plaintext handshake.
 */
export const acceptEncrypted = (
  socket: Socket,
  options: IncomingMseOptions,
  alreadyRead: Uint8Array = new Uint8Array(0),
): Promise<EncryptedConnection> => {
  const machine = responderFor(options);
  return drive(
    socket,
    options.timeoutMs ?? DEFAULT_MSE_TIMEOUT_MS,
    new Uint8Array(0),
    (chunk) => machine.push(chunk),
    alreadyRead,
  ).then(toConnection);
};

/**
 * Reads an accepted socket's first bytes: a plaintext BitTorrent handshake resolves at once
 * (its first bytes as `leftover`, or MSE_REQUIRED when plaintext is refused); anything else is
 * answered as MSE. The time-out covers both.
 */
export const acceptIncoming = (
  socket: Socket,
  options: IncomingMseOptions,
): Promise<IncomingConnection> => {
  let responder: MseResponder | undefined;
  let seen = new Uint8Array(0);
  const push = (chunk: Uint8Array): Step<IncomingConnection> => {
    if (responder === undefined) {
      const joined = new Uint8Array(seen.length + chunk.length);
      joined.set(seen);
      joined.set(chunk, seen.length);
      seen = joined;
      const kind = sniffIncoming(seen);
      if (kind === 'need-more') return ok({ send: new Uint8Array(0), done: undefined });
      if (kind === 'plaintext') {
        if (options.plaintext === 'refuse') {
          return err({
            code: 'MSE_REQUIRED',
            message: 'a plaintext handshake; encryption is required',
          });
        }
        return ok({ send: new Uint8Array(0), done: { encrypted: false, leftover: seen } });
      }
      responder = responderFor(options);
      chunk = seen;
    }
    const r = responder.push(chunk);
    if (!r.ok) return r;
    const { send, done } = r.value;
    return ok({
      send,
      done: done === undefined ? undefined : { encrypted: true, ...toConnection(done) },
    });
  };
  return drive(socket, options.timeoutMs ?? DEFAULT_MSE_TIMEOUT_MS, new Uint8Array(0), push);
};
