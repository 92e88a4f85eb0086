/**
 * BEP 52 merkle trees: SHA-256 over 16 KiB blocks, leaves beyond the end of a file are 32 zero
 * bytes, and a file's tree is as wide as the next power of two of its block count.
 */
import { concatBytes, equalBytes } from '../../lib/bytes.js';
import type { HashPort } from '../../lib/hash-port.js';

export const BLOCK_SIZE = 16 * 1024;
export const HASH_SIZE = 32;
const ZERO_LEAF = new Uint8Array(HASH_SIZE);

export const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));

export const nextPowerOfTwo = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

// Pads depend only on the hash function: computed once per function, grown on demand.
const padCache = new WeakMap<HashPort['sha256'], Uint8Array[]>();

/** pads[h] is the root of a subtree of 2^h zero leaves. */
export const padHashes = (sha256: HashPort['sha256'], height: number): readonly Uint8Array[] => {
  let pads = padCache.get(sha256);
  if (pads === undefined) {
    pads = [ZERO_LEAF];
    padCache.set(sha256, pads);
  }
  while (pads.length <= height) {
    const below = pads[pads.length - 1] as Uint8Array;
    pads.push(sha256(concatBytes([below, below])));
  }
  return pads;
};

/**
 * Root of a tree whose lowest layer is `layer` padded to `width` (a power of two) with the
 * root of an all-zero subtree of that layer's height (`padHeight`: 0 for block leaves,
 * log2(blocks per piece) for a piece layer).
 */
export const merkleRoot = (
  sha256: HashPort['sha256'],
  layer: readonly Uint8Array[],
  width: number,
  padHeight = 0,
): Uint8Array => {
  if (!isPowerOfTwo(width) || layer.length > width) {
    throw new RangeError(`bad merkle width ${width} for ${layer.length} hashes`);
  }
  const levels = Math.log2(width);
  const pads = padHashes(sha256, padHeight + levels);
  let current: Uint8Array[] = [...layer];
  if (current.length === 0) return pads[padHeight + levels] as Uint8Array;
  const pair = new Uint8Array(HASH_SIZE * 2);
  for (let level = 0; level < levels; level++) {
    const pad = pads[padHeight + level] as Uint8Array;
    const next: Uint8Array[] = [];
    for (let i = 0; i < current.length; i += 2) {
      pair.set(current[i] as Uint8Array, 0);
      pair.set(current[i + 1] ?? pad, HASH_SIZE);
      next.push(sha256(pair));
    }
    current = next;
  }
  return current[0] as Uint8Array;
};

/**
 * Leaf width of the merkle subtree of one piece of a file: a piece's worth of blocks, except
 * that a file of one piece or less has a tree only as wide as its own blocks (BEP 52).
 */
export const pieceTreeWidth = (pieceLength: number, fileLength: number): number =>
  fileLength <= pieceLength
    ? nextPowerOfTwo(Math.ceil(fileLength / BLOCK_SIZE))
    : pieceLength / BLOCK_SIZE;

/** Splits a piece layer (concatenated 32-byte hashes) into its hashes. */
export const splitHashes = (layer: Uint8Array): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let i = 0; i < layer.length; i += HASH_SIZE) out.push(layer.subarray(i, i + HASH_SIZE));
  return out;
};

/** Leaf count of a file's whole tree, BEP 52: next power of two of its 16 KiB blocks. */
export const fileTreeWidth = (length: number): number =>
  nextPowerOfTwo(Math.ceil(length / BLOCK_SIZE));

/**
 * Checks a file's piece layer against its pieces root. The layer holds one hash per piece;
 * the tree above it is padded with roots of all-zero pieces.
 */
export const checkPieceLayer = (
  sha256: HashPort['sha256'],
  layer: Uint8Array,
  piecesRoot: Uint8Array,
  pieceLength: number,
): boolean => {
  const blocksPerPiece = pieceLength / BLOCK_SIZE;
  const hashes = splitHashes(layer);
  const width = nextPowerOfTwo(hashes.length);
  const root = merkleRoot(sha256, hashes, width, Math.log2(blocksPerPiece));
  return equalBytes(root, piecesRoot);
};
