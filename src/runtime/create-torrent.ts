/** `fanseed create` as a library call: walks the files, hashes them on workers, builds bytes. */
import { lstat, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  buildTorrent,
  type CreateFile,
  type CreateOptions,
  planTorrent,
} from '../core/metainfo/create.js';
import { DEFAULT_METAINFO_LIMITS } from '../core/metainfo/types.js';
import { FanseedError, unwrap } from '../lib/errors.js';
import { hashPieces } from './hash/hash-pool.js';
import { nodeHash } from './node-hash.js';

export interface CreateTorrentOptions extends CreateOptions {
  /** Threads hashing (default: one per core). */
  readonly threads?: number;
  /** Hash on the calling thread too (see HashPoolOptions.mainThread). */
  readonly mainThread?: boolean;
  /** Progress: bytes hashed so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface CreatedTorrent {
  readonly torrent: Uint8Array;
  readonly name: string;
  readonly length: number;
  readonly pieceLength: number;
  readonly pieceCount: number;
}

interface Found {
  readonly file: CreateFile;
  readonly absolute: string;
}

const statOrThrow = async (path: string) => {
  try {
    return await lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_FAILED';
    throw new FanseedError(code, `${path}: ${(e as Error).message}`, { cause: e });
  }
};

/** Regular files below `root`, depth first. Symbolic links are not followed (no loops, no escapes). */
const walk = async (root: string): Promise<Found[]> => {
  const found: Found[] = [];
  const pending: string[][] = [[]];
  while (pending.length > 0) {
    const rel = pending.pop() as string[];
    const entries = await readdir(join(root, ...rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = [...rel, entry.name];
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) {
        const absolute = join(root, ...path);
        found.push({ file: { path, length: (await lstat(absolute)).size }, absolute });
        if (found.length > DEFAULT_METAINFO_LIMITS.maxFiles) {
          throw new FanseedError(
            'CREATE_BAD_OPTION',
            `more than ${DEFAULT_METAINFO_LIMITS.maxFiles} files below ${root}`,
          );
        }
      }
    }
  }
  return found;
};

export const createTorrent = async (
  path: string,
  options: CreateTorrentOptions = {},
): Promise<CreatedTorrent> => {
  const root = resolve(path);
  const stats = await statOrThrow(root);
  const singleFile = stats.isFile();
  if (!singleFile && !stats.isDirectory()) {
    throw new FanseedError('CREATE_NO_FILES', `${path} is neither a file nor a folder`);
  }
  const name = basename(root);
  const found = singleFile
    ? [{ file: { path: [name], length: stats.size }, absolute: root }]
    : await walk(root);
  const plan = unwrap(
    planTorrent(
      name,
      singleFile,
      found.map((f) => f.file),
      options,
    ),
  );
  const byPath = new Map(found.map((f) => [f.file.path.join('/'), f.absolute]));
  const paths = plan.files.map((f) => byPath.get(f.path.join('/')) as string);
  const total = plan.files.reduce((n, f) => n + f.length, 0);
  const hashes = await hashPieces(
    { paths, layout: plan.layout, needV1: plan.needV1, needV2: plan.needV2 },
    {
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      mainThread: options.mainThread === true,
      onProgress: (done) => options.onProgress?.(done, total),
    },
  );
  return {
    torrent: buildTorrent(plan, hashes, nodeHash),
    name,
    length: total,
    pieceLength: plan.layout.pieceLength,
    pieceCount: plan.layout.pieceCount,
  };
};
