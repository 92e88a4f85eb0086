import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../lib/bytes.js';
import { type NodeId, nodeId } from '../../lib/ids.js';
import { type Rng, seededRng } from '../../lib/ports.js';
import { formatIp, ipFromBytes } from '../tracker-protocol/address.js';
import {
  bep42Exempt,
  bep42Id,
  bep42Valid,
  commonPrefixBits,
  randomIdInBucket,
  xorDistanceCompare,
} from './node-id.js';

const id = (hex: string): NodeId => nodeId(fromHex(hex.padEnd(40, '0')) as Uint8Array) as NodeId;
const big = (b: Uint8Array): bigint => BigInt(`0x${toHex(b)}`);
const anyId = fc.uint8Array({ minLength: 20, maxLength: 20 });

/** An Rng that hands out exactly these bytes. */
const bytesRng = (bytes: Uint8Array): Rng => ({
  next: () => 0.5,
  fill: (b) => b.set(bytes.subarray(0, b.length)),
});

/** BEP 42's test vectors: address, rand, and the example node id given for them. */
const BEP42_EXAMPLES: Array<[string, number, string]> = [
  ['124.31.75.21', 1, '5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'],
  ['21.75.31.124', 86, '5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'],
  ['65.23.51.170', 22, 'a5d43220bc8f112a3d426c84764f8c2a1150e616'],
  ['84.124.73.14', 65, '1b0321dd1bb1fe518101ceef99462b947a01ff41'],
  ['43.213.53.83', 90, 'e56f6cbf5b7c4be0237986d5243b87aa6d51305a'],
];

const publicV4 = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((b) => formatIp(ipFromBytes(b) as NonNullable<ReturnType<typeof ipFromBytes>>))
  .filter((host) => !bep42Exempt(host));
const publicV6 = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => formatIp(ipFromBytes(b) as NonNullable<ReturnType<typeof ipFromBytes>>))
  .filter((host) => !bep42Exempt(host) && !host.startsWith('::ffff:'));

describe('XOR metric (BEP 5)', () => {
  it('tells which of two ids is closer to a target', () => {
    const target = id('80');
    assert.equal(xorDistanceCompare(id('81'), id('c0'), target), -1);
    assert.equal(xorDistanceCompare(id('c0'), id('81'), target), 1);
    assert.equal(xorDistanceCompare(id('7f'), id('ff'), target), 1, 'the top bit weighs most');
    assert.equal(xorDistanceCompare(id('81'), id('81'), target), 0);
    assert.equal(xorDistanceCompare(target, id('81'), target), -1, 'the target itself is closest');
  });

  it('orders as the XOR distances do, as 160-bit numbers (property)', () => {
    fc.assert(
      fc.property(anyId, anyId, anyId, (a, b, t) => {
        const da = big(a) ^ big(t);
        const db = big(b) ^ big(t);
        assert.equal(xorDistanceCompare(a, b, t), da < db ? -1 : da > db ? 1 : 0);
        assert.equal(xorDistanceCompare(b, a, t), -xorDistanceCompare(a, b, t) || 0);
      }),
    );
  });

  it('counts the leading bits two ids share', () => {
    assert.equal(commonPrefixBits(id('00'), id('80')), 0);
    assert.equal(commonPrefixBits(id('00'), id('01')), 7);
    assert.equal(commonPrefixBits(id('ff00'), id('ff80')), 8);
    assert.equal(commonPrefixBits(id('ab'), id('ab')), 160);
    const last = id('');
    const other = Uint8Array.from(last);
    other[19] = 1;
    assert.equal(commonPrefixBits(last, other), 159);
  });

  it('counts shared bits as the XOR of the ids says (property)', () => {
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        const x = big(a) ^ big(b);
        assert.equal(commonPrefixBits(a, b), x === 0n ? 160 : 160 - x.toString(2).length);
      }),
    );
  });
});

describe('random ids for bucket refreshes', () => {
  it('shares exactly the asked number of leading bits with our id (property)', () => {
    fc.assert(
      fc.property(anyId, fc.integer({ min: 0, max: 160 }), fc.integer(), (own, prefix, seed) => {
        const r = randomIdInBucket(own as NodeId, prefix, seededRng(seed));
        assert.equal(r.length, 20);
        assert.equal(commonPrefixBits(r, own), prefix);
      }),
    );
  });

  it('clamps the prefix to 0..160, and returns a copy of our id for 160', () => {
    const own = id('0123456789abcdef');
    assert.equal(commonPrefixBits(randomIdInBucket(own, -3, seededRng(1)), own), 0);
    const whole = randomIdInBucket(own, 999, seededRng(1));
    assert.deepEqual(whole, own);
    assert.notEqual(whole, own, 'a copy, not our id itself');
  });

  it('draws the bits after the prefix from the Rng', () => {
    const own = id('');
    const a = randomIdInBucket(own, 10, seededRng(1));
    const b = randomIdInBucket(own, 10, seededRng(2));
    assert.notDeepEqual(a, b);
    assert.deepEqual(a, randomIdInBucket(own, 10, seededRng(1)), 'the same seed, the same id');
  });
});

