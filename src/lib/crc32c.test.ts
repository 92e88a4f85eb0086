import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8 } from './bytes.js';
import { crc32c } from './crc32c.js';

/** The same CRC computed a bit at a time, straight from the definition. */
const bitwise = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
};

describe('CRC-32C', () => {
  it('gives the check value of "123456789"', () => {
    assert.equal(crc32c(utf8('123456789')), 0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa, '32 zero bytes');
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43, '32 0xff bytes');
    assert.equal(crc32c(ascending), 0x46dd794e, '0..31');
    assert.equal(crc32c(descending), 0x113fdb5c, '31..0');
  });

  it('is 0 for no bytes, and hashes the 4 bytes of a BEP 42 example', () => {
    assert.equal(crc32c(new Uint8Array(0)), 0);
    // 124.31.75.21 masked with 0x030f3fff, r = 1 in the top 3 bits (BEP 42).
    assert.equal(crc32c(new Uint8Array([0x20, 0x0f, 0x0b, 0x15])) >>> 11, 0x5fbfb8 >>> 3);
  });

  it('reads only the bytes of a view', () => {
    const buffer = utf8('xx123456789yy');
    assert.equal(crc32c(buffer.subarray(2, 11)), 0xe3069283);
  });

  it('agrees with a bit-at-a-time computation (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const c = crc32c(b);
        assert.equal(c, bitwise(b));
        assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
      }),
    );
  });
});
