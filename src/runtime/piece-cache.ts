/**
 * Whole pieces read for uploading, kept a little while: peers ask for a piece block by block,
 * so one read of the piece serves all its blocks as views (one system call instead of one per
 * 16 KiB). Least recently used pieces leave first; at most `maxBytes` are held.
 */
import type { BlockRef } from '../core/geometry/pieces.js';
import type { Storage } from './storage/storage.js';

export class PieceCache {
  private readonly pieces = new Map<number, Promise<Uint8Array>>();
  private bytes = 0;

  constructor(
    private readonly storage: Storage,
    /** The size of a piece as peers may request it (padding included). */
    private readonly pieceSize: (piece: number) => number,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  async read(ref: BlockRef): Promise<Uint8Array> {
    let entry = this.pieces.get(ref.index);
    if (entry === undefined) entry = this.load(ref.index);
    else {
      this.pieces.delete(ref.index);
      this.pieces.set(ref.index, entry);
    }
    const piece = await entry;
    return piece.subarray(ref.begin, ref.begin + ref.length);
  }

  /** Starts reading a piece that blocks will soon be asked of, so that they do not wait on the
   * disk when their turn comes. */
  prefetch(piece: number): void {
    if (!this.pieces.has(piece)) void this.load(piece);
  }

  private load(piece: number): Promise<Uint8Array> {
    const size = this.pieceSize(piece);
    const entry = this.storage.read(piece, 0, size);
    this.pieces.set(piece, entry);
    this.bytes += size;
    entry.catch(() => this.forget(piece));
    this.evict(piece);
    return entry;
  }

  clear(): void {
    this.pieces.clear();
    this.bytes = 0;
  }

  private forget(piece: number): void {
    if (this.pieces.delete(piece)) this.bytes -= this.pieceSize(piece);
  }

  private evict(keep: number): void {
    for (const piece of this.pieces.keys()) {
      if (this.bytes <= this.maxBytes) return;
      if (piece !== keep) this.forget(piece);
    }
  }
}
