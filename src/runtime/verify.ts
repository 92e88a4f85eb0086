/** Which pieces of a torrent are on disk and correct (`fanseed verify`, and resume checks). */
import { filePieceRange } from '../core/geometry/layout.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { checkPiece } from '../core/torrent/piece-check.js';
import { type TorrentLayout, torrentLayout } from '../core/torrent/torrent-layout.js';
import { Bitfield } from '../lib/bitfield.js';
import { FanseedError } from '../lib/errors.js';
import { nodeHash } from './node-hash.js';
import { DiskStorage, filePaths } from './storage/disk-storage.js';
import type { Storage } from './storage/storage.js';

export interface VerifyResult {
  readonly have: Bitfield;
  /** Per file (padding excluded), in torrent order. */
  readonly files: ReadonlyArray<{
    readonly path: readonly string[];
    readonly length: number;
    readonly complete: boolean;
  }>;
  /** Pieces whose v2 hash cannot be checked yet (no piece layer). */
  readonly unknown: number;
}

export const storageFor = (
  meta: Metainfo,
  dataPath: string,
  t: TorrentLayout = torrentLayout(meta),
): DiskStorage =>
  new DiskStorage(
    t.layout,
    filePaths(
      dataPath,
      meta.name,
      meta.multiFile,
      meta.files.map((f) => f.path),
    ),
    t.pad,
  );

/** Reads and checks every piece; a missing or short file makes its pieces bad, not an error. */
export const verifyPieces = async (
  meta: Metainfo,
  storage: Storage,
  t: TorrentLayout = torrentLayout(meta),
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> => {
  const have = new Bitfield(meta.pieceCount);
  let unknown = 0;
  for (let piece = 0; piece < meta.pieceCount; piece++) {
    let data: Uint8Array | undefined;
    try {
      data = await storage.read(piece, 0, t.geometry.pieceSize(piece));
    } catch (e) {
      if (!(e instanceof FanseedError && e.code === 'IO_FAILED')) throw e;
    }
    if (data !== undefined) {
      const verdict = checkPiece(meta, t, piece, data, nodeHash);
      if (verdict === 'good') have.set(piece);
      if (verdict === 'unknown') unknown++;
    }
    onProgress?.(piece + 1, meta.pieceCount);
  }
  const files = meta.files.flatMap((f, i) => {
    if (f.pad) return [];
    const { first, count } = filePieceRange(t.layout, i);
    let complete = true;
    for (let p = first; p < first + count; p++) complete &&= have.has(p);
    return [{ path: f.path, length: f.length, complete }];
  });
  return { have, files, unknown };
};
