import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8 } from '../../lib/bytes.js';
import { decodeLsd, encodeLsd } from './lsd-message.js';

describe('LSD announces (BEP 14)', () => {
  it('writes the BT-SEARCH request of BEP 14 and reads it back', () => {
    const a = { port: 6881, infoHashes: [new Uint8Array(20).fill(0xab)], cookie: 'c00k1e' };
    const bytes = encodeLsd(a);
    assert.equal(
      new TextDecoder().decode(bytes),
      `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${'ab'.repeat(20)}\r\ncookie: c00k1e\r\n\r\n\r\n`,
    );
    const r = decodeLsd(bytes);
    assert.ok(r.ok);
    assert.deepEqual(r.value, a);
  });

  it('takes headers in any case and several info-hashes, and refuses what is not an announce', () => {
    const r = decodeLsd(
      utf8(
        `BT-SEARCH * HTTP/1.1\nhost: x\nPORT: 1\ninfohash: ${'00'.repeat(20)}\nInfoHash: ${'ff'.repeat(20)}\n\n`,
      ),
    );
    assert.ok(r.ok);
    assert.equal(r.value.infoHashes.length, 2);
    for (const bad of [
      'GET / HTTP/1.1\r\n\r\n',
      `BT-SEARCH * HTTP/1.1\r\nInfohash: ${'ab'.repeat(20)}\r\n\r\n`,
      'BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n',
      `BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: ${'ab'.repeat(20)}\r\n\r\n`,
      'BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: xyz\r\n\r\n',
    ])
      assert.equal(decodeLsd(utf8(bad)).ok, false, bad);
    assert.equal(decodeLsd(new Uint8Array(2000)).ok, false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodeLsd(b)));
  });
});
