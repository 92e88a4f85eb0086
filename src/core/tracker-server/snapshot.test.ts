import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessPolicy } from './access-policy.js';
import { encodeSnapshot, loadSnapshot, SnapshotEncoder } from './snapshot.js';
import { torrentKey } from './swarm-store.js';
import { announceAs, hashOf, newCore, peerIdOf, peerIp, TestClock } from './testing.js';
import type { TrackerCore } from './tracker-core.js';

const busyCore = (clock = new TestClock()): TrackerCore => {
  const policy = new AccessPolicy(false);
  policy.register(torrentKey(hashOf(42)) as never);
  const { core } = newCore({}, clock, policy);
  for (let n = 1; n <= 40; n++) {
    announceAs(core, n, { hash: 201 + (n % 3), event: 'started' });
    if (n % 4 === 0) {
      clock.advance(61_000);
      announceAs(core, n, { hash: 201 + (n % 3), left: 0, event: 'completed' });
    }
  }
  core.scrape([hashOf(201)], undefined, 'http');
  return core;
};

const view = (core: TrackerCore) => {
  const torrents: unknown[] = [];
  core.store.forEachTorrent((key, c) => {
    torrents.push([key, c.completed, core.stats.seriesOf(key)?.columns(0)]);
  });
  return {
    torrents,
    lifetime: core.stats.lifetime,
    registered: core.policy.registeredKeys(),
    global: core.stats.global.columns(0, Math.floor(core.now() / 60_000)),
  };
};

describe('statistics snapshot', () => {
  it('round-trips counters, series and registrations, not peers', () => {
    const clock = new TestClock();
    const core = busyCore(clock);
    const bytes = encodeSnapshot(core, clock.now());
    const fresh = newCore({}, clock).core;
    const r = loadSnapshot(fresh, bytes, clock.now());
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.torrents, 3);
    assert.equal(r.value.registered, 1);
    assert.deepEqual(view(fresh), view(core));
    assert.equal(fresh.totals().completed, 10);
    assert.equal(fresh.totals().peers, 0, 'peers are never restored');
    // A restart keeps counting from where it was.
    announceAs(fresh, 99, { hash: 201, left: 0, event: 'completed' });
    assert.equal(fresh.totals().completed, 11);
    assert.equal(fresh.stats.lifetime.announces, core.stats.lifetime.announces + 1);
  });

  it('holds no peer address, port or peer id', () => {
    const clock = new TestClock();
    const core = busyCore(clock);
    const bytes = encodeSnapshot(core, clock.now());
    const has = (needle: Uint8Array): boolean => {
      outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
        for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
        return true;
      }
      return false;
    };
    for (let n = 1; n <= 40; n++) {
      assert.ok(!has(peerIdOf(n)), `peer id ${n}`);
      assert.ok(!has(peerIdOf(n).subarray(8)), `part of peer id ${n}`);
      const ip = peerIp(n).bytes;
      const port = 6000 + n;
      assert.ok(!has(Uint8Array.of(...ip, port >> 8, port & 255)), `address of ${n}`);
    }
  });

  it('refuses every truncation, a flipped byte, another version and junk', () => {
    const clock = new TestClock();
    const bytes = encodeSnapshot(busyCore(clock), clock.now());
    const load = (b: Uint8Array) => loadSnapshot(newCore({}, clock).core, b, clock.now());
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 300))) {
      const r = load(bytes.subarray(0, cut));
      assert.ok(!r.ok && r.error.code === 'TRACKER_SNAPSHOT_BAD', `cut at ${cut}`);
    }
    for (const at of [0, 4, 10, 60, bytes.length - 30, bytes.length - 1]) {
      const flipped = bytes.slice();
      flipped[at] = (flipped[at] as number) ^ 0x40;
      assert.ok(!load(flipped).ok, `flipped byte ${at}`);
    }
    const junk = new Uint8Array(1000).fill(0x41);
    assert.ok(!load(junk).ok);
  });

  it('refuses a snapshot holding more torrents than the limit', () => {
    const clock = new TestClock();
    const bytes = encodeSnapshot(busyCore(clock), clock.now());
    const small = newCore({ maxTorrents: 2 }, clock).core;
    const r = loadSnapshot(small, bytes, clock.now());
    assert.ok(!r.ok && /max-torrents/.test(r.error.message));
  });

  it('encodes a slice at a time, to the same bytes, and stays loadable when torrents change between slices', () => {
    const clock = new TestClock();
    const core = busyCore(clock);
    const whole = encodeSnapshot(core, clock.now());
    const encoder = new SnapshotEncoder(core, clock.now());
    let steps = 0;
    while (!encoder.step(1)) steps++;
    assert.equal(steps, 2);
    assert.deepEqual(encoder.finish(), whole);
    const changing = new SnapshotEncoder(core, clock.now());
    changing.step(1);
    announceAs(core, 77, { hash: 203, event: 'completed', left: 0 });
    clock.advance(8 * 24 * 3600 * 1000);
    core.sweep();
    const r = loadSnapshot(newCore({}, clock).core, changing.finish(), clock.now());
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  });
});
