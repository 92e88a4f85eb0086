/** The Announcer against in-process fake trackers: peers, events, fail-over, stop, leaks. */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { after, before, beforeEach, describe, it } from 'node:test';
import { encodeFailureResponse } from '../../core/tracker-protocol/index.js';
import { utf8 } from '../../lib/bytes.js';
import type { FanseedError } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import { seededRng } from '../../lib/ports.js';
import { type AnnouncedPeer, Announcer, type AnnouncerOptions } from './announcer.js';
import {
  type FakeHttpTracker,
  type FakeUdpTracker,
  startFakeHttpTracker,
  startFakeUdpTracker,
  swarmResponder,
  udpSwarmHandler,
} from './testing.js';

const HASH = infoHashV1(new Uint8Array(20).fill(0x5a)) as InfoHashV1;

/** An announcer whose peers and errors are recorded. */
class Probe {
  readonly peers: AnnouncedPeer[] = [];
  readonly errors: Array<{ url: string; error: FanseedError }> = [];
  left = 1000;
  readonly announcer: Announcer;

  constructor(tiers: string[][], port: number, extra: Partial<AnnouncerOptions> = {}) {
    this.announcer = new Announcer({
      tiers,
      infoHash: HASH,
      peerId: utf8(`-FS0001-test${String(port).padStart(8, '0')}`),
      port,
      rng: seededRng(port),
      stats: () => ({ uploaded: 0, downloaded: 0, left: this.left }),
      onPeers: (peers) => this.peers.push(...peers),
      onError: (url, error) => this.errors.push({ url, error }),
      schedule: { minIntervalBoundsMs: [0, 0], backoffBaseMs: 50, backoffJitter: 0 },
      udp: { baseTimeoutMs: 100, maxTries: 2 },
      ...extra,
    });
  }

  hasPeer(port: number): boolean {
    return this.peers.some((p) => p.host === '127.0.0.1' && p.port === port);
  }
}

