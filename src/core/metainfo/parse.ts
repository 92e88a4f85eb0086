/** Parses .torrent files and bare info dictionaries: v1 (BEP 3), v2 (BEP 52) and hybrid. */
import { bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { HashPort } from '../../lib/hash-port.js';
import { type InfoHashV1, type InfoHashV2, infoHashV1, infoHashV2 } from '../../lib/ids.js';
import { err, ok, type Result } from '../../lib/result.js';
import { decode, rawBytes } from '../bencode/decode.js';
import { type BDict, type BencodeLimits, type BValue, isDict } from '../bencode/types.js';
import { checkPieceLayer, isPowerOfTwo } from '../merkle/merkle.js';
import {
  asBytes,
  asDict,
  asSize,
  asText,
  lenientText,
  MetaFailure,
  metaFail,
  optional,
  required,
} from './fields.js';
import { parseFileTree, type TreeFile } from './file-tree.js';
import { parseV1Files } from './files-v1.js';
import { checkedName, checkNoCollisions } from './paths.js';
import { parseTrackers, parseUrlList } from './trackers.js';
import {
  DEFAULT_METAINFO_LIMITS,
  type Metainfo,
  type MetainfoLimits,
  MIN_PIECE_LENGTH,
  type TorrentFile,
  type TorrentVersion,
} from './types.js';

export interface ParseOptions {
  readonly limits?: Partial<MetainfoLimits>;
  readonly bencode?: Partial<BencodeLimits>;
}

const pieceLengthOf = (info: BDict, limits: MetainfoLimits): number => {
  const value = asSize(
    required(info, 'piece length', 'info.'),
    'info.piece length',
    Number.MAX_SAFE_INTEGER,
  );
  if (!isPowerOfTwo(value) || value < MIN_PIECE_LENGTH || value > limits.maxPieceLength) {
    metaFail(
      'META_BAD_PIECE_LENGTH',
      `info.piece length ${value} is not a power of two between 16 KiB and ${limits.maxPieceLength}`,
    );
  }
  return value;
};

const versionOf = (info: BDict): TorrentVersion => {
  const meta = optional(info, 'meta version');
  const hasV1 = info.has('pieces');
  if (meta === undefined) {
    if (!hasV1) metaFail('META_MISSING_FIELD', 'info.pieces is missing');
    return 'v1';
  }
  if (meta !== 2)
    metaFail('META_UNSUPPORTED_VERSION', `info.meta version ${String(meta)} is not supported`);
  return hasV1 ? 'hybrid' : 'v2';
};

/** v2 files laid out so that each starts on a piece boundary. */
const alignV2 = (tree: TreeFile[], pieceLength: number): TorrentFile[] => {
  let offset = 0;
  return tree.map((f) => {
    const file = { path: f.path, length: f.length, offset, pad: false, piecesRoot: f.piecesRoot };
    offset += Math.ceil(f.length / pieceLength) * pieceLength;
    return file;
  });
};

const v2PieceCount = (files: readonly TorrentFile[], pieceLength: number): number =>
  files.reduce((n, f) => n + Math.ceil(f.length / pieceLength), 0);

/** BEP 52 hybrids: the v1 list (minus padding) must be the v2 tree, each file piece-aligned. */
const checkHybrid = (
  v1: readonly TorrentFile[],
  v2: readonly TreeFile[],
  pieceLength: number,
): TorrentFile[] => {
  const real = v1.filter((f) => !f.pad);
  if (real.length !== v2.length) {
    metaFail('META_HYBRID_MISMATCH', `v1 lists ${real.length} files, the v2 tree ${v2.length}`);
  }
  return v1.map((f) => {
    if (f.pad) return f;
    const i = real.indexOf(f);
    const other = v2[i] as TreeFile;
    if (other.path.join('/') !== f.path.join('/') || other.length !== f.length) {
      metaFail(
        'META_HYBRID_MISMATCH',
        `v1 file ${i} (${f.path.join('/')}) differs from the v2 tree`,
      );
    }
    if (f.length > 0 && f.offset % pieceLength !== 0) {
      metaFail(
        'META_HYBRID_MISMATCH',
        `v1 file ${f.path.join('/')} does not start on a piece boundary`,
      );
    }
    return { ...f, piecesRoot: other.piecesRoot };
  });
};

const parsePieceLayers = (
  top: BDict | undefined,
  files: readonly TorrentFile[],
  pieceLength: number,
  hash: HashPort,
): Map<string, Uint8Array> => {
  const layers = new Map<string, Uint8Array>();
  const value = top === undefined ? undefined : optional(top, 'piece layers');
  if (value === undefined) return layers;
  const dict = asDict(value, 'piece layers');
  for (const file of files) {
    if (file.piecesRoot === undefined || file.length <= pieceLength) continue;
    const key = bytesToBinary(file.piecesRoot);
    const layerValue = dict.get(key);
    if (layerValue === undefined) continue; // may be fetched from peers later (BEP 52 hash requests)
    const layer = asBytes(layerValue, `piece layers of ${file.path.join('/')}`);
    const expected = Math.ceil(file.length / pieceLength) * 32;
    if (
      layer.length !== expected ||
      !checkPieceLayer(hash.sha256, layer, file.piecesRoot, pieceLength)
    ) {
      metaFail(
        'META_BAD_PIECE_LAYER',
        `the piece layer of ${file.path.join('/')} does not match its pieces root`,
      );
    }
    layers.set(key, layer);
  }
  return layers;
};

const parseWhole = (
  info: BDict,
  infoRaw: Uint8Array,
  top: BDict | undefined,
  hash: HashPort,
  limits: MetainfoLimits,
): Metainfo => {
  const version = versionOf(info);
  const name = checkedName(
    asText(info.get('name.utf-8') ?? required(info, 'name', 'info.'), 'info.name'),
    'info.name',
  );
  const pieceLength = pieceLengthOf(info, limits);
  let files: TorrentFile[];
  let multiFile: boolean;
  let pieceCount: number;
  let pieces: Uint8Array | undefined;

  const tree =
    version === 'v1'
      ? undefined
      : parseFileTree(asDict(required(info, 'file tree', 'info.'), 'info.file tree'), limits);
  if (version === 'v2') {
    const t = tree as TreeFile[];
    multiFile = !(t.length === 1 && t[0]?.path.length === 1 && t[0].path[0] === name);
    files = alignV2(t, pieceLength);
    pieceCount = v2PieceCount(files, pieceLength);
  } else {
    const v1 = parseV1Files(info, name, limits);
    multiFile = v1.multiFile;
    files =
      tree === undefined
        ? v1.files
        : checkHybrid(
            v1.files,
            v1.multiFile ? tree : tree.map((f) => ({ ...f, path: [name] })),
            pieceLength,
          );
    pieceCount = Math.ceil(v1.streamLength / pieceLength);
    pieces = asBytes(required(info, 'pieces', 'info.'), 'info.pieces');
    if (pieces.length !== pieceCount * 20) {
      metaFail(
        'META_PIECE_COUNT_MISMATCH',
        `info.pieces holds ${pieces.length / 20} hashes for ${pieceCount} pieces`,
      );
    }
    if (
      tree !== undefined &&
      v2PieceCount(
        files.filter((f) => !f.pad),
        pieceLength,
      ) !== pieceCount
    ) {
      metaFail('META_HYBRID_MISMATCH', 'v1 and v2 piece counts differ');
    }
  }
  checkNoCollisions(files);
  const length = files.reduce((n, f) => n + (f.pad ? 0 : f.length), 0);
  const hasV1 = version !== 'v2';
  const hasV2 = version !== 'v1';
  return {
    version,
    name,
    infoHashV1: hasV1 ? (infoHashV1(hash.sha1(infoRaw)) as InfoHashV1) : undefined,
    infoHashV2: hasV2 ? (infoHashV2(hash.sha256(infoRaw)) as InfoHashV2) : undefined,
    pieceLength,
    pieceCount,
    length,
    multiFile,
    files,
    pieces,
    pieceLayers: hasV2 ? parsePieceLayers(top, files, pieceLength, hash) : new Map(),
    ...parseTrackers(top, limits),
    urlList: parseUrlList(top, limits),
    private: optional(info, 'private') === 1,
    comment: top && lenientText(top.get('comment.utf-8') ?? top.get('comment')),
    createdBy: top && lenientText(top.get('created by')),
    creationDate:
      top && typeof top.get('creation date') === 'number'
        ? (top.get('creation date') as number)
        : undefined,
    info: infoRaw,
  };
};

const guarded = (run: () => Metainfo): Result<Metainfo, ErrorValue> => {
  try {
    return ok(run());
  } catch (e) {
    if (e instanceof MetaFailure) return err(e.error);
    throw e;
  }
};

const notATorrent = (message: string): Result<never, ErrorValue> =>
  err({ code: 'META_NOT_A_TORRENT', message });

/** Decodes, finds the info dictionary (and the top level, if any), parses. */
const parseWith = (
  bytes: Uint8Array,
  hash: HashPort,
  options: ParseOptions,
  locate: (root: BValue) => Result<{ info: BDict; top: BDict | undefined }, ErrorValue>,
): Result<Metainfo, ErrorValue> => {
  const decoded = decode(bytes, options.bencode);
  if (!decoded.ok) return decoded;
  const found = locate(decoded.value);
  if (!found.ok) return found;
  const { info, top } = found.value;
  const limits = { ...DEFAULT_METAINFO_LIMITS, ...options.limits };
  return guarded(() => parseWhole(info, rawBytes(info) as Uint8Array, top, hash, limits));
};

/** Parses a whole .torrent file. */
export const parseTorrent = (
  bytes: Uint8Array,
  hash: HashPort,
  options: ParseOptions = {},
): Result<Metainfo, ErrorValue> =>
  parseWith(bytes, hash, options, (top) => {
    if (!isDict(top)) return notATorrent('the file is not a bencoded dictionary');
    const info = top.get('info');
    if (!isDict(info)) return notATorrent('the file has no info dictionary');
    return ok({ info, top });
  });

/** Parses a bare info dictionary, as received from peers for a magnet link (BEP 9). */
export const parseInfoDict = (
  bytes: Uint8Array,
  hash: HashPort,
  options: ParseOptions = {},
): Result<Metainfo, ErrorValue> =>
  parseWith(bytes, hash, options, (info) =>
    isDict(info)
      ? ok({ info, top: undefined })
      : notATorrent('the info is not a bencoded dictionary'),
  );
