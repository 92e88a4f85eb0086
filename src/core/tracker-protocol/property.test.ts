/** Property tests for the byte-level codecs: addresses, compact peers, percent-encoding, UDP. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import {
  formatIp,
  type IpAddress,
  type IpFamily,
  type Ipv4Address,
  type PeerAddress,
  parseIp,
  parseIpv4,
  parseIpv6,
} from './address.js';
import { compactPeerBytes, decodeCompactPeers, encodeCompactPeers } from './compact.js';
import { percentDecode, percentEncode } from './query.js';
import {
  decodeUdpRequest,
  decodeUdpResponse,
  encodeUdpRequest,
  encodeUdpResponse,
  type UdpRequest,
  type UdpResponse,
} from './udp.js';

/** Records with an ordinary prototype, so deepStrictEqual compares them with decoded ones. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const ipv4Arb: fc.Arbitrary<Ipv4Address> = bytesN(4).map((bytes) => ({ family: 'ipv4', bytes }));
const ipv6Arb: fc.Arbitrary<IpAddress> = bytesN(16).map((bytes) => ({ family: 'ipv6', bytes }));
const portArb = fc.integer({ min: 0, max: 65535 });
const peerArb = (family: IpFamily): fc.Arbitrary<PeerAddress> =>
  rec({ ip: family === 'ipv4' ? ipv4Arb : ipv6Arb, port: portArb });
const hashArb: fc.Arbitrary<InfoHashV1> = bytesN(20).map((b) => infoHashV1(b) as InfoHashV1);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

/** Whatever the input, a Result comes back, and an error has the one expected code. */
const wellBehaved = <T>(r: Result<T, ErrorValue>, ...codes: string[]): void => {
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.ok(codes.includes(r.error.code), r.error.code);
};

describe('property: addresses', () => {
  it('formats any dotted quad back to itself', () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => assert.equal(formatIp(parseIpv4(text) as IpAddress), text)),
    );
  });

  it('parses every IPv6 text form and formats it to text that parses to the same bytes', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const ip = parseIpv6(text);
        assert.ok(ip !== undefined, text);
        const canonical = formatIp(ip);
        assert.deepEqual(parseIp(canonical)?.bytes, ip.bytes);
        assert.equal(formatIp(parseIp(canonical) as IpAddress), canonical);
      }),
    );
  });

  it('formats any 16 bytes to canonical text that parses back to them', () => {
    fc.assert(
      fc.property(ipv6Arb, (ip) => {
        const text = formatIp(ip);
        assert.equal(text, text.toLowerCase());
        assert.deepEqual(parseIpv6(text)?.bytes, ip.bytes);
      }),
    );
  });

  it('never throws on arbitrary text, and what it accepts round-trips', () => {
    const text = fc.oneof(
      fc.string(),
      fc
        .array(fc.constantFrom(...'0123456789abcdefABCDEF:.%[]'), { maxLength: 50 })
        .map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, (t) => {
        const ip = parseIp(t);
        if (ip !== undefined) assert.deepEqual(parseIp(formatIp(ip))?.bytes, ip.bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: compact peers', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`decodes what it encodes (${family})`, () => {
      fc.assert(
        fc.property(fc.array(peerArb(family), { maxLength: 50 }), (peers) => {
          const r = decodeCompactPeers(encodeCompactPeers(peers, family), family);
          assert.ok(r.ok);
          assert.deepEqual(r.value, peers);
        }),
      );
    });

    it(`never throws on arbitrary bytes and accepts exactly whole entries (${family})`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          const r = decodeCompactPeers(bytes, family);
          wellBehaved(r, 'TRACKER_BAD_RESPONSE');
          assert.equal(r.ok, bytes.length % compactPeerBytes(family) === 0);
        }),
      );
    });
  }
});

describe('property: percent-encoding', () => {
  it('decodes what it encodes, and encodes only unreserved characters and escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = percentEncode(bytes);
        assert.match(text, /^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
        assert.deepEqual(percentDecode(text), bytes);
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => void percentDecode(text)));
  });
});

