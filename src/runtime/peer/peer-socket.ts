/**
 * One TCP connection to a peer: handshake, then framed and validated messages. Sending is
 * zero-copy for blocks (header and block written back to back); the socket's own buffer is the
 * only send queue, and `congested` tells the caller to wait for 'drain' before serving more.
 */
import type { Socket } from 'node:net';
import { type Handshake, HandshakeReader } from '../../core/wire/handshake.js';
import {
  encodeMessage,
  encodePieceHeader,
  type PeerMessage,
  withOwnBytes,
} from '../../core/wire/messages.js';
import { MessageReader, readerLimitsFor } from '../../core/wire/reader.js';
import {
  type ValidPeerMessage,
  validateMessage,
  type WireGeometry,
} from '../../core/wire/validate.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { StreamCipher } from './mse.js';

/** Bytes queued in the socket above which a peer is congested (no more blocks read for it). */
const HIGH_WATER = 1024 * 1024;
/** Writes up to this size are copied into a shared batch buffer... */
const SMALL_WRITE = 1024;
/** ...of at most this size. */
const SMALL_BATCH = 64 * 1024;
export interface PeerTimeouts {
  /** A peer must complete its handshake this fast. */
  readonly handshakeMs: number;
  /** A connection with no whole message for this long is dead or trickling (peers send a
   * keep-alive every two minutes). */
  readonly idleMs: number;
}

export const DEFAULT_PEER_TIMEOUTS: PeerTimeouts = { handshakeMs: 10_000, idleMs: 180_000 };

export interface PeerSocketHandler {
  /** Their handshake arrived: 'accept', 'refuse' (wrong torrent: counted against the peer) or
   * 'self' (we dialled ourselves: dropped quietly). */
  handshake(h: Handshake): 'accept' | 'refuse' | 'self';
  message(m: ValidPeerMessage): void;
  /** Every whole message of the last chunk has been handed over. */
  batchEnd(): void;
  /** The connection ended (`error` set when it was their fault or the network's). */
  closed(reason: string, error: ErrorValue | undefined): void;
  /** The socket's send buffer emptied below the high-water mark. */
  drained(): void;
}

/** One read buffer for every connection made with `readInto`: each read is handed over whole
 * before the next one lands (see `receiveBorrowed`), so one buffer serves them all. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * Options for `net.connect` that read into the shared buffer and hand each read to the
 * PeerSocket `target()` returns: no allocation per read, and reads of up to 256 KiB rather
 * than Node's 64 KiB. For plain connections only (the MSE handshake needs 'data' events).
 */
export const readInto = (
  target: () => PeerSocket | undefined,
): { buffer: Buffer; callback: (bytes: number, buffer: Buffer) => boolean } => ({
  buffer: SHARED_READ_BUFFER,
  callback: (bytes, buffer) => {
    target()?.receiveBorrowed(buffer.subarray(0, bytes));
    return true;
  },
});

/** What an encrypted (MSE) handshake left: the stream cipher, if RC4 was chosen, and the bytes
 * received after it (already decrypted: the start of the BitTorrent handshake). */
export interface NegotiatedStream {
  readonly cipher?: StreamCipher | undefined;
  readonly leftover: Uint8Array;
}

