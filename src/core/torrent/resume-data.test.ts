import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bitfield } from '../../lib/bitfield.js';
import { toHex } from '../../lib/bytes.js';
import { decodeResume, encodeResume } from './resume-data.js';

const hash = new Uint8Array(20).fill(7);
const expect = { infoHash: hash, pieceCount: 10 };

describe('resume data', () => {
  it('round-trips the verified pieces', () => {
    const have = new Bitfield(10);
    have.set(0);
    have.set(9);
    const back = decodeResume(encodeResume({ infoHash: toHex(hash), have }), expect);
    assert.deepEqual([...(back?.have.bytes ?? [])], [...have.bytes]);
  });

  it('ignores resume data of another torrent, another size, or garbage', () => {
    const have = new Bitfield(10);
    const good = { infoHash: toHex(hash), have };
    assert.equal(
      decodeResume(encodeResume({ ...good, infoHash: 'ab'.repeat(20) }), expect),
      undefined,
    );
    assert.equal(
      decodeResume(encodeResume({ ...good, have: new Bitfield(17) }), expect),
      undefined,
    );
    assert.equal(decodeResume(new TextEncoder().encode('d4:junki1ee'), expect), undefined);
    assert.equal(decodeResume(encodeResume(good).subarray(0, 30), expect), undefined);
  });
});
