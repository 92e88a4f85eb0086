/**
 * Writes received blocks to storage and knows when a piece's writes are all done (so it can be
 * checked). Back-pressure: past `pauseAt` bytes in flight it asks for the sockets to pause, and
 * to resume below `resumeAt`, so a slow disk bounds memory instead of filling it.
 */
import type { BlockRef } from '../core/geometry/pieces.js';
import { FanseedError } from '../lib/errors.js';
import type { Storage } from './storage/storage.js';

export interface PieceWriterOptions {
  readonly pauseAt: number;
  readonly resumeAt: number;
  /** Called with false to stop reading from peers, true to read again. */
  readonly setReading: (on: boolean) => void;
  readonly onError: (e: FanseedError) => void;
}

export const DEFAULT_WRITE_LIMITS = { pauseAt: 64 * 1024 * 1024, resumeAt: 16 * 1024 * 1024 };

export class PieceWriter {
  private readonly pending = new Map<number, Array<Promise<void>>>();
  private inFlight = 0;
  private paused = false;

  constructor(
    private readonly storage: Storage,
    private readonly options: PieceWriterOptions,
  ) {}

  get readingPaused(): boolean {
    return this.paused;
  }

  write(ref: BlockRef, data: Uint8Array): void {
    this.inFlight += data.length;
    if (!this.paused && this.inFlight > this.options.pauseAt) this.setPaused(true);
    const done = this.storage.write(ref.index, ref.begin, data).then(
      () => {
        this.inFlight -= data.length;
        if (this.paused && this.inFlight < this.options.resumeAt) this.setPaused(false);
      },
      (e: unknown) =>
        this.options.onError(
          new FanseedError('IO_FAILED', `writing piece ${ref.index}: ${(e as Error).message}`, {
            cause: e,
          }),
        ),
    );
    const list = this.pending.get(ref.index) ?? [];
    list.push(done);
    this.pending.set(ref.index, list);
  }

  /** Resolves once every write of `piece` issued so far has finished. */
  async settled(piece: number): Promise<void> {
    await Promise.all(this.pending.get(piece) ?? []);
    this.pending.delete(piece);
  }

  /** Resolves once every write has finished (successfully or not). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending.values()].flat());
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.options.setReading(!paused);
  }
}
