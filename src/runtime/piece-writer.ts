/**
 * Assembles received blocks in memory until their piece is complete, so the piece is checked
 * from memory and written with one call, and a bad piece never reaches the disk. Each block is
 * copied on arrival into its piece's buffer (so the socket's read chunk is freed at once), and
 * piece buffers are reused once written, so a long download does not churn the heap. Memory is
 * bounded: past `maxHeld` bytes the fullest partial piece is spilled to storage early (it is
 * then read back to be checked). Past `pauseAt` bytes being checked or written, reading from
 * peers pauses until they fall under `resumeAt`, so a slow disk or a busy checker slows the
 * download instead of filling memory.
 */
import type { BlockRef } from '../core/geometry/pieces.js';
import { FanseedError } from '../lib/errors.js';
import type { Storage } from './storage/storage.js';

export interface PieceWriterOptions {
  readonly maxHeld: number;
  readonly pauseAt: number;
  readonly resumeAt: number;
  /** Bytes in a piece as requested (padding left out). */
  readonly pieceSize: (piece: number) => number;
  /** Called with false to stop reading from peers, true to read again. */
  readonly setReading: (on: boolean) => void;
  readonly onError: (e: FanseedError) => void;
}

export const DEFAULT_WRITE_LIMITS = {
  maxHeld: 32 * 1024 * 1024,
  pauseAt: 32 * 1024 * 1024,
  resumeAt: 4 * 1024 * 1024,
};

/** Free piece buffers kept for reuse, at most. */
const POOLED = 8;

interface Held {
  /** The piece's buffer; undefined once spilled or taken to be checked. */
  buf: Uint8Array | undefined;
  /** Some blocks went to storage: later blocks go straight there, and so does the check. */
  spilled: boolean;
  /** Blocks copied into `buf` so far, as [begin, length]. */
  readonly blocks: Array<[number, number]>;
  bytes: number;
}

export class PieceWriter {
  private readonly held = new Map<number, Held>();
  private readonly writes = new Map<number, Array<Promise<void>>>();
  private readonly failed = new Set<number>();
  private readonly free: Uint8Array[] = [];
  /** Bytes of piece buffers held (whole buffers, however full). */
  private heldBytes = 0;
  /** Bytes being checked (taken, not yet committed or discarded) or written. */
  private inFlight = 0;
  /** Pieces taken to be checked, with their sizes. */
  private readonly checking = new Map<number, number>();
  private paused = false;

  constructor(
    private readonly storage: Storage,
    private readonly options: PieceWriterOptions,
  ) {}

  get readingPaused(): boolean {
    return this.paused;
  }

  /** Copies a received block into its piece's buffer. The block's memory is only borrowed for
   * the call (it may be a socket's read buffer, reused at once). */
  add(ref: BlockRef, data: Uint8Array): void {
    let h = this.held.get(ref.index);
    if (h === undefined) {
      const buf = this.buffer(this.options.pieceSize(ref.index));
      h = { buf, blocks: [], bytes: 0, spilled: false };
      this.held.set(ref.index, h);
      this.heldBytes += buf.length;
    }
    if (h.buf === undefined) {
      if (h.spilled) {
        const own = new Uint8Array(data);
        this.track(ref.index, this.storage.write(ref.index, ref.begin, own), own.length);
      }
      return;
    }
    h.buf.set(data, ref.begin);
    h.blocks.push([ref.begin, data.length]);
    h.bytes += data.length;
    let spilling = this.heldBytes > this.options.maxHeld;
    while (spilling)
      spilling = this.spillFullest(ref.index) && this.heldBytes > this.options.maxHeld;
  }

  /**
   * The piece's data (`size` bytes), from memory, or from storage if it was spilled. The caller
   * owns the buffer until it hands it back through commit() (or drops it after discard()).
   */
  async take(piece: number, size: number): Promise<Uint8Array> {
    const h = this.held.get(piece);
    if (h?.buf !== undefined && h.buf.length === size) {
      const buf = h.buf;
      h.buf = undefined;
      this.heldBytes -= buf.length;
      this.checked(piece);
      this.checking.set(piece, size);
      this.adjust(size);
      return buf;
    }
    if (h !== undefined) this.spill(h, piece);
    await this.settled(piece);
    return this.storage.read(piece, 0, size);
  }

