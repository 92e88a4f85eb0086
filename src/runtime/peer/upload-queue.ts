/**
 * The blocks one peer asked of us and we agreed to send. Reads them from storage a few at a
 * time, only while the peer's socket has room and the upload limits allow, so a fast reader
 * cannot make us buffer the torrent in memory.
 */
import type { BlockRef } from '../../core/geometry/pieces.js';
import { blockKey } from '../../core/torrent/peer-state.js';
import type { TokenBucket } from '../../lib/token-bucket.js';
import type { PeerSocket } from './peer-socket.js';

const MAX_READS = 4;
/** Pieces of queued requests read ahead of their turn. */
const READ_AHEAD = 2;

export interface UploadQueueOptions {
  /** Reads one block (through the torrent's piece cache). */
  readonly read: (ref: BlockRef) => Promise<Uint8Array>;
  /** Starts reading a piece that queued requests will want. */
  readonly prefetch?: (piece: number) => void;
  readonly limits: readonly TokenBucket[];
  /** A block went out. */
  readonly sent: (ref: BlockRef) => void;
  readonly failed: (ref: BlockRef, e: Error) => void;
}

export class UploadQueue {
  private readonly queued = new Map<string, BlockRef>();
  /** Queued requests per piece, pieces in the order they were first asked for. */
  private readonly pieces = new Map<number, number>();
  private reads = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly sock: PeerSocket,
    private readonly options: UploadQueueOptions,
  ) {}

  add(ref: BlockRef): void {
    const key = blockKey(ref);
    if (this.queued.has(key)) return;
    this.queued.set(key, ref);
    this.pieces.set(ref.index, (this.pieces.get(ref.index) ?? 0) + 1);
    this.pump();
  }

  remove(ref: BlockRef): void {
    if (this.queued.delete(blockKey(ref))) this.dequeued(ref.index);
  }

  close(): void {
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.queued.clear();
    this.pieces.clear();
  }

  /** Sends what it may now; called again on 'drain', after each read and when limits refill. */
  pump(): void {
    while (this.reads < MAX_READS && !this.sock.congested && this.queued.size > 0) {
      const [key, ref] = this.queued.entries().next().value as [string, BlockRef];
      if (!this.mayUpload(ref.length)) return this.retryLater(ref.length);
      this.queued.delete(key);
      this.dequeued(ref.index);
      this.reads++;
      this.options.read(ref).then(
        (block) => {
          this.reads--;
          if (this.sock.closed) return;
          this.sock.sendBlock(ref.index, ref.begin, block);
          this.options.sent(ref);
          this.pump();
        },
        (e: unknown) => {
          this.reads--;
          this.options.failed(ref, e as Error);
        },
      );
    }
  }

  private dequeued(piece: number): void {
    const left = (this.pieces.get(piece) ?? 1) - 1;
    if (left > 0) {
      this.pieces.set(piece, left);
      return;
    }
    this.pieces.delete(piece);
    // The next pieces in line start coming off the disk while this one goes out.
    if (this.options.prefetch === undefined) return;
    let n = 0;
    for (const next of this.pieces.keys()) {
      if (n++ === READ_AHEAD) break;
      this.options.prefetch(next);
    }
  }

  private mayUpload(bytes: number): boolean {
    const now = Date.now();
    if (this.options.limits.some((b) => b.waitMs(bytes, now) > 0)) return false;
    for (const b of this.options.limits) b.take(bytes, now);
    return true;
  }

  private retryLater(bytes: number): void {
    if (this.retry !== undefined) return;
    const now = Date.now();
    const wait = Math.max(1, ...this.options.limits.map((b) => b.waitMs(bytes, now)));
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.sock.closed) this.pump();
    }, wait);
  }
}
