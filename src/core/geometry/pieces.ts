/**
 * Piece and block arithmetic for downloading: how many bytes each piece holds (its file data;
 * padding zeros at the end of a piece are never requested, BEP 47), 16 KiB blocks within it.
 */
import { BLOCK_SIZE } from '../merkle/merkle.js';
import { type Layout, pieceSpans } from './layout.js';

/** A block of a piece, as named by request, cancel and reject (BEP 3, BEP 6). */
export interface BlockRef {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

export class PieceGeometry {
  private readonly sizes: Uint32Array;

  private constructor(
    readonly pieceCount: number,
    readonly pieceLength: number,
    /** Length of the piece stream (v1 and hybrid: padding included). */
    readonly totalLength: number,
    sizes: Uint32Array,
  ) {
    this.sizes = sizes;
  }

  /**
   * Piece sizes from a layout; `pad` flags padding files, whose bytes are left out. Padding
   * only ever ends a piece (BEP 47), so a piece's data is one prefix of it.
   */
  static fromLayout(layout: Layout, pad: readonly boolean[] = []): PieceGeometry {
    const sizes = new Uint32Array(layout.pieceCount);
    for (let i = 0; i < layout.pieceCount; i++) {
      let size = 0;
      for (const span of pieceSpans(layout, i).spans) if (!pad[span.file]) size += span.length;
      sizes[i] = size;
    }
    return new PieceGeometry(layout.pieceCount, layout.pieceLength, layout.streamLength, sizes);
  }

  /** Bytes of data in a piece (what is requested and written). */
  pieceSize(piece: number): number {
    return this.sizes[piece] ?? 0;
  }

  blocksInPiece(piece: number): number {
    return Math.ceil(this.pieceSize(piece) / BLOCK_SIZE);
  }

  block(piece: number, block: number): BlockRef {
    const begin = block * BLOCK_SIZE;
    return { index: piece, begin, length: Math.min(BLOCK_SIZE, this.pieceSize(piece) - begin) };
  }

  /** The block index a (piece, offset, length) names, or undefined if it is not exactly a block. */
  blockIndex(ref: BlockRef): number | undefined {
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= this.pieceCount)
      return undefined;
    if (!Number.isInteger(ref.begin) || ref.begin % BLOCK_SIZE !== 0) return undefined;
    const block = ref.begin / BLOCK_SIZE;
    if (block >= this.blocksInPiece(ref.index)) return undefined;
    return this.block(ref.index, block).length === ref.length ? block : undefined;
  }
}