  /** A checked piece: written (unless it is on disk already) and forgotten; its buffer is
   * reused once the write is done. */
  async commit(piece: number, data: Uint8Array): Promise<void> {
    this.checked(piece);
    const h = this.release(piece);
    if (h?.spilled === true) {
      this.recycle(data);
      return;
    }
    this.track(piece, this.storage.write(piece, 0, data), data.length);
    await this.settled(piece);
    this.recycle(data);
  }

  /** A piece that failed its check: its blocks are dropped (the buffer may be reused). */
  discard(piece: number, data?: Uint8Array): void {
    this.checked(piece);
    this.release(piece);
    if (data !== undefined) this.recycle(data);
  }

  /** Resolves once every write has finished (successfully or not). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.writes.values()].flat());
  }

  private buffer(size: number): Uint8Array {
    const i = this.free.findIndex((b) => b.length === size);
    if (i < 0) return new Uint8Array(size);
    const [buf] = this.free.splice(i, 1);
    return buf as Uint8Array;
  }

  private recycle(buf: Uint8Array): void {
    // Only whole buffers of our own making: a view of a larger one could alias other data.
    if (
      this.free.length >= POOLED ||
      buf.byteOffset !== 0 ||
      buf.byteLength !== buf.buffer.byteLength
    )
      return;
    this.free.push(buf);
  }

  private async settled(piece: number): Promise<void> {
    await Promise.all(this.writes.get(piece) ?? []);
    this.writes.delete(piece);
    if (this.failed.delete(piece))
      throw new FanseedError('IO_FAILED', `writing piece ${piece} failed`);
  }

  private release(piece: number): Held | undefined {
    const h = this.held.get(piece);
    if (h === undefined) return undefined;
    this.held.delete(piece);
    if (h.buf !== undefined) {
      this.heldBytes -= h.buf.length;
      this.recycle(h.buf);
      h.buf = undefined;
    }
    return h;
  }

  /** Spills the partial piece other than `keep` holding the most bytes (or `keep` if alone). */
  private spillFullest(keep: number): boolean {
    let pick: [number, Held] | undefined;
    for (const entry of this.held) {
      if (entry[1].buf === undefined) continue;
      if (
        pick === undefined ||
        (entry[0] !== keep && entry[1].bytes > pick[1].bytes) ||
        pick[0] === keep
      )
        pick = entry;
    }
    if (pick === undefined) return false;
    this.spill(pick[1], pick[0]);
    return true;
  }

  /** Writes a piece's blocks so far to storage and frees its buffer. */
  private spill(h: Held, piece: number): void {
    const buf = h.buf;
    if (buf === undefined) return;
    h.buf = undefined;
    h.spilled = true;
    this.heldBytes -= buf.length;
    const writes = h.blocks.map(([begin, length]) =>
      this.storage.write(piece, begin, buf.subarray(begin, begin + length)),
    );
    const all = Promise.all(writes).then(() => undefined);
    this.track(piece, all, h.bytes);
    // The buffer is reused only after every write from it is done.
    void all.then(
      () => this.recycle(buf),
      () => undefined,
    );
  }

  /** A piece taken to be checked is back (committed or discarded): its bytes no longer count. */
  private checked(piece: number): void {
    const size = this.checking.get(piece);
    if (size === undefined) return;
    this.checking.delete(piece);
    this.adjust(-size);
  }

  /** Counts bytes in flight, pausing reads from peers above `pauseAt` and resuming them below
   * `resumeAt`. */
  private adjust(bytes: number): void {
    this.inFlight += bytes;
    if (!this.paused && this.inFlight > this.options.pauseAt) this.setPaused(true);
    else if (this.paused && this.inFlight < this.options.resumeAt) this.setPaused(false);
  }

  private track(piece: number, write: Promise<void>, bytes: number): void {
    this.adjust(bytes);
    const done = write.then(
      () => this.adjust(-bytes),
      (e: unknown) => {
        this.adjust(-bytes);
        this.options.onError(
          new FanseedError('IO_FAILED', `writing piece ${piece}: ${(e as Error).message}`, {
            cause: e,
          }),
        );
        throw e;
      },
    );
    const list = this.writes.get(piece) ?? [];
    list.push(done);
    this.writes.set(piece, list);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.options.setReading(!paused);
  }
}
