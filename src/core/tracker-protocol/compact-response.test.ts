import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PeerAddress } from './address.js';
import { encodeCompactPeers } from './compact.js';
import { encodeCompactAnnounceBody, encodeUdpAnnounceBody } from './compact-response.js';
import { encodeAnnounceResponse, parseAnnounceResponse } from './http-response.js';
import { decodeUdpResponse, encodeUdpResponse } from './udp.js';

const peer = fc.oneof(
  fc.record({
    ip: fc
      .uint8Array({ minLength: 4, maxLength: 4 })
      .map((bytes) => ({ family: 'ipv4' as const, bytes })),
    port: fc.integer({ min: 1, max: 65535 }),
  }),
  fc.record({
    ip: fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((bytes) => ({ family: 'ipv6' as const, bytes })),
    port: fc.integer({ min: 1, max: 65535 }),
  }),
);
const count = fc.integer({ min: 0, max: 2 ** 31 });

describe('compact announce responses from encoded peers', () => {
  it('are byte-identical to encodeAnnounceResponse (HTTP, compact)', () => {
    fc.assert(
      fc.property(
        fc.array(peer, { maxLength: 30 }),
        count,
        count,
        count,
        fc.option(count, { nil: undefined }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        (peers: PeerAddress[], interval, complete, incomplete, minInterval, warning) => {
          const fast = encodeCompactAnnounceBody(
            { interval, minInterval, complete, incomplete, warning },
            encodeCompactPeers(peers, 'ipv4'),
            encodeCompactPeers(peers, 'ipv6'),
          );
          const slow = encodeAnnounceResponse(
            { interval, minInterval, complete, incomplete, warning, peers },
            { compact: true, noPeerId: false },
          );
          assert.ok(slow.ok);
          assert.deepEqual(fast, slow.value);
          const parsed = parseAnnounceResponse(fast);
          assert.ok(parsed.ok);
          assert.equal(parsed.value.peers.length, peers.length);
        },
      ),
    );
  });

  it('are byte-identical to encodeUdpResponse (BEP 15)', () => {
    fc.assert(
      fc.property(
        fc.array(peer, { maxLength: 30 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.constantFrom('ipv4' as const, 'ipv6' as const),
        (peers: PeerAddress[], transactionId, family) => {
          const fast = encodeUdpAnnounceBody(
            transactionId,
            1800,
            3,
            4,
            encodeCompactPeers(peers, family),
          );
          const slow = encodeUdpResponse(
            { action: 'announce', transactionId, interval: 1800, leechers: 3, seeders: 4, peers },
            family,
          );
          assert.deepEqual(fast, slow);
          assert.ok(decodeUdpResponse(fast, family).ok);
        },
      ),
    );
  });
});
