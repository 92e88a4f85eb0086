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
    if (entry === undefined) {
      const size = this.pieceSize(ref.index);
      entry = this.storage.read(ref.index, 0, size);
      this.pieces.set(ref.index, entry);
      this.bytes += size;
      entry.catch(() => this.forget(ref.index));
      this.evict(ref.index);
    } else {
      this.pieces.delete(ref.index);
      this.pieces.set(ref.index, entry);
    }
    const piece = await entry;
    return piece.subarray(ref.begin, ref.begin + ref.length);
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
