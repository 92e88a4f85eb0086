/** The UDP front over real sockets on 127.0.0.1: BEP 15 exchanges, hostile packets, limits. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeUdpResponse,
  encodeUdpRequest,
  type UdpAnnounceRequest,
  type UdpResponse,
} from '../core/tracker-protocol/index.js';
import { ConnectionIds } from '../core/tracker-server/connection-id.js';
import { AddressRateLimiter } from '../core/tracker-server/rate-limiter.js';
import { hashOf, peerIdOf, TestClock } from '../core/tracker-server/testing.js';
import { TrackerCore } from '../core/tracker-server/tracker-core.js';
import type { InfoHashV1 } from '../lib/ids.js';
import { seededRng } from '../lib/ports.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { TrackerServer } from './server.js';
import { UdpProbe } from './testing.js';
import { UdpFront } from './udp-front.js';

const decoded = (reply: Buffer | undefined): UdpResponse => {
  assert.ok(reply !== undefined, 'no reply');
  const r = decodeUdpResponse(new Uint8Array(reply));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
};

const connect = async (probe: UdpProbe, port: number): Promise<bigint> => {
  const r = decoded(
    await probe.exchange(encodeUdpRequest({ action: 'connect', transactionId: 77 }), port),
  );
  assert.ok(r.action === 'connect' && r.transactionId === 77);
  return r.connectionId;
};

const announcePacket = (connectionId: bigint, n: number, extra: Partial<UdpAnnounceRequest> = {}) =>
  encodeUdpRequest({
    action: 'announce',
    connectionId,
    transactionId: 1000 + n,
    infoHash: hashOf(1) as InfoHashV1,
    peerId: peerIdOf(n),
    downloaded: 0,
    left: 10,
    uploaded: 0,
    event: 'started',
    key: 1,
    numWant: -1,
    port: 7000 + n,
    ...extra,
  });

describe('UDP tracker (BEP 15)', () => {
  let server: TrackerServer;
  let port: number;
  let probe: UdpProbe;
  before(async () => {
    server = await TrackerServer.start({ httpPort: null, udpPort: 0 });
    port = server.udpPort as number;
    probe = await UdpProbe.open();
  });
  after(async () => {
    await probe.close();
    await server.close();
  });

  it('connects, announces and scrapes, replies no bigger than numwant needs', async () => {
    const id = await connect(probe, port);
    for (let n = 1; n <= 30; n++) {
      const r = decoded(await probe.exchange(announcePacket(id, n), port));
      assert.ok(r.action === 'announce' && r.transactionId === 1000 + n);
      assert.equal(r.peers.length, n - 1, 'never the requester itself');
    }
    const one = await probe.exchange(announcePacket(id, 31, { numWant: 1 }), port);
    assert.equal(one?.length, 20 + 6);
    const none = await probe.exchange(
      announcePacket(id, 31, { numWant: 0, event: 'stopped' }),
      port,
    );
    assert.equal(none?.length, 20);
    const scrape = decoded(
      await probe.exchange(
        encodeUdpRequest({
          action: 'scrape',
          connectionId: id,
          transactionId: 5,
          infoHashes: [hashOf(1), hashOf(2)] as InfoHashV1[],
        }),
        port,
      ),
    );
    assert.ok(scrape.action === 'scrape');
    assert.deepEqual(scrape.files, [
      { seeders: 0, completed: 0, leechers: 30 },
      { seeders: 0, completed: 0, leechers: 0 },
    ]);
  });

  it('tolerates BEP 41 options: URLData, NOP and unknown ones', async () => {
    const id = await connect(probe, port);
    const packet = announcePacket(id, 40, { urlData: '/announce/some-key?x=1' });
    const withOptions = new Uint8Array(packet.length + 5);
    withOptions.set(packet);
    withOptions.set([0x01, 0x09, 0x02, 0xaa, 0xbb], packet.length); // NOP, unknown option, ...
    const r = decoded(await probe.exchange(withOptions, port));
    assert.ok(r.action === 'announce');
  });

  it('answers a wrong or foreign connection id with an error packet', async () => {
    const r = decoded(await probe.exchange(announcePacket(123456789n, 50), port));
    assert.ok(r.action === 'error' && r.transactionId === 1050);
    assert.match(r.message, /connection id/);
  });

  it('answers malformed packets with short error packets or not at all, and keeps serving', async () => {
    const id = await connect(probe, port);
    const hostile: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array(15),
      Uint8Array.of(0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 9, 1, 2, 3, 4), // unknown action
      Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 1, 2, 3, 4), // connect, wrong magic
      announcePacket(id, 60).subarray(0, 97), // truncated announce
      announcePacket(id, 60, { port: 0 }),
      announcePacket(id, 60).fill(0xff, 80, 84), // unknown event
      new Uint8Array(5000),
    ];
    for (let seed = 1; seed <= 40; seed++) hostile.push(pseudoRandomBytes(16 + seed * 7, seed));
    for (const packet of hostile) {
      // A probe per packet, so that a late reply cannot pass for the reply to the next one.
      const own = await UdpProbe.open();
      const reply = await own.exchange(packet, port, 500).finally(() => own.close());
      if (reply === undefined) continue;
      assert.ok(
        reply.length <= Math.max(packet.length, 16),
        `reply of ${reply.length} to ${packet.length} bytes`,
      );
      const r = decoded(reply);
      assert.ok(r.action === 'error' || r.action === 'connect', r.action);
    }
    await connect(probe, port);
    assert.equal(server.core.totals().peers, 31, 'no hostile packet added a peer');
  });
});

describe('UDP rate limit', () => {
  it('drops packets over the per-address limit, unanswered', async () => {
    const server = await TrackerServer.start({
      httpPort: null,
      udpPort: 0,
      rateLimit: { perSecond: 1, burst: 5 },
    });
    const probe = await UdpProbe.open();
    try {
      for (let i = 0; i < 20; i++)
        probe.send(
          encodeUdpRequest({ action: 'connect', transactionId: i }),
          server.udpPort as number,
        );
      await probe.nextReply(19, 300);
      assert.equal(probe.replies.length, 5);
      assert.equal(server.limiter.refused, 15);
    } finally {
      await probe.close();
      await server.close();
    }
  });
});

describe('UDP front, in-process (property)', () => {
  it('never throws, and never answers with more than the request asked for', () => {
    const clock = new TestClock();
    const core = new TrackerCore({ clock, rng: seededRng(1) });
    const ids = new ConnectionIds(new Uint8Array(16).fill(3));
    const limiter = new AddressRateLimiter({ perSecond: 1e9, burst: 1e9, maxAddresses: 10 });
    const front = new UdpFront({ core, connectionIds: ids, limiter });
    const id = ids.issue({ family: 'ipv4', bytes: Uint8Array.of(127, 0, 0, 1) }, 5000, clock.now());
    for (let n = 1; n <= 300; n++) front.handle(announcePacket(id, n), '127.0.0.1', 5000);
    const valid = announcePacket(id, 999);
    const packet = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .record({
          at: fc.nat(valid.length - 1),
          byte: fc.integer({ min: 0, max: 255 }),
          cut: fc.nat(valid.length + 40),
        })
        .map(({ at, byte, cut }) => {
          const p = new Uint8Array(cut);
          p.set(valid.subarray(0, cut));
          if (at < cut) p[at] = byte;
          return p;
        }),
    );
    fc.assert(
      fc.property(
        packet,
        fc.constantFrom('127.0.0.1', '::ffff:127.0.0.1', '::1', 'junk'),
        (p, address) => {
          const reply = front.handle(p, address, 5000);
          if (reply === undefined) return;
          const r = decodeUdpResponse(reply, address === '::1' ? 'ipv6' : 'ipv4');
          assert.ok(r.ok, r.ok ? '' : r.error.message);
          if (r.value.action === 'announce') {
            const asked = new DataView(p.buffer, p.byteOffset).getInt32(92);
            const cap = asked < 0 ? 50 : Math.min(asked, 200);
            assert.ok(
              r.value.peers.length <= cap,
              `${r.value.peers.length} peers for numwant ${asked}`,
            );
          } else if (r.value.action === 'scrape') {
            assert.equal(reply.length, 8 + 12 * ((p.length - 16) / 20));
          } else {
            assert.ok(
              reply.length <= Math.max(p.length, 16),
              `${reply.length} bytes for ${p.length}`,
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