const waitFor = async (what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> => {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const httpEvents = (t: FakeHttpTracker): string[] =>
  t.requests.map((r) => `${r.announce?.port}:${r.announce?.event}`);

describe('announcer', () => {
  let http: FakeHttpTracker;
  let udp: FakeUdpTracker;
  before(async () => {
    http = await startFakeHttpTracker();
    udp = await startFakeUdpTracker();
  });
  beforeEach(() => {
    http.respond = swarmResponder(http.swarm);
    http.requests.length = 0;
    udp.handle = udpSwarmHandler;
    udp.received.length = 0;
  });
  after(async () => {
    await http.close();
    await udp.close();
  });

  for (const kind of ['http', 'udp'] as const) {
    it(`announces over ${kind}, hands the peers over, and says stopped at the end`, async () => {
      const url = kind === 'http' ? http.url : udp.url;
      const base = kind === 'http' ? 9100 : 9200;
      const a = new Probe([[url]], base + 1);
      const b = new Probe([[url]], base + 2);
      a.announcer.start();
      await waitFor('a to hear back', () => a.announcer.trackers()[0]?.startSent === true);
      b.announcer.start();
      await waitFor('b to learn of a', () => b.hasPeer(base + 1));
      a.announcer.reannounceSoon();
      await waitFor('a to learn of b', () => a.hasPeer(base + 2));
      await Promise.all([a.announcer.stop(), b.announcer.stop()]);
      const swarm = kind === 'http' ? http.swarm : udp.swarm;
      assert.equal(swarm.count(HASH), 0, 'both said stopped');
      assert.deepEqual([...a.errors, ...b.errors], []);
      if (kind === 'http') {
        const events = httpEvents(http);
        assert.deepEqual(events.slice(0, 3), [
          `${base + 1}:started`,
          `${base + 2}:started`,
          `${base + 1}:none`,
        ]);
        assert.deepEqual(events.slice(3).sort(), [`${base + 1}:stopped`, `${base + 2}:stopped`]);
        const first = http.requests[0]?.announce;
        assert.deepEqual([first?.numwant, first?.compact, first?.key?.length], [50, true, 8]);
      } else {
        const events = udp.received.flatMap((r) =>
          r.request.action === 'announce' ? [r.request.event] : [],
        );
        assert.deepEqual(
          events.sort(),
          ['none', 'started', 'started', 'stopped', 'stopped'].sort(),
        );
      }
    });
  }

  it('fails over to the next tier and reports the failure', async () => {
    http.respond = (_seen, _req, res) => {
      const body = encodeFailureResponse('Requested download is not authorized');
      res.end(body.ok ? body.value : undefined);
    };
    udp.swarm.announce(HASH, 4321, 'started');
    const p = new Probe([[http.url], [udp.url]], 9301);
    p.announcer.start();
    await waitFor('peers from the second tier', () => p.hasPeer(4321));
    assert.equal(p.errors[0]?.url, http.url);
    assert.equal(p.errors[0]?.error.code, 'TRACKER_FAILURE');
    assert.deepEqual(
      p.announcer.trackers().map((t) => [t.url, t.failures]),
      [
        [http.url, 1],
        [udp.url, 0],
      ],
    );
    await p.announcer.stop();
    udp.swarm.announce(HASH, 4321, 'stopped');
  });

  it('retries a failed tracker after its back-off', async () => {
    let calls = 0;
    const good = swarmResponder(http.swarm);
    http.respond = (seen, req, res) => {
      if (++calls === 1) {
        res.statusCode = 503;
        res.end();
      } else {
        good(seen, req, res);
      }
    };
    http.swarm.announce(HASH, 4322, 'started');
    const p = new Probe([[http.url]], 9302);
    p.announcer.start();
    await waitFor('peers after the retry', () => p.hasPeer(4322));
    assert.equal(p.errors[0]?.error.code, 'TRACKER_BAD_RESPONSE');
    assert.deepEqual(httpEvents(http), ['9302:started', '9302:started']);
    await p.announcer.stop();
    http.swarm.announce(HASH, 4322, 'stopped');
  });

  it('sends completed once, with left = 0', async () => {
    const p = new Probe([[http.url]], 9303);
    p.announcer.start();
    await waitFor('started', () => http.requests.length === 1);
    p.left = 0;
    p.announcer.completed();
    await waitFor('completed', () => http.requests.length === 2);
    p.announcer.completed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await p.announcer.stop();
    assert.deepEqual(httpEvents(http), ['9303:started', '9303:completed', '9303:stopped']);
    assert.equal(http.requests[1]?.announce?.left, 0);
  });

  it('gives up on stopped after the stop time-out, and never hangs', async () => {
    const good = swarmResponder(http.swarm);
    http.respond = (seen, req, res) => {
      if (seen.announce?.event !== 'stopped') good(seen, req, res);
    };
    const p = new Probe([[http.url]], 9304, { stopTimeoutMs: 200 });
    p.announcer.start();
    await waitFor('started', () => http.requests.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const t0 = performance.now();
    await p.announcer.stop();
    const took = performance.now() - t0;
    assert.ok(took >= 150 && took < 1000, `stop took ${took} ms`);
    assert.deepEqual(httpEvents(http), ['9304:started', '9304:stopped']);
    assert.equal(p.errors.at(-1)?.error.code, 'IO_FAILED');
    http.swarm.announce(HASH, 9304, 'stopped');
  });

  it('aborts the announce in flight at stop, and says nothing when no tracker answered', async () => {
    http.respond = () => {};
    const p = new Probe([[http.url]], 9305);
    p.announcer.start();
    await waitFor('started sent', () => http.requests.length === 1);
    const t0 = performance.now();
    await p.announcer.stop();
    assert.ok(performance.now() - t0 < 500, 'stop waited for the hanging announce');
    await p.announcer.stop();
    p.announcer.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(http.requests.length, 1);
  });

  it('ignores tracker URLs it cannot use and refuses bad ids', () => {
    const p = new Probe([['wss://tracker.example/announce', http.url], ['dht://x']], 9306);
    assert.deepEqual(
      p.announcer.trackers().map((t) => t.url),
      [http.url],
    );
    assert.throws(
      () => new Probe([[http.url]], 9307, { infoHash: new Uint8Array(19) }),
      /20 bytes/,
    );
    assert.throws(() => new Probe([[http.url]], 0), /port/);
  });

  it('leaves no socket or timer behind after stop', async () => {
    // Sockets and timers made by the tracker client (not by the fake trackers or node:http's
    // own date cache), and whether each was released.
    const live = new Map<number, string>();
    let seen = 0;
    const ours = /\/(announcer|udp-tracker|http-tracker)\.js:/;
    const hook = createHook({
      init: (id, type) => {
        if (type !== 'UDPWRAP' && type !== 'TCPWRAP' && type !== 'Timeout') return;
        const stack = new Error().stack ?? '';
        if (!ours.test(stack)) return;
        live.set(id, `${type} ${stack}`);
        seen++;
      },
      destroy: (id) => {
        live.delete(id);
      },
    }).enable();
    try {
      const a = new Probe([[udp.url], [http.url]], 9401);
      const b = new Probe([[http.url]], 9402);
      a.announcer.start();
      b.announcer.start();
      await waitFor(
        'both announced',
        () => udp.swarm.count(HASH) === 1 && http.swarm.count(HASH) === 1,
      );
      await Promise.all([a.announcer.stop(), b.announcer.stop()]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      hook.disable();
    }
    assert.ok(seen > 0, 'the hook saw nothing');
    assert.deepEqual([...live.values()], []);
  });
});
