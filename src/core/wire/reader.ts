/**
 * A streaming reader of peer wire messages: push socket chunks, pull messages one at a time.
 *
 * - Zero-copy: a message lying within one chunk comes back as views of that chunk; one spanning
 *   chunks is copied once, into a buffer of its own length (bounded by the message limit). The
 *   caller must therefore not reuse a pushed chunk's memory while its messages are alive.
 * - Bounded: the length prefix and the id are checked as soon as they arrive, before the body
 *   is waited for; at most `maxBufferedBytes` are held.
 * - Framing only: whether an index is in range, a bitfield fits the torrent, and so on, needs
 *   the torrent and is checked by validateMessage (validate.ts).
 * - The first error is final: framing is lost, so every later call returns it again.
 */
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { bodyLengthFits, bodyRule, decodeBody, kindOfId, type PeerMessage } from './messages.js';

export interface ReaderLimits {
  /** Largest length prefix accepted (id and body, without the 4 length bytes). */
  readonly maxMessageLength: number;
  /** Most bytes held between push and pull. */
  readonly maxBufferedBytes: number;
}

/** Room for a 16 KiB block, a BEP 9 metadata piece or BEP 52 hashes, with headroom. */
export const MIN_MESSAGE_LIMIT = 2 ** 17;

/**
 * Limits for a torrent of `pieceCount` pieces (unknown for a magnet link before the metadata
 * arrives: then the default allows bitfields of up to 1,048,568 pieces).
 */
export const readerLimitsFor = (pieceCount = 0): ReaderLimits => {
  const maxMessageLength = Math.max(MIN_MESSAGE_LIMIT, Math.ceil(pieceCount / 8) + 1);
  return {
    maxMessageLength,
    maxBufferedBytes: Math.max(4 * 1024 * 1024, 2 * (maxMessageLength + 4)),
  };
};

/** Shared and frozen: a flood of keep-alives allocates nothing. */
const KEEP_ALIVE_RESULT = ok(Object.freeze({ kind: 'keep-alive' } as const));
const NEED_MORE = ok(undefined);

export class MessageReader {
  readonly limits: ReaderLimits;
  private chunks: Uint8Array[] = [];
  /** First live chunk, and how far into it has been consumed. */
  private head = 0;
  private offset = 0;
  private buffered = 0;
  private failure: ErrorValue | undefined;

  constructor(limits: Partial<ReaderLimits> = {}) {
    const defaults = readerLimitsFor();
    const maxMessageLength = limits.maxMessageLength ?? defaults.maxMessageLength;
    const maxBufferedBytes =
      limits.maxBufferedBytes ?? Math.max(defaults.maxBufferedBytes, 2 * (maxMessageLength + 4));
    if (!Number.isSafeInteger(maxMessageLength) || maxMessageLength < 1) {
      throw new RangeError(`maxMessageLength ${maxMessageLength} is not a positive integer`);
    }
    if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < maxMessageLength + 4) {
      throw new RangeError(`maxBufferedBytes ${maxBufferedBytes} cannot hold one message`);
    }
    this.limits = { maxMessageLength, maxBufferedBytes };
  }

  /** Bytes pushed and not yet pulled as messages. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Takes a chunk (kept by reference, not copied). Refused beyond maxBufferedBytes. */
  push(chunk: Uint8Array): Result<void, ErrorValue> {
    if (this.failure !== undefined) return err(this.failure);
    if (chunk.length === 0) return NEED_MORE;
    if (this.buffered + chunk.length > this.limits.maxBufferedBytes) {
      return this.fail(
        'WIRE_BAD_LENGTH',
        `${this.buffered + chunk.length} bytes buffered, over the limit of ${this.limits.maxBufferedBytes}`,
      );
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    return NEED_MORE;
  }

  /**
   * Copies the bytes still held (the start of a message) into memory of the reader's own, so
   * the caller may reuse the memory of the chunks it pushed.
   */
  detach(): void {
    if (this.buffered === 0 || this.failure !== undefined) return;
    const out = new Uint8Array(this.buffered);
    let at = 0;
    for (let c = this.head; c < this.chunks.length; c++) {
      const chunk = this.chunks[c] as Uint8Array;
      const part = c === this.head ? chunk.subarray(this.offset) : chunk;
      out.set(part, at);
      at += part.length;
    }
    this.chunks = [out];
    this.head = 0;
    this.offset = 0;
  }

  /** The next message; `undefined` when more bytes are needed. */
  pull(): Result<PeerMessage | undefined, ErrorValue> {
    if (this.failure !== undefined) return err(this.failure);
    if (this.buffered < 4) return NEED_MORE;
    const length = this.u32At(0);
    if (length > this.limits.maxMessageLength) {
      return this.fail(
        'WIRE_BAD_LENGTH',
        `message of ${length} bytes, over the limit of ${this.limits.maxMessageLength}`,
      );
    }
    if (length === 0) {
      this.skip(4);
      return KEEP_ALIVE_RESULT;
    }
    if (this.buffered < 5) return NEED_MORE;
    const id = this.byteAt(4);
    const kind = kindOfId(id);
    if (kind === undefined) return this.fail('WIRE_UNKNOWN_MESSAGE', `unknown message id ${id}`);
    if (!bodyLengthFits(bodyRule(kind), length - 1)) {
      return this.fail('WIRE_BAD_LENGTH', `${kind} message of length ${length}`);
    }
    if (this.buffered < 4 + length) return NEED_MORE;
    this.skip(5);
    return ok(decodeBody(kind, this.take(length - 1)));
  }

  private fail(code: ErrorValue['code'], message: string): { ok: false; error: ErrorValue } {
    this.failure = { code, message };
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.buffered = 0;
    return err(this.failure);
  }

  /** The byte `i` bytes after the read position; the caller has checked it is buffered. */
  private byteAt(i: number): number {
    let at = this.offset + i;
    for (let c = this.head; ; c++) {
      const chunk = this.chunks[c] as Uint8Array;
      if (at < chunk.length) return chunk[at] as number;
      at -= chunk.length;
    }
  }

  private u32At(i: number): number {
    const chunk = this.chunks[this.head] as Uint8Array;
    const at = this.offset + i;
    if (at + 4 <= chunk.length) {
      // The common case: all four bytes in the head chunk.
      return (
        (((chunk[at] as number) << 24) >>> 0) +
        (((chunk[at + 1] as number) << 16) |
          ((chunk[at + 2] as number) << 8) |
          (chunk[at + 3] as number))
      );
    }
    return (
      ((this.byteAt(i) << 24) >>> 0) +
      ((this.byteAt(i + 1) << 16) | (this.byteAt(i + 2) << 8) | this.byteAt(i + 3))
    );
  }

  /** Drops `n` buffered bytes. */
  private skip(n: number): void {
    this.buffered -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head] as Uint8Array;
      const step = Math.min(left, chunk.length - this.offset);
      this.offset += step;
      left -= step;
      if (this.offset === chunk.length) this.dropHead();
    }
  }

  /** The next `n` bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Uint8Array {
    const chunk = this.chunks[this.head];
    if (n === 0 || chunk === undefined) return new Uint8Array(0);
    if (this.offset + n <= chunk.length) {
      const view = chunk.subarray(this.offset, this.offset + n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.head] as Uint8Array;
      const step = Math.min(n - filled, c.length - this.offset);
      out.set(c.subarray(this.offset, this.offset + step), filled);
      filled += step;
      this.skip(step);
    }
    return out;
  }

  private dropHead(): void {
    this.chunks[this.head] = EMPTY; // let the chunk be collected
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
