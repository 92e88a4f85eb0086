import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { toHex } from '../../lib/bytes.js';
import { nodeHash } from '../../runtime/node-hash.js';
import { checkPieceLayer, fileTreeWidth, merkleRoot, nextPowerOfTwo, padHashes } from './merkle.js';

const h = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest();
};
const leaf = (n: number): Uint8Array => h(new Uint8Array([n]));
const ZERO = new Uint8Array(32);

describe('merkle trees (BEP 52)', () => {
  it('pads missing leaves with 32 zero bytes', () => {
    const root = merkleRoot(nodeHash.sha256, [leaf(1), leaf(2), leaf(3)], 4);
    assert.equal(toHex(root), toHex(h(h(leaf(1), leaf(2)), h(leaf(3), ZERO))));
  });

  it('pads a piece layer with roots of all-zero pieces', () => {
    const pads = padHashes(nodeHash.sha256, 2);
    assert.equal(toHex(pads[2] as Uint8Array), toHex(h(h(ZERO, ZERO), h(ZERO, ZERO))));
    const root = merkleRoot(nodeHash.sha256, [leaf(1)], 2, 2);
    assert.equal(toHex(root), toHex(h(leaf(1), pads[2] as Uint8Array)));
  });

  it('accepts a piece layer that hashes to its root and refuses one that does not', () => {
    const pieceRoots = [leaf(1), leaf(2), leaf(3)];
    const root = merkleRoot(nodeHash.sha256, pieceRoots, 4, 1);
    const layer = Buffer.concat(pieceRoots);
    assert.equal(checkPieceLayer(nodeHash.sha256, layer, root, 32 * 1024), true);
    layer[5] = (layer[5] ?? 0) ^ 1;
    assert.equal(checkPieceLayer(nodeHash.sha256, layer, root, 32 * 1024), false);
  });

  it('sizes trees to the next power of two of the block count', () => {
    assert.equal(nextPowerOfTwo(5), 8);
    assert.equal(nextPowerOfTwo(1), 1);
    assert.equal(fileTreeWidth(16 * 1024 * 3 + 1), 4);
    assert.equal(fileTreeWidth(100), 1);
  });
});
