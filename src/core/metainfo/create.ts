/**
 * Torrent creation, pure part: plans the piece layout for a set of files, and once the runtime
 * has hashed the pieces, builds the canonical .torrent bytes (v1, v2 or hybrid).
 */
import { bytesToBinary, compareBytes, utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { HashPort } from '../../lib/hash-port.js';
import { err, ok, type Result } from '../../lib/result.js';
import { encode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import {
  alignedLayout,
  contiguousLayout,
  filePieceRange,
  type Layout,
} from '../geometry/layout.js';
import { BLOCK_SIZE, merkleRoot, nextPowerOfTwo, splitHashes } from '../merkle/merkle.js';
import { unsafeComponentReason } from './path-safety.js';
import { defaultPieceLength } from './piece-length.js';
import { DEFAULT_METAINFO_LIMITS, MIN_PIECE_LENGTH, type TorrentVersion } from './types.js';

export interface CreateFile {
  readonly path: readonly string[];
  readonly length: number;
}

export interface CreateOptions {
  readonly format?: TorrentVersion;
  readonly pieceLength?: number;
  /** One announce URL per tier, in order (BEP 12). */
  readonly announce?: readonly string[];
  readonly webSeeds?: readonly string[];
  readonly private?: boolean;
  readonly comment?: string;
  readonly createdBy?: string;
  /** Seconds since the epoch; omitted from the torrent when undefined. */
  readonly creationDate?: number;
}

export interface CreatePlan {
  readonly name: string;
  readonly singleFile: boolean;
  readonly format: TorrentVersion;
  readonly files: readonly CreateFile[];
  readonly layout: Layout;
  readonly needV1: boolean;
  readonly needV2: boolean;
  readonly options: CreateOptions;
}

/** Hash results the runtime fills in, indexed by piece. */
export interface PieceHashes {
  /** 20 bytes per piece (v1 and hybrid). */
  readonly v1: Uint8Array | undefined;
  /** 32 bytes per piece: the piece's merkle subtree root (a whole small file's root). */
  readonly v2: Uint8Array | undefined;
}

const fail = (message: string): Result<never, ErrorValue> =>
  err({ code: 'CREATE_BAD_OPTION', message });

const comparePaths = (a: CreateFile, b: CreateFile): number => {
  const n = Math.min(a.path.length, b.path.length);
  for (let i = 0; i < n; i++) {
    const d = compareBytes(utf8(a.path[i] as string), utf8(b.path[i] as string));
    if (d !== 0) return d;
  }
  return a.path.length - b.path.length;
};

export const planTorrent = (
  name: string,
  singleFile: boolean,
  files: readonly CreateFile[],
  options: CreateOptions,
): Result<CreatePlan, ErrorValue> => {
  if (files.length === 0)
    return err({ code: 'CREATE_NO_FILES', message: 'there are no files to put in the torrent' });
  if (files.length > DEFAULT_METAINFO_LIMITS.maxFiles)
    return fail(`more than ${DEFAULT_METAINFO_LIMITS.maxFiles} files`);
  for (const part of [name, ...files.flatMap((f) => f.path)]) {
    const why = unsafeComponentReason(part);
    if (why !== undefined)
      return fail(`the name ${JSON.stringify(part)} ${why}; other clients could not use it`);
  }
  const format = options.format ?? 'hybrid';
  const total = files.reduce((n, f) => n + f.length, 0);
  const pieceLength = options.pieceLength ?? defaultPieceLength(total);
  if (pieceLength < MIN_PIECE_LENGTH || !Number.isInteger(Math.log2(pieceLength))) {
    return fail(`piece length ${pieceLength} is not a power of two of at least 16 KiB`);
  }
  if (pieceLength > DEFAULT_METAINFO_LIMITS.maxPieceLength)
    return fail(`piece length ${pieceLength} is over 128 MiB`);
  if (total === 0 && format !== 'v2')
    return fail('a v1 or hybrid torrent needs at least one non-empty file');
  const sorted = singleFile ? [...files] : [...files].sort(comparePaths);
  const lengths = sorted.map((f) => f.length);
  const layout =
    format === 'v1' ? contiguousLayout(lengths, pieceLength) : alignedLayout(lengths, pieceLength);
  return ok({
    name,
    singleFile,
    format,
    files: sorted,
    layout,
    needV1: format !== 'v2',
    needV2: format !== 'v1',
    options,
  });
};

const toBinaryKey = (text: string): string => bytesToBinary(utf8(text));

interface V2Parts {
  readonly roots: Array<Uint8Array | undefined>;
  readonly layers: Map<string, Uint8Array>;
}

const v2Roots = (plan: CreatePlan, v2: Uint8Array, hash: HashPort): V2Parts => {
  const { layout } = plan;
  const layers = new Map<string, Uint8Array>();
  const padHeight = Math.log2(layout.pieceLength / BLOCK_SIZE);
  const roots = plan.files.map((_file, i) => {
    const { first, count } = filePieceRange(layout, i);
    if (count === 0) return undefined;
    const layer = v2.subarray(first * 32, (first + count) * 32);
    if (count === 1) return layer.slice();
    const root = merkleRoot(hash.sha256, splitHashes(layer), nextPowerOfTwo(count), padHeight);
    layers.set(bytesToBinary(root), layer.slice());
    return root;
  });
  return { roots, layers };
};

const fileTree = (
  plan: CreatePlan,
  roots: ReadonlyArray<Uint8Array | undefined>,
): Map<string, BEncodable> => {
  const tree = new Map<string, BEncodable>();
  plan.files.forEach((file, i) => {
    const path = plan.singleFile ? [plan.name] : file.path;
    let node = tree;
    for (const part of path.slice(0, -1)) {
      const key = toBinaryKey(part);
      let child = node.get(key) as Map<string, BEncodable> | undefined;
      if (child === undefined) {
        child = new Map();
        node.set(key, child);
      }
      node = child;
    }
    const root = roots[i];
    const leaf =
      root === undefined ? { length: file.length } : { length: file.length, 'pieces root': root };
    node.set(toBinaryKey(path[path.length - 1] as string), new Map([['', leaf]]));
  });
  return tree;
};

const v1Files = (plan: CreatePlan): BEncodable[] => {
  const out: BEncodable[] = [];
  const { layout } = plan;
  plan.files.forEach((file, i) => {
    out.push({ length: file.length, path: [...file.path] });
    const next = layout.files[i + 1];
    if (layout.kind !== 'aligned' || next === undefined) return;
    const end = (layout.files[i]?.offset ?? 0) + file.length;
    const gap = next.offset - end;
    // BEP 47 padding file up to the next piece boundary, only where data follows: the
    // hashed stream ends with the last non-empty file (trailing empty files add no padding).
    if (gap > 0 && file.length > 0 && end < layout.streamLength)
      out.push({ attr: 'p', length: gap, path: ['.pad', String(gap)] });
  });
  return out;
};

/** Builds the .torrent bytes from a plan and its piece hashes. */
export const buildTorrent = (plan: CreatePlan, hashes: PieceHashes, hash: HashPort): Uint8Array => {
  const { options, layout } = plan;
  const v2 = plan.needV2 ? v2Roots(plan, hashes.v2 as Uint8Array, hash) : undefined;
  const info: Record<string, BEncodable | undefined> = {
    name: plan.name,
    'piece length': layout.pieceLength,
    private: options.private ? 1 : undefined,
  };
  if (plan.needV1) {
    info.pieces = hashes.v1 as Uint8Array;
    if (plan.singleFile) info.length = plan.files[0]?.length ?? 0;
    else info.files = v1Files(plan);
  }
  if (v2 !== undefined) {
    info['meta version'] = 2;
    info['file tree'] = fileTree(plan, v2.roots);
  }
  const announce = options.announce ?? [];
  const top: Record<string, BEncodable | undefined> = {
    announce: announce[0],
    'announce-list': announce.length > 1 ? announce.map((u) => [u]) : undefined,
    comment: options.comment,
    'created by': options.createdBy,
    'creation date': options.creationDate,
    info,
    'piece layers': v2 !== undefined && v2.layers.size > 0 ? v2.layers : undefined,
    'url-list':
      options.webSeeds !== undefined && options.webSeeds.length > 0
        ? [...options.webSeeds]
        : undefined,
  };
  const encoded = encode(top);
  if (!encoded.ok) throw new Error(`internal: ${encoded.error.message}`);
  return encoded.value;
};
