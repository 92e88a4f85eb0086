/**
 * Is a downloaded piece the right one? v1: SHA-1 of the piece (padding zeros included) against
 * the `pieces` string. v2: the merkle root of its 16 KiB blocks against the file's piece layer,
 * or against the file's pieces root for a file of one piece (BEP 52). A hybrid piece must pass
 * both: a torrent whose two halves disagree must not be half-trusted.
 */
import { bytesToBinary, equalBytes } from '../../lib/bytes.js';
import type { HashPort } from '../../lib/hash-port.js';
import { pieceSpans } from '../geometry/layout.js';
import { BLOCK_SIZE, merkleRoot, pieceTreeWidth } from '../merkle/merkle.js';
import type { Metainfo } from '../metainfo/types.js';
import { type TorrentLayout, trailingPadding } from './torrent-layout.js';

export type PieceVerdict = 'good' | 'bad' | 'unknown';

const sha1WithPadding = (hash: HashPort, data: Uint8Array, padding: number): Uint8Array => {
  if (padding === 0) return hash.sha1(data);
  const whole = new Uint8Array(data.length + padding);
  whole.set(data);
  return hash.sha1(whole);
};

const v1Check = (
  meta: Metainfo,
  t: TorrentLayout,
  piece: number,
  data: Uint8Array,
  hash: HashPort,
): boolean => {
  const expected = (meta.pieces as Uint8Array).subarray(piece * 20, piece * 20 + 20);
  return equalBytes(sha1WithPadding(hash, data, trailingPadding(t, piece)), expected);
};

/** undefined when the piece layer is not known yet (a v2 torrent from a magnet link). */
const v2Check = (
  meta: Metainfo,
  t: TorrentLayout,
  piece: number,
  data: Uint8Array,
  hash: HashPort,
): boolean | undefined => {
  const span = pieceSpans(t.layout, piece).spans.find((s) => !t.pad[s.file]);
  if (span === undefined) return false;
  const file = meta.files[span.file];
  if (file?.piecesRoot === undefined) return false;
  const leaves: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += BLOCK_SIZE)
    leaves.push(hash.sha256(data.subarray(at, at + BLOCK_SIZE)));
  const root = merkleRoot(hash.sha256, leaves, pieceTreeWidth(meta.pieceLength, file.length));
  if (file.length <= meta.pieceLength) return equalBytes(root, file.piecesRoot);
  const layer = meta.pieceLayers.get(bytesToBinary(file.piecesRoot));
  if (layer === undefined) return undefined;
  const k = Math.floor(span.fileOffset / meta.pieceLength);
  return equalBytes(root, layer.subarray(k * 32, k * 32 + 32));
};

/** Checks the data of one piece (as requested: padding left out). */
export const checkPiece = (
  meta: Metainfo,
  t: TorrentLayout,
  piece: number,
  data: Uint8Array,
  hash: HashPort,
): PieceVerdict => {
  if (data.length !== t.geometry.pieceSize(piece)) return 'bad';
  if (meta.version !== 'v2' && !v1Check(meta, t, piece, data, hash)) return 'bad';
  if (meta.version === 'v1') return 'good';
  const v2 = v2Check(meta, t, piece, data, hash);
  if (v2 === undefined) return meta.version === 'hybrid' ? 'good' : 'unknown';
  return v2 ? 'good' : 'bad';
};
