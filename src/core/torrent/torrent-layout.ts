/**
 * How a parsed torrent's bytes are laid out for downloading: the piece stream, which of its
 * files are padding (never stored, never requested), and piece sizes as requested.
 * v1 and hybrid use the v1 stream (padding entries included); v2-only aligns each file.
 */
import { alignedLayout, contiguousLayout, type Layout, pieceSpans } from '../geometry/layout.js';
import { PieceGeometry } from '../geometry/pieces.js';
import type { Metainfo } from '../metainfo/types.js';

export interface TorrentLayout {
  readonly layout: Layout;
  /** Per layout file: true for BEP 47 padding. */
  readonly pad: readonly boolean[];
  /** Piece sizes as we request them: padding left out. */
  readonly geometry: PieceGeometry;
  /** Piece sizes as peers may request them: other clients (libtorrent) ask for blocks that run
   * into padding, which we answer with zeros. */
  readonly wireGeometry: PieceGeometry;
}

export const torrentLayout = (meta: Metainfo): TorrentLayout => {
  const lengths = meta.files.map((f) => f.length);
  const layout =
    meta.version === 'v2'
      ? alignedLayout(lengths, meta.pieceLength)
      : contiguousLayout(lengths, meta.pieceLength);
  const pad = meta.files.map((f) => f.pad);
  return {
    layout,
    pad,
    geometry: PieceGeometry.fromLayout(layout, pad),
    wireGeometry: PieceGeometry.fromLayout(layout),
  };
};

/** Bytes of padding at the end of a piece (zeros that complete it for SHA-1). */
export const trailingPadding = (t: TorrentLayout, piece: number): number => {
  const { spans, zeroPad } = pieceSpans(t.layout, piece);
  let pad = zeroPad;
  for (let i = spans.length - 1; i >= 0 && t.pad[(spans[i] as { file: number }).file]; i--) {
    pad += (spans[i] as { length: number }).length;
  }
  return pad;
};
