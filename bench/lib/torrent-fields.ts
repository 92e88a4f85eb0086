/**
 * Reads the fields of a .torrent that a creation benchmark must check, with fanseed's own
 * decoder: v1 `pieces`, v2 pieces roots and piece layers, and both info-hashes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decode, rawBytes } from '../../src/core/bencode/decode.js';
import { type BDict, type BValue, isBytes, isDict } from '../../src/core/bencode/types.js';

export interface TorrentFields {
  readonly pieceLength: number | undefined;
  /** v1 `pieces`: 20 bytes per piece. */
  readonly pieces: Uint8Array | undefined;
  /** v2 pieces roots of the files in `file tree` order, hex. */
  readonly piecesRoots: readonly string[];
  /** v2 `piece layers`, pieces root (hex) → layer (hex). */
  readonly pieceLayers: ReadonlyMap<string, string>;
  readonly infoHashV1: string;
  /** Only when the info dict says `meta version` 2. */
  readonly infoHashV2: string | undefined;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const binaryKeyToHex = (key: string): string => Buffer.from(key, 'latin1').toString('hex');

const rootsOf = (tree: BValue | undefined, into: string[]): void => {
  if (!isDict(tree)) return;
  for (const [key, value] of tree) {
    if (key === '') {
      const root = isDict(value) ? value.get('pieces root') : undefined;
      if (isBytes(root)) into.push(hex(root));
    } else {
      rootsOf(value, into);
    }
  }
};

export const readTorrentFields = (path: string): TorrentFields => {
  const decoded = decode(readFileSync(path));
  if (!decoded.ok) throw new Error(`${path}: not valid bencode: ${decoded.error.message}`);
  const root = decoded.value;
  if (!isDict(root)) throw new Error(`${path}: not a dictionary`);
  const info = root.get('info');
  if (!isDict(info)) throw new Error(`${path}: no info dictionary`);
  const raw = rawBytes(info);
  if (raw === undefined) throw new Error(`${path}: raw info bytes unavailable`);
  const pieces = info.get('pieces');
  const pieceLength = info.get('piece length');
  const piecesRoots: string[] = [];
  rootsOf(info.get('file tree'), piecesRoots);
  const pieceLayers = new Map<string, string>();
  const layers: BValue | undefined = root.get('piece layers');
  if (isDict(layers)) {
    for (const [key, value] of layers as BDict) {
      if (isBytes(value)) pieceLayers.set(binaryKeyToHex(key), hex(value));
    }
  }
  return {
    pieceLength: typeof pieceLength === 'number' ? pieceLength : undefined,
    pieces: isBytes(pieces) ? pieces : undefined,
    piecesRoots,
    pieceLayers,
    infoHashV1: createHash('sha1').update(raw).digest('hex'),
    infoHashV2:
      info.get('meta version') === 2 ? createHash('sha256').update(raw).digest('hex') : undefined,
  };
};

/** Equal byte strings; false when either is missing. */
export const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));

/** Same v2 hashes: pieces roots in order, and the same piece layers. */
export const sameV2 = (a: TorrentFields, b: TorrentFields): boolean =>
  a.piecesRoots.length > 0 &&
  a.piecesRoots.length === b.piecesRoots.length &&
  a.piecesRoots.every((r, i) => r === b.piecesRoots[i]) &&
  a.pieceLayers.size === b.pieceLayers.size &&
  [...a.pieceLayers].every(([k, v]) => b.pieceLayers.get(k) === v);