export class PeerSocket {
  private readonly handshakeReader = new HandshakeReader();
  private reader: MessageReader | undefined;
  private geometry: WireGeometry | undefined;
  private ended = false;
  private corked = false;
  /** Small writes of this turn, joined into one buffer when it ends (or before a large one). */
  private readonly small: Uint8Array[] = [];
  private smallBytes = 0;
  private timer: NodeJS.Timeout;
  private readonly cipher: StreamCipher | undefined;
  /** The chunk being read is borrowed (a shared read buffer): nothing may keep a view of it. */
  private borrowed = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly socket: Socket,
    private readonly handler: PeerSocketHandler,
    private readonly timeouts: PeerTimeouts = DEFAULT_PEER_TIMEOUTS,
    negotiated?: NegotiatedStream,
  ) {
    this.cipher = negotiated?.cipher;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.handler.drained());
    socket.on('error', (e) =>
      this.end(`socket error: ${e.message}`, { code: 'IO_FAILED', message: e.message }),
    );
    socket.on('close', () => this.end('connection closed', undefined));
    this.timer = setTimeout(() => {
      const what = this.reader === undefined ? 'no handshake' : 'no message';
      this.end(`${what} in time`, { code: 'WIRE_BAD_MESSAGE', message: `${what} in time` });
    }, timeouts.handshakeMs);
    this.timer.unref();
    if (negotiated !== undefined) {
      // The MSE glue left the socket paused; what it read past its handshake goes first (on the
      // next tick, once the caller holds this object), then the socket flows again.
      process.nextTick(() => {
        if (negotiated.leftover.length > 0) this.receive(negotiated.leftover);
        if (!this.ended) socket.resume();
      });
    }
  }

  /** After the handshake: the torrent's geometry, so messages can be validated. */
  attach(geometry: WireGeometry, pieceCount: number): void {
    this.geometry = geometry;
    this.reader = new MessageReader(readerLimitsFor(pieceCount));
  }

  get congested(): boolean {
    return this.socket.writableLength > HIGH_WATER;
  }

  get closed(): boolean {
    return this.ended;
  }

  /**
   * Writes are gathered for the rest of this turn of the event loop and leave in one system
   * call. Small messages (requests, haves, headers) are copied into one buffer rather than
   * handed to the socket one by one: a write per 17-byte request costs more than the copy.
   */
  writeRaw(bytes: Uint8Array): void {
    if (this.ended) return;
    this.bytesOut += bytes.length;
    const out = this.cipher === undefined ? bytes : this.cipher.encrypt(bytes);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.flushSmall();
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (out.length <= SMALL_WRITE) {
      if (this.smallBytes + out.length > SMALL_BATCH) this.flushSmall();
      this.small.push(out);
      this.smallBytes += out.length;
      return;
    }
    this.flushSmall();
    this.socket.write(out);
  }

  private flushSmall(): void {
    if (this.smallBytes === 0 || this.ended) return;
    const joined = Buffer.allocUnsafe(this.smallBytes);
    let at = 0;
    for (const part of this.small) {
      joined.set(part, at);
      at += part.length;
    }
    this.small.length = 0;
    this.smallBytes = 0;
    this.socket.write(joined);
  }

  send(message: PeerMessage): void {
    this.writeRaw(encodeMessage(message));
  }

  /** A piece message without copying the block. */
  sendBlock(index: number, begin: number, block: Uint8Array): void {
    this.writeRaw(encodePieceHeader(index, begin, block.length));
    this.writeRaw(block);
  }

  /** Restarts the idle clock: a whole message (or the handshake) arrived. */
  private rearm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () =>
        this.end('no message in time', {
          code: 'WIRE_BAD_MESSAGE',
          message: 'idle or trickling connection',
        }),
      this.timeouts.idleMs,
    );
    this.timer.unref();
  }

  end(reason: string, error: ErrorValue | undefined): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.handler.closed(reason, error);
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.bytesIn += chunk.length;
    this.receive(this.cipher === undefined ? chunk : this.cipher.decrypt(chunk));
  }

  /**
   * Bytes read into a buffer that is reused as soon as this returns (a socket made with
   * `onread`, see `readInto`). Blocks are handed over as views and must be consumed (copied or
   * written) before the handler's `batchEnd` returns; every other message's bytes, the
   * handshake and the start of an unfinished message are copied.
   */
  receiveBorrowed(chunk: Uint8Array): void {
    if (this.ended) return;
    this.bytesIn += chunk.length;
    const data = this.cipher === undefined ? chunk : this.cipher.decrypt(chunk);
    if (this.reader === undefined) return this.receive(new Uint8Array(data));
    this.borrowed = true;
    try {
      this.feed(data);
    } finally {
      this.borrowed = false;
      this.reader.detach();
    }
  }

  private receive(received: Uint8Array): void {
    let data = received;
    if (this.reader === undefined) {
      const r = this.handshakeReader.push(data);
      if (!r.ok) return this.end(r.error.message, r.error);
      if (r.value.kind === 'need-more') return;
      this.rearm();
      const verdict = this.handler.handshake(r.value.handshake);
      if (verdict === 'self') return this.end('connected to ourselves', undefined);
      if (verdict === 'refuse') {
        return this.end('handshake refused', {
          code: 'WIRE_WRONG_INFOHASH',
          message: 'handshake refused',
        });
      }
      if (this.reader === undefined) return this.end('no torrent attached', undefined);
      data = r.value.rest;
    }
    this.feed(data);
  }

  private feed(data: Uint8Array): void {
    const reader = this.reader as MessageReader;
    const pushed = reader.push(data);
    if (!pushed.ok) return this.end(pushed.error.message, pushed.error);
    while (!this.ended) {
      const pulled = reader.pull();
      if (!pulled.ok) return this.end(pulled.error.message, pulled.error);
      if (pulled.value === undefined) return this.handler.batchEnd();
      const message = this.borrowed ? withOwnBytes(pulled.value) : pulled.value;
      const valid = validateMessage(message, this.geometry as WireGeometry);
      if (!valid.ok) return this.end(valid.error.message, valid.error);
      this.rearm();
      this.handler.message(valid.value);
    }
  }
}
