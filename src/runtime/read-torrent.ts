/** Loads a .torrent file or a magnet link from the command line or the library API. */
import { open } from 'node:fs/promises';
import { DEFAULT_BENCODE_LIMITS } from '../core/bencode/types.js';
import { type MagnetLink, parseMagnet } from '../core/metainfo/magnet.js';
import { type ParseOptions, parseTorrent } from '../core/metainfo/parse.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { FanseedError, unwrap } from '../lib/errors.js';
import { nodeHash } from './node-hash.js';

export type TorrentSource =
  | { readonly kind: 'torrent'; readonly metainfo: Metainfo }
  | { readonly kind: 'magnet'; readonly magnet: MagnetLink };

/** Reads at most `limit` bytes; a larger file is refused before it is read whole. */
const readBounded = async (path: string, limit: number): Promise<Uint8Array> => {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_FAILED';
    throw new FanseedError(code, `${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const { size } = await handle.stat();
    if (size > limit)
      throw new FanseedError(
        'BENCODE_TOO_LARGE',
        `${path} is ${size} bytes, over the ${limit}-byte limit for a .torrent file`,
      );
    const buffer = new Uint8Array(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

export const readTorrentFile = async (
  path: string,
  options: ParseOptions = {},
): Promise<Metainfo> => {
  const limit = options.bencode?.maxInput ?? DEFAULT_BENCODE_LIMITS.maxInput;
  const bytes = await readBounded(path, limit);
  return unwrap(parseTorrent(bytes, nodeHash, options));
};

/** A magnet link (anything starting with `magnet:`) or the path of a .torrent file. */
export const loadTorrentSource = async (
  input: string,
  options: ParseOptions = {},
): Promise<TorrentSource> => {
  if (input.toLowerCase().startsWith('magnet:'))
    return { kind: 'magnet', magnet: unwrap(parseMagnet(input)) };
  return { kind: 'torrent', metainfo: await readTorrentFile(input, options) };
};
