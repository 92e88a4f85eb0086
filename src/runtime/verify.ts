/** Which pieces of a torrent are on disk and correct (`fanseed verify`, and resume checks). */
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { filePieceRange, pieceSpans } from '../core/geometry/layout.js';
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

export const dataPaths = (meta: Metainfo, dataPath: string): string[] =>
  filePaths(
    dataPath,
    meta.name,
    meta.multiFile,
    meta.files.map((f) => f.path),
  );

export const storageFor = (
  meta: Metainfo,
  dataPath: string,
  t: TorrentLayout = torrentLayout(meta),
): DiskStorage => new DiskStorage(t.layout, dataPaths(meta, dataPath), t.pad);

/** Which empty files exist, by file index (only known for disk storage). */
const emptyFilesPresent = async (
  meta: Metainfo,
  storage: Storage,
): Promise<Map<number, boolean>> => {
  const present = new Map<number, boolean>();
  if (!(storage instanceof DiskStorage)) return present;
  await Promise.all(
    meta.files.map(async (f, i) => {
      if (f.pad || f.length > 0) return;
      present.set(
        i,
        await stat(storage.pathOf(i)).then(
          () => true,
          () => false,
        ),
      );
    }),
  );
  return present;
};

/** Each file's size on disk (-1 when missing), for disk storage only. */
const fileSizes = async (storage: Storage, t: TorrentLayout): Promise<number[] | undefined> => {
  if (!(storage instanceof DiskStorage)) return undefined;
  return Promise.all(
    t.layout.files.map((_, i) =>
      t.pad[i]
        ? 0
        : stat(storage.pathOf(i)).then(
            (st) => st.size,
            () => -1,
          ),
    ),
  );
};

/** Empty files hold no piece, so nothing would ever write them: create them up front. */
export const createEmptyFiles = async (
  meta: Metainfo,
  dataPath: string,
  selected: readonly boolean[] = meta.files.map(() => true),
): Promise<void> => {
  const paths = dataPaths(meta, dataPath);
  await Promise.all(
    meta.files.map(async (f, i) => {
      if (f.pad || f.length > 0 || !selected[i]) return;
      const path = paths[i] as string;
      await mkdir(dirname(path), { recursive: true });
      await (await open(path, 'a')).close();
    }),
  );
};

/**
 * Resume data says these pieces were good; keep only those whose bytes are still there (a file
 * deleted or truncated since loses its pieces, which are then checked or fetched again).
 */
export const stillOnDisk = async (
  meta: Metainfo,
  dataPath: string,
  t: TorrentLayout,
  trusted: Bitfield,
): Promise<Bitfield> => {
  const paths = dataPaths(meta, dataPath);
  const sizes = await Promise.all(
    paths.map((p, i) =>
      t.pad[i]
        ? Number.POSITIVE_INFINITY
        : stat(p).then(
            (s) => s.size,
            () => -1,
          ),
    ),
  );
  const kept = new Bitfield(meta.pieceCount);
  for (let piece = 0; piece < meta.pieceCount; piece++) {
    if (!trusted.has(piece)) continue;
    const spans = pieceSpans(t.layout, piece).spans;
    if (spans.every((s) => (sizes[s.file] ?? -1) >= s.fileOffset + s.length)) kept.set(piece);
  }
  return kept;
};

/** Reads and checks every piece; a missing or short file makes its pieces bad, not an error. */
export interface VerifyOptions {
  /** Pieces known good (resume data): taken without reading them. */
  readonly trusted?: Bitfield;
  readonly onProgress?: (done: number, total: number) => void;
}

export const verifyPieces = async (
  meta: Metainfo,
  storage: Storage,
  t: TorrentLayout = torrentLayout(meta),
  options: VerifyOptions = {},
): Promise<VerifyResult> => {
  const have = new Bitfield(meta.pieceCount);
  let unknown = 0;
  const onProgress = options.onProgress;
  const sizes = await fileSizes(storage, t);
  for (let piece = 0; piece < meta.pieceCount; piece++) {
    if (options.trusted?.has(piece)) {
      have.set(piece);
      onProgress?.(piece + 1, meta.pieceCount);
      continue;
    }
    // A piece that runs past the end of a missing or short file cannot be good: not read (a
    // fresh download would otherwise try to open its missing files once per piece).
    const spans = sizes === undefined ? [] : pieceSpans(t.layout, piece).spans;
    if (
      spans.some((sp) => !t.pad[sp.file] && (sizes?.[sp.file] ?? -1) < sp.fileOffset + sp.length)
    ) {
      onProgress?.(piece + 1, meta.pieceCount);
      continue;
    }
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
  const empties = await emptyFilesPresent(meta, storage);
  const files = meta.files.flatMap((f, i) => {
    if (f.pad) return [];
    const { first, count } = filePieceRange(t.layout, i);
    // An empty file has no piece to check: it is complete when it exists.
    let complete = count > 0 || empties.get(i) !== false;
    for (let p = first; p < first + count; p++) complete &&= have.has(p);
    return [{ path: f.path, length: f.length, complete }];
  });
  return { have, files, unknown };
};

/**
 * What is good on disk for a torrent being started: its selected files are created (empty) if
 * missing, then every piece is checked, except those the resume data vouches for whose files
 * have not changed since.
 */
export const checkOnDisk = async (
  meta: Metainfo,
  path: string,
  t: {
    readonly layout: TorrentLayout;
    readonly storage: Storage;
    readonly selected: readonly boolean[];
  },
  resume: { load(): Promise<Bitfield | undefined> } | undefined,
): Promise<Bitfield> => {
  await createEmptyFiles(meta, path, t.selected).catch((e: unknown) => {
    throw new FanseedError('IO_FAILED', `creating empty files: ${(e as Error).message}`, {
      cause: e,
    });
  });
  const saved = await resume?.load();
  const trusted = saved === undefined ? undefined : await stillOnDisk(meta, path, t.layout, saved);
  return (await verifyPieces(meta, t.storage, t.layout, trusted === undefined ? {} : { trusted }))
    .have;
};