describe('BEP 42 node ids', () => {
  it('builds the example ids of BEP 42 from their address and random bytes', () => {
    for (const [ip, rand, example] of BEP42_EXAMPLES) {
      const bytes = fromHex(example) as Uint8Array;
      assert.equal(bytes[19], rand, `${ip}: the example ends in rand`);
      const made = bep42Id(ip, bytesRng(bytes));
      // The first 21 bits come from the CRC; with the example's random bits the ids are equal.
      assert.equal(made === undefined ? undefined : toHex(made), example, ip);
      assert.equal(bep42Valid(bytes, ip), true, `${ip}: the example id is valid`);
    }
  });

  it('takes the first 21 bits from the address and r, and keeps rand as the last byte', () => {
    for (const [ip, rand, example] of BEP42_EXAMPLES) {
      const zeros = new Uint8Array(20);
      zeros[19] = rand;
      const made = bep42Id(ip, bytesRng(zeros)) as NodeId;
      const prefix = (fromHex(example) as Uint8Array).subarray(0, 3);
      assert.equal(made[0], prefix[0], ip);
      assert.equal(made[1], prefix[1], ip);
      assert.equal(made[2], (prefix[2] as number) & 0xf8, `${ip}: 5 bits of the third byte`);
      assert.equal(made[19], rand, `${ip}: the last byte`);
      assert.deepEqual(made.subarray(3, 19), new Uint8Array(16), 'the rest as the Rng gave it');
    }
  });

  it('refuses an example id for another address, or with another r', () => {
    for (const [ip, , example] of BEP42_EXAMPLES) {
      const bytes = fromHex(example) as Uint8Array;
      assert.equal(bep42Valid(bytes, '1.2.3.4'), false, `${ip} id from 1.2.3.4`);
      const otherR = Uint8Array.from(bytes);
      otherR[19] = (bytes[19] as number) ^ 0x01;
      assert.equal(bep42Valid(otherR, ip), false, `${ip} with r changed`);
      const highBits = Uint8Array.from(bytes);
      highBits[19] = (bytes[19] as number) ^ 0xf8;
      assert.equal(bep42Valid(highBits, ip), true, `${ip}: only the low 3 bits of rand count`);
    }
  });

  it('accepts its own ids and refuses them with any of the first 21 bits flipped (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(publicV4, publicV6),
        fc.integer(),
        fc.integer({ min: 0, max: 20 }),
        (ip, seed, bit) => {
          const made = bep42Id(ip, seededRng(seed)) as NodeId;
          assert.equal(bep42Valid(made, ip), true);
          const flipped = Uint8Array.from(made);
          flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (0x80 >> (bit & 7));
          assert.equal(bep42Valid(flipped, ip), false);
          const free = Uint8Array.from(made);
          free[2] = (free[2] as number) ^ 0x07;
          free[10] = (free[10] as number) ^ 0xff;
          assert.equal(bep42Valid(free, ip), true, 'the random bits are free');
        },
      ),
    );
  });

  it('reads only the first 64 bits of an IPv6 address', () => {
    const made = bep42Id('2001:db8:1:2::1', seededRng(5)) as NodeId;
    assert.equal(bep42Valid(made, '2001:db8:1:2:ffff:ffff:ffff:ffff'), true);
    assert.equal(bep42Valid(new Uint8Array(20), '2001:db8:1:2::1'), false);
  });

  it('reads an IPv4-mapped IPv6 address as the IPv4 one', () => {
    const bytes = fromHex(BEP42_EXAMPLES[0]?.[2] as string) as Uint8Array;
    assert.equal(bep42Valid(bytes, '::ffff:124.31.75.21'), true);
    assert.equal(bep42Exempt('::ffff:192.168.0.1'), true);
  });

  it('exempts the local networks BEP 42 lists, and their IPv6 counterparts', () => {
    const exempt = [
      '10.0.0.0',
      '10.255.255.255',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.5',
      '169.254.0.1',
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'febf::1',
    ];
    const notExempt = [
      '9.255.255.255',
      '11.0.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.167.0.1',
      '192.169.0.1',
      '169.253.0.1',
      '128.0.0.1',
      '124.31.75.21',
      '::2',
      'fe00::1',
      'fec0::1',
      '2001:db8::1',
    ];
    const anyBytes = new Uint8Array(20).fill(9);
    for (const host of exempt) {
      assert.equal(bep42Exempt(host), true, host);
      assert.equal(bep42Valid(anyBytes, host), true, host);
    }
    for (const host of notExempt) {
      assert.equal(bep42Exempt(host), false, host);
      assert.equal(bep42Valid(anyBytes, host), false, host);
    }
  });

  it('gives no id for text that is not an address, and refuses ids of the wrong length', () => {
    assert.equal(bep42Id('example.org', seededRng(1)), undefined);
    assert.equal(bep42Id('1.2.3.256', seededRng(1)), undefined);
    assert.equal(bep42Valid(new Uint8Array(20), 'example.org'), false);
    assert.equal(bep42Exempt('example.org'), false);
    const made = bep42Id('124.31.75.21', seededRng(1)) as NodeId;
    assert.equal(bep42Valid(made.subarray(0, 19), '124.31.75.21'), false);
    assert.equal(bep42Valid(new Uint8Array(19), '10.0.0.1'), false, 'even from a local address');
  });
});
