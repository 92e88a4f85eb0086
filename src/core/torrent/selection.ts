/**
 * Choosing files to download (`--select`, BEP 53 `so`). Indices count the torrent's real files
 * in order, padding left out: the numbering `fanseed info` shows.
 */
import { Bitfield } from '../../lib/bitfield.js';
import { filePieceRange } from '../geometry/layout.js';
import type { FileRange } from '../metainfo/magnet.js';
import type { Metainfo } from '../metainfo/types.js';
import type { TorrentLayout } from './torrent-layout.js';

/** For each file of the torrent (padding included, always false), whether it is selected. */
export const selectedFiles = (
  meta: Metainfo,
  ranges: readonly FileRange[] | undefined,
): boolean[] => {
  let real = -1;
  return meta.files.map((f) => {
    if (f.pad) return false;
    real++;
    return ranges === undefined || ranges.some((r) => real >= r.first && real <= r.last);
  });
};

/** Pieces that hold bytes of a selected file: the ones to download. */
export const wantedPieces = (
  meta: Metainfo,
  t: TorrentLayout,
  selected: readonly boolean[],
): Bitfield => {
  const wanted = new Bitfield(meta.pieceCount);
  selected.forEach((on, file) => {
    if (!on) return;
    const { first, count } = filePieceRange(t.layout, file);
    for (let p = first; p < first + count; p++) wanted.set(p);
  });
  return wanted;
};

/** The highest file index the ranges name, to refuse selections beyond the torrent. */
export const realFileCount = (meta: Metainfo): number => meta.files.filter((f) => !f.pad).length;

/** The index among all files (padding included) of real file `file`; undefined past the end. */
export const layoutFileIndex = (meta: Metainfo, file: number): number | undefined => {
  let real = -1;
  for (let i = 0; i < meta.files.length; i++) {
    if (meta.files[i]?.pad) continue;
    real++;
    if (real === file) return i;
  }
  return undefined;
};
