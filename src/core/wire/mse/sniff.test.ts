import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InfoHashV1 } from '../../../lib/ids.js';
import { seededRng } from '../../../lib/ports.js';
import { encodeHandshake, type PeerId } from '../handshake.js';
import { generateKeyPair } from './dh.js';
import { sniffIncoming } from './sniff.js';

describe('telling a plaintext handshake from an MSE one', () => {
  const plain = encodeHandshake(
    new Uint8Array(20).fill(1) as InfoHashV1,
    new Uint8Array(20).fill(2) as PeerId,
  );

  it('knows a plaintext BitTorrent handshake by its 20 first bytes', () => {
    assert.equal(sniffIncoming(plain), 'plaintext');
    assert.equal(sniffIncoming(plain.subarray(0, 20)), 'plaintext');
    for (let n = 0; n < 20; n++) assert.equal(sniffIncoming(plain.subarray(0, n)), 'need-more');
  });

  it('knows an MSE handshake as soon as a byte differs', () => {
    assert.equal(sniffIncoming(new Uint8Array([0x14])), 'encrypted');
    assert.equal(sniffIncoming(new Uint8Array([19, 66, 0])), 'encrypted');
    const almost = plain.slice(0, 20);
    almost[19] = 0;
    assert.equal(sniffIncoming(almost), 'encrypted');
    const rng = seededRng(3);
    for (let i = 0; i < 50; i++) {
      assert.equal(sniffIncoming(generateKeyPair(rng).publicKey), 'encrypted');
    }
  });
});
