import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../../lib/bytes.js';
import { crc32c } from '../../lib/crc32c.js';
import type { Rng } from '../../lib/ports.js';
import { seededRng } from '../../lib/ports.js';
import { bep42Id, bep42Valid } from './node-id.js';

/** An Rng whose bytes end with `r` (BEP 42 takes r from the id's last byte). */
const withR = (r: number): Rng => ({
  next: () => 0.5,
  fill: (b) => {
    b.fill(0);
    b[b.length - 1] = r;
  },
});

describe('BEP 42 node ids', () => {
  it('computes CRC-32C', () => {
    assert.equal(crc32c(utf8('123456789')), 0xe3069283);
  });

  it('matches the examples of BEP 42 (first 21 bits, and r in the last byte)', () => {
    const examples: Array<[string, number, string]> = [
      ['124.31.75.21', 1, '5fbfb8'],
      ['21.75.31.124', 86, '5a3ce8'],
      ['65.23.51.170', 22, 'a5d430'],
      ['84.124.73.14', 65, '1b0320'],
      ['43.213.53.83', 90, 'e56f68'],
    ];
    for (const [ip, rand, prefix] of examples) {
      const id = bep42Id(ip, withR(rand)) as Uint8Array;
      const got = (
        ((id[0] as number) << 16) |
        ((id[1] as number) << 8) |
        ((id[2] as number) & 0xf8)
      )
        .toString(16)
        .padStart(6, '0');
      assert.equal(got, prefix, ip);
      assert.equal(id[19], rand & 7, `${ip} keeps r`);
      assert.equal(bep42Valid(id, ip), true);
      assert.equal(bep42Valid(id, '1.2.3.4'), false, 'not for another address');
    }
  });

  it('accepts any id from a local address, and checks IPv6 too', () => {
    assert.equal(bep42Valid(new Uint8Array(20).fill(9), '192.168.1.5'), true);
    assert.equal(bep42Valid(new Uint8Array(20).fill(9), '127.0.0.1'), true);
    const id = bep42Id('2001:db8::1', seededRng(3)) as Uint8Array;
    assert.equal(bep42Valid(id, '2001:db8::1'), true);
    assert.equal(bep42Valid(new Uint8Array(20), '2001:db8::1'), false);
  });
});
