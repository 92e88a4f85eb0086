/** BEP 15 exchanges against an in-process fake UDP tracker on 127.0.0.1. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { encodeUdpResponse, formatPeerAddress } from '../../core/tracker-protocol/index.js';
import { utf8 } from '../../lib/bytes.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import { seededRng } from '../../lib/ports.js';
import {
  type FakeUdpTracker,
  rejectsWith,
  startFakeUdpTracker,
  udpSwarmHandler,
} from './testing.js';
import { type UdpAnnounceParams, UdpTrackerClient, type UdpTrackerOptions } from './udp-tracker.js';

const HASH = infoHashV1(new Uint8Array(20).fill(0xcd)) as InfoHashV1;
const params = (port: number, extra: Partial<UdpAnnounceParams> = {}): UdpAnnounceParams => ({
  infoHash: HASH,
  peerId: utf8('-FS0001-abcdefghijkl'),
  port,
  uploaded: 10,
  downloaded: 20,
  left: 30,
  event: 'started',
  key: 0xdeadbeef,
  numWant: 50,
  ...extra,
});

const actions = (t: FakeUdpTracker): string[] => t.received.map((r) => r.request.action);

describe('udp tracker client', () => {
  let tracker: FakeUdpTracker;
  let client: UdpTrackerClient;
  let seed = 1;
  const newClient = (options: Partial<UdpTrackerOptions> = {}): UdpTrackerClient =>
    new UdpTrackerClient({ rng: seededRng(seed++), baseTimeoutMs: 100, maxTries: 3, ...options });

  before(async () => {
    tracker = await startFakeUdpTracker();
  });
  beforeEach(() => {
    tracker.handle = udpSwarmHandler;
    tracker.drop = 0;
    tracker.connectionId = 0x0123_4567_89ab_cdefn;
    tracker.received.length = 0;
    client = newClient();
  });
  afterEach(() => client.close());
  after(() => tracker.close());

  it('connects, announces and reads the peers, reusing the connection id', async () => {
    await client.announce(tracker.url, params(8001));
    const r = await client.announce(tracker.url, params(8002));
    assert.equal(r.interval, 1800);
    assert.deepEqual(r.peers.map(formatPeerAddress), ['127.0.0.1:8001']);
    assert.deepEqual(actions(tracker), ['connect', 'announce', 'announce']);
    const a = tracker.received[2]?.request;
    assert.ok(a?.action === 'announce');
    assert.deepEqual(
      [a.port, a.event, a.key, a.numWant, a.left, a.uploaded, a.downloaded, a.urlData],
      [8002, 'started', 0xdeadbeef, 50, 30, 10, 20, '/announce'],
    );
  });

  it('connects again once the connection id is a minute old', async () => {
    let now = 0;
    await client.close();
    client = newClient({ clock: { now: () => now } });
    await client.announce(tracker.url, params(8003));
    now += 59_000;
    await client.announce(tracker.url, params(8003));
    now += 1_000;
    await client.announce(tracker.url, params(8003));
    assert.deepEqual(actions(tracker), ['connect', 'announce', 'announce', 'connect', 'announce']);
  });

  it('retransmits after a time-out when a packet is lost', async () => {
    tracker.drop = 1;
    const t0 = performance.now();
    const r = await client.announce(tracker.url, params(8004));
    const took = performance.now() - t0;
    assert.equal(r.interval, 1800);
    assert.deepEqual(actions(tracker), ['connect', 'connect', 'announce']);
    assert.ok(took >= 90, `answered after ${took} ms, before the first time-out`);
    // The announce is lost too: its retry waits twice as long (BEP 15: 15 * 2^n).
    tracker.received.length = 0;
    await client.close();
    client = newClient();
    tracker.handle = (seen, t) => {
      if (
        seen.request.action === 'announce' &&
        t.received.filter((x) => x.request.action === 'announce').length === 1
      ) {
        return undefined;
      }
      return udpSwarmHandler(seen, t);
    };
    const t1 = performance.now();
    await client.announce(tracker.url, params(8004));
    const took2 = performance.now() - t1;
    assert.deepEqual(actions(tracker), ['connect', 'announce', 'announce']);
    assert.ok(took2 >= 90 && took2 < 1000, `${took2} ms`);
  });

  it('gives up with IO_FAILED after the last try, waiting 1 + 2 + 4 time-outs', async () => {
    tracker.handle = () => undefined;
    const t0 = performance.now();
    const e = await rejectsWith(() => client.announce(tracker.url, params(8005)), 'IO_FAILED');
    const took = performance.now() - t0;
    assert.match(e.message, /did not answer after 3 tries/);
    assert.deepEqual(actions(tracker), ['connect', 'connect', 'connect']);
    assert.ok(took >= 690 && took < 2000, `took ${took} ms`);
  });

  it('turns an error packet into TRACKER_FAILURE with its text', async () => {
    tracker.handle = ({ request }) => ({
      action: 'error',
      transactionId: request.transactionId,
      message: 'Requested download is not authorized for use with this tracker.',
    });
    const e = await rejectsWith(
      () => client.announce(tracker.url, params(8006)),
      'TRACKER_FAILURE',
    );
    assert.match(e.message, /not authorized/);
  });

  it("reads opentracker's empty announce reply as a refusal (TRACKER_FAILURE)", async () => {
    tracker.handle = (seen, t) => {
      if (seen.request.action !== 'announce') return udpSwarmHandler(seen, t);
      const packet = new Uint8Array(8);
      new DataView(packet.buffer).setUint32(0, 1);
      new DataView(packet.buffer).setUint32(4, seen.request.transactionId);
      return packet;
    };
    const e = await rejectsWith(
      () => client.announce(tracker.url, params(8006)),
      'TRACKER_FAILURE',
    );
    assert.match(e.message, /refused the announce/);
  });

  it('drops the connection id after an error, so the next announce connects again', async () => {
    await client.announce(tracker.url, params(8007));
    tracker.connectionId = 42n;
    await rejectsWith(() => client.announce(tracker.url, params(8007)), 'TRACKER_FAILURE');
    await client.announce(tracker.url, params(8007));
    assert.deepEqual(actions(tracker), ['connect', 'announce', 'announce', 'connect', 'announce']);
  });

  it('refuses a malformed reply with TRACKER_BAD_PACKET', async () => {
    tracker.handle = (seen, t) => {
      if (seen.request.action !== 'announce') return udpSwarmHandler(seen, t);
      const good = encodeUdpResponse({
        action: 'announce',
        transactionId: seen.request.transactionId,
        interval: 1,
        leechers: 0,
        seeders: 0,
        peers: [],
      });
      return Uint8Array.from([...good, 1, 2, 3]);
    };
    await rejectsWith(() => client.announce(tracker.url, params(8008)), 'TRACKER_BAD_PACKET');
    tracker.handle = ({ request }) =>
      request.action === 'connect'
        ? { action: 'scrape', transactionId: request.transactionId, files: [] }
        : undefined;
    const e = await rejectsWith(
      () => client.announce(tracker.url, params(8008)),
      'TRACKER_BAD_PACKET',
    );
    assert.match(e.message, /expected a connect reply/);
  });

  it('ignores replies from any other address or port', async () => {
    const spoofer = createSocket('udp4');
    await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
    tracker.handle = (seen, t) => {
      const { request, from } = seen;
      // Someone else answers first with the right transaction id and a bogus connection id...
      spoofer.send(
        encodeUdpResponse(
          request.action === 'connect'
            ? { action: 'connect', transactionId: request.transactionId, connectionId: 666n }
            : { action: 'error', transactionId: request.transactionId, message: 'spoofed' },
        ),
        from.port,
        from.address,
      );
      // ...and the tracker answers a little later.
      const reply = udpSwarmHandler(seen, t);
      if (reply !== undefined && !(reply instanceof Uint8Array)) {
        setTimeout(() => t.sendTo(encodeUdpResponse(reply), from.port, from.address), 20);
      }
      return undefined;
    };
    const r = await client.announce(tracker.url, params(8009));
    assert.equal(r.interval, 1800);
    await new Promise<void>((resolve) => spoofer.close(() => resolve()));
  });

  it('scrapes, in the order asked', async () => {
    const other = infoHashV1(new Uint8Array(20).fill(1)) as InfoHashV1;
    const mine = infoHashV1(new Uint8Array(20).fill(2)) as InfoHashV1;
    await client.announce(tracker.url, params(8010, { infoHash: mine }));
    const r = await client.scrape(tracker.url, [other, mine]);
    assert.deepEqual(
      r.files.map((f) => [f.infoHash, f.incomplete]),
      [
        [other, 0],
        [mine, 1],
      ],
    );
    await rejectsWith(() => client.scrape(tracker.url, []), 'TRACKER_BAD_REQUEST');
  });

  it('refuses URLs without a port, and fails requests still out when closed', async () => {
    await rejectsWith(
      () => client.announce('udp://127.0.0.1/announce', params(8011)),
      'TRACKER_BAD_REQUEST',
    );
    await rejectsWith(
      () => client.announce('http://127.0.0.1:1/announce', params(8011)),
      'TRACKER_BAD_REQUEST',
    );
    tracker.handle = () => undefined;
    const pending = rejectsWith(() => client.announce(tracker.url, params(8011)), 'IO_FAILED');
    setTimeout(() => void client.close(), 20);
    const e = await pending;
    assert.match(e.message, /closed/);
    await rejectsWith(() => client.announce(tracker.url, params(8011)), 'IO_FAILED');
  });

  it('stops when cancelled', async () => {
    tracker.handle = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const e = await rejectsWith(
      () => client.announce(tracker.url, params(8012), { signal: controller.signal }),
      'IO_FAILED',
    );
    assert.match(e.message, /cancelled/);
  });
});