const announceRequestArb: fc.Arbitrary<UdpRequest> = fc.record(
  {
    action: fc.constant('announce' as const),
    connectionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    transactionId: u32,
    infoHash: hashArb,
    peerId: bytesN(20),
    downloaded: fc.maxSafeNat(),
    left: fc.maxSafeNat(),
    uploaded: fc.maxSafeNat(),
    event: fc.constantFrom('none', 'completed', 'started', 'stopped'),
    ip: ipv4Arb.filter((ip) => ip.bytes.some((b) => b !== 0)),
    key: u32,
    numWant: i32,
    port: fc.integer({ min: 1, max: 65535 }),
    urlData: fc.uint8Array({ minLength: 1, maxLength: 1024 }).map(bytesToBinary),
  },
  {
    noNullPrototype: true,
    requiredKeys: [
      'action',
      'connectionId',
      'transactionId',
      'infoHash',
      'peerId',
      'downloaded',
      'left',
      'uploaded',
      'event',
      'key',
      'numWant',
      'port',
    ],
  },
);

const requestArb: fc.Arbitrary<UdpRequest> = fc.oneof(
  rec({ action: fc.constant('connect' as const), transactionId: u32 }),
  announceRequestArb,
  rec({
    action: fc.constant('scrape' as const),
    connectionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    transactionId: u32,
    infoHashes: fc.array(hashArb, { minLength: 1, maxLength: 74 }),
  }),
);

const responseArb = (family: IpFamily): fc.Arbitrary<UdpResponse> =>
  fc.oneof(
    rec({
      action: fc.constant('connect' as const),
      transactionId: u32,
      connectionId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    rec({
      action: fc.constant('announce' as const),
      transactionId: u32,
      interval: u32,
      leechers: u32,
      seeders: u32,
      peers: fc.array(peerArb(family), { maxLength: 200 }),
    }),
    rec({
      action: fc.constant('scrape' as const),
      transactionId: u32,
      files: fc.array(rec({ seeders: u32, completed: u32, leechers: u32 }), { maxLength: 74 }),
    }),
    rec({
      action: fc.constant('error' as const),
      transactionId: u32,
      message: fc.string({ unit: 'grapheme', maxLength: 100 }).filter((m) => !m.endsWith('\0')),
    }),
  );

/** Valid packets, then cut, extended or with bytes overwritten. */
const mutated = (packets: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(
      packets,
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([packet, cut, writes, tail]) => {
      const out = Uint8Array.from([...packet.subarray(0, cut % (packet.length + 1)), ...tail]);
      for (const [at, value] of writes) if (out.length > 0) out[at % out.length] = value;
      return out;
    });

describe('property: UDP packets', () => {
  it('decodes every request it encodes', () => {
    fc.assert(
      fc.property(requestArb, (r) =>
        assert.deepEqual(decodeUdpRequest(encodeUdpRequest(r)), { ok: true, value: r }),
      ),
    );
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`decodes every response it encodes (${family})`, () => {
      fc.assert(
        fc.property(responseArb(family), (r) => {
          assert.deepEqual(decodeUdpResponse(encodeUdpResponse(r, family), family), {
            ok: true,
            value: r,
          });
        }),
      );
    });
  }

  it('never throws on arbitrary bytes, answering only TRACKER_BAD_PACKET', () => {
    const withAction = fc
      .tuple(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 4 }))
      .map(([bytes, action]) => {
        const out = Uint8Array.from(bytes);
        if (out.length >= 12) out[11] = action;
        if (out.length >= 4) out[3] = action;
        return out;
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), withAction),
        fc.constantFrom<IpFamily>('ipv4', 'ipv6'),
        (bytes, family) => {
          wellBehaved(decodeUdpRequest(bytes), 'TRACKER_BAD_PACKET');
          wellBehaved(decodeUdpResponse(bytes, family), 'TRACKER_BAD_PACKET');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on damaged valid packets', () => {
    fc.assert(
      fc.property(mutated(requestArb.map(encodeUdpRequest)), (bytes) =>
        wellBehaved(decodeUdpRequest(bytes), 'TRACKER_BAD_PACKET'),
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(mutated(responseArb('ipv4').map((r) => encodeUdpResponse(r))), (bytes) =>
        wellBehaved(decodeUdpResponse(bytes), 'TRACKER_BAD_PACKET'),
      ),
      { numRuns: 1000 },
    );
  });
});
