/**
 * Holds received blocks in memory until their piece is complete, so the piece is checked from
 * memory and written with one call, and a bad piece never reaches the disk. Memory is bounded:
 * past `maxHeld` bytes the fullest partial piece is spilled to storage early (it is then read
 * back to be checked). Past `pauseAt` bytes of writes in flight, reading from peers pauses until
 * they fall under `resumeAt`, so a slow disk slows the download instead of filling memory.
 */
import type { BlockRef } from '../core/geometry/pieces.js';
import { FanseedError } from '../lib/errors.js';
import type { Storage } from './storage/storage.js';

export interface PieceWriterOptions {
  readonly maxHeld: number;
  readonly pauseAt: number;
  readonly resumeAt: number;
  /** Called with false to stop reading from peers, true to read again. */
  readonly setReading: (on: boolean) => void;
  readonly onError: (e: FanseedError) => void;
}

export const DEFAULT_WRITE_LIMITS = {
  maxHeld: 48 * 1024 * 1024,
  pauseAt: 32 * 1024 * 1024,
  resumeAt: 8 * 1024 * 1024,
};

interface Held {
  readonly blocks: Map<number, Uint8Array>;
  bytes: number;
  /** Some of its blocks went to storage already. */
  spilled: boolean;
}

export class PieceWriter {
  private readonly held = new Map<number, Held>();
  private readonly writes = new Map<number, Array<Promise<void>>>();
  private readonly failed = new Set<number>();
  private heldBytes = 0;
  private inFlight = 0;
  private paused = false;

  constructor(
    private readonly storage: Storage,
    private readonly options: PieceWriterOptions,
  ) {}

  get readingPaused(): boolean {
    return this.paused;
  }

  /** Keeps a received block (a view of the socket's chunk: no copy) until its piece is done. */
  add(ref: BlockRef, data: Uint8Array): void {
    let h = this.held.get(ref.index);
    if (h === undefined) {
      h = { blocks: new Map(), bytes: 0, spilled: false };
      this.held.set(ref.index, h);
    }
    h.blocks.set(ref.begin, data);
    h.bytes += data.length;
    this.heldBytes += data.length;
    let spilling = this.heldBytes > this.options.maxHeld;
    while (spilling)
      spilling = this.spillFullest(ref.index) && this.heldBytes > this.options.maxHeld;
  }

  /** The piece's data (`size` bytes), from memory, or from storage if it was spilled. */
  async take(piece: number, size: number): Promise<Uint8Array> {
    const h = this.held.get(piece);
    if (h?.spilled) this.spill(piece, h);
    if (h === undefined || h.spilled) {
      await this.settled(piece);
      return this.storage.read(piece, 0, size);
    }
    const data = new Uint8Array(size);
    for (const [begin, block] of h.blocks) data.set(block, begin);
    return data;
  }

  /** A checked piece: written (unless it is on disk already) and forgotten. */
  async commit(piece: number, data: Uint8Array): Promise<void> {
    const h = this.release(piece);
    if (h?.spilled === true) return;
    this.track(piece, this.storage.write(piece, 0, data), data.length);
    await this.settled(piece);
  }

  /** A piece that failed its check: its blocks are dropped. */
  discard(piece: number): void {
    this.release(piece);
  }

  /** Resolves once every write has finished (successfully or not). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.writes.values()].flat());
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
    this.heldBytes -= h.bytes;
    return h;
  }

  /** Writes the held blocks of the fullest piece other than `keep` (or `keep` if alone). */
  private spillFullest(keep: number): boolean {
    let pick: [number, Held] | undefined;
    for (const entry of this.held) {
      if (entry[1].bytes === 0) continue;
      if (
        pick === undefined ||
        (entry[0] !== keep && entry[1].bytes > pick[1].bytes) ||
        pick[0] === keep
      )
        pick = entry;
    }
    if (pick === undefined) return false;
    this.spill(pick[0], pick[1]);
    return true;
  }

  private spill(piece: number, h: Held): void {
    h.spilled = true;
    for (const [begin, block] of h.blocks)
      this.track(piece, this.storage.write(piece, begin, block), block.length);
    this.heldBytes -= h.bytes;
    h.bytes = 0;
    h.blocks.clear();
  }

  private track(piece: number, write: Promise<void>, bytes: number): void {
    this.inFlight += bytes;
    if (!this.paused && this.inFlight > this.options.pauseAt) this.setPaused(true);
    const done = write.then(
      () => {
        this.inFlight -= bytes;
        if (this.paused && this.inFlight < this.options.resumeAt) this.setPaused(false);
      },
      (e: unknown) => {
        this.inFlight -= bytes;
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
