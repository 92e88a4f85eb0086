import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp } from '../tracker-protocol/address.js';
import { AccessPolicy } from './access-policy.js';
import { torrentKey, torrentKeyFromHex } from './swarm-store.js';
import { announceAs, hashOf, newCore, selectedPeers, TestClock } from './testing.js';
import type { AnnounceReply } from './tracker-core.js';

const ipOf = (text: string) => parseIp(text) ?? assert.fail(text);

const reply = (r: ReturnType<typeof announceAs>): AnnounceReply => {
  if (!r.ok) assert.fail(`refused: ${r.error.code} ${r.error.message}`);
  return r.value;
};

const refused = (r: ReturnType<typeof announceAs>, code: string): void => {
  assert.ok(!r.ok, 'expected a refusal');
  assert.equal(r.error.code, code);
};

describe('the announce path', () => {
  it('adds a peer and answers with the counts; the first peer gets no one', () => {
    const { core } = newCore();
    const r = reply(announceAs(core, 1, { event: 'started' }));
    assert.deepEqual([r.seeders, r.leechers, r.completed, r.peers.count], [0, 1, 0, 0]);
    assert.equal(r.interval, 1800);
    assert.equal(r.minInterval, 300);
  });

  it('hands a leecher the other peers, never the leecher itself', () => {
    const { core } = newCore();
    for (let n = 1; n <= 5; n++) announceAs(core, n, { left: n === 1 ? 0 : 100 });
    for (let n = 2; n <= 5; n++) {
      const peers = selectedPeers(reply(announceAs(core, n, { left: 100 })));
      assert.deepEqual(
        peers,
        [1, 2, 3, 4, 5].filter((p) => p !== n),
      );
    }
  });

  it('gives seeders leechers only', () => {
    const { core } = newCore();
    for (let n = 1; n <= 6; n++) announceAs(core, n, { left: n <= 3 ? 0 : 100 });
    assert.deepEqual(selectedPeers(reply(announceAs(core, 1, { left: 0 }))), [4, 5, 6]);
    // A leecher that finishes becomes a seeder and from then on sees only leechers.
    assert.deepEqual(
      selectedPeers(reply(announceAs(core, 4, { left: 0, event: 'completed' }))),
      [5, 6],
    );
    const r = reply(announceAs(core, 5, { left: 10 }));
    assert.deepEqual([r.seeders, r.leechers], [4, 2]);
  });

  it('counts completed once per download, even when a peer sends it twice', () => {
    const { core } = newCore();
    announceAs(core, 1, { event: 'started' });
    reply(announceAs(core, 1, { left: 0, event: 'completed' }));
    const again = reply(announceAs(core, 1, { left: 0, event: 'completed' }));
    assert.equal(again.completed, 1);
    reply(announceAs(core, 2, { left: 0, event: 'completed' }));
    assert.equal(core.totals().completed, 2);
    assert.equal(core.stats.lifetime.completions, 2);
    const key = torrentKey(hashOf(1));
    assert.ok(key !== undefined);
    const series = core.stats.seriesOf(key)?.columns(0);
    assert.deepEqual(series?.completions, [2]);
    // A peer that left and downloads again is a new download.
    announceAs(core, 1, { event: 'stopped' });
    announceAs(core, 1, { event: 'started' });
    assert.equal(reply(announceAs(core, 1, { left: 0, event: 'completed' })).completed, 3);
  });

  it('removes a stopped peer and sends it no peers', () => {
    const { core } = newCore();
    announceAs(core, 1);
    announceAs(core, 2);
    const r = reply(announceAs(core, 2, { event: 'stopped' }));
    assert.deepEqual([r.leechers, r.peers.count], [1, 0]);
    assert.deepEqual(selectedPeers(reply(announceAs(core, 3))), [1]);
    // "stopped" from a peer the tracker never had changes nothing.
    assert.equal(reply(announceAs(core, 9, { event: 'stopped' })).leechers, 2);
    // Nor does one for a torrent it never had: no torrent, no statistics.
    for (let h = 100; h < 200; h++) reply(announceAs(core, 9, { hash: h, event: 'stopped' }));
    assert.equal(core.totals().torrents, 1);
    assert.equal(core.stats.torrentCount, 1);
  });

  it('caps numwant, applies the default, and honours 0', () => {
    const { core } = newCore({ maxNumwant: 8, defaultNumwant: 5 });
    for (let n = 1; n <= 20; n++) announceAs(core, n);
    assert.equal(reply(announceAs(core, 1, { numwant: 100 })).peers.count, 8);
    assert.equal(reply(announceAs(core, 1)).peers.count, 5);
    assert.equal(reply(announceAs(core, 1, { numwant: -1 })).peers.count, 5);
    assert.equal(reply(announceAs(core, 1, { numwant: 0 })).peers.count, 0);
    assert.equal(reply(announceAs(core, 1, { numwant: 3 })).peers.count, 3);
  });

  it('expires peers that miss two intervals, and never hands them out meanwhile', () => {
    const { core, clock } = newCore({ intervalSeconds: 60 });
    announceAs(core, 1);
    clock.advance(60_000);
    announceAs(core, 2);
    clock.advance(60_000);
    // Peer 1 was last seen 120 s ago: two intervals, still in.
    assert.deepEqual(selectedPeers(reply(announceAs(core, 3))), [1, 2]);
    clock.advance(1_000);
    assert.deepEqual(
      selectedPeers(reply(announceAs(core, 3))),
      [2],
      'expired peers are not handed out',
    );
    const report = core.sweep();
    assert.equal(report.expiredPeers, 1);
    assert.equal(core.totals().peers, 2);
    assert.equal(core.stats.session.expiredPeers, 1);
  });

  it('sees an IPv4-mapped IPv6 sender as IPv4, and gives a UDP socket its own family only', () => {
    const { core } = newCore();
    announceAs(core, 1, { ip: ipOf('::ffff:10.0.0.1') });
    announceAs(core, 2, { ip: ipOf('2001:db8::2') });
    const http = reply(announceAs(core, 3));
    assert.deepEqual([http.peers.n4, http.peers.n6], [1, 1]);
    const udp4 = reply(announceAs(core, 3, { families: 'ipv4', transport: 'udp' }));
    assert.deepEqual([udp4.peers.n4, udp4.peers.n6], [1, 0]);
    const udp6 = reply(announceAs(core, 3, { families: 'ipv6', transport: 'udp' }));
    assert.deepEqual([udp6.peers.n4, udp6.peers.n6], [0, 1]);
  });

  it('tells peers apart by address and port, not by peer id', () => {
    const { core } = newCore();
    const ip = ipOf('192.0.2.7');
    announceAs(core, 1, { ip, port: 7001 });
    announceAs(core, 1, { ip, port: 7002 });
    assert.equal(core.totals().peers, 2);
    // Someone else's "stopped" with the same peer id from another address removes nothing.
    announceAs(core, 1, { event: 'stopped' });
    assert.equal(core.totals().peers, 2);
  });

  it('refuses malformed input with TRACKER_BAD_REQUEST', () => {
    const { core } = newCore();
    const base = {
      infoHash: hashOf(1),
      peerId: new Uint8Array(20),
      ip: ipOf('10.0.0.1'),
      port: 6881,
      left: 0,
      event: 'none' as const,
      numwant: undefined,
      passkey: undefined,
      families: 'any' as const,
      withPeerIds: false,
      transport: 'http' as const,
    };
    for (const bad of [
      { infoHash: new Uint8Array(19) },
      { infoHash: new Uint8Array(32) },
      { peerId: new Uint8Array(5) },
      { port: 0 },
      { port: 70000 },
      { left: -1 },
      { left: 2 ** 60 },
    ]) {
      refused(core.announce({ ...base, ...bad }), 'TRACKER_BAD_REQUEST');
    }
    assert.equal(core.totals().peers, 0);
    assert.equal(core.stats.session.refused, 7);
  });

  it('treats a v2 info-hash as its 20-byte truncation (BEP 52)', () => {
    const v2 = 'ab'.repeat(32);
    assert.equal(torrentKeyFromHex(v2), torrentKeyFromHex('ab'.repeat(20)));
    assert.equal(torrentKeyFromHex('ab'.repeat(21)), undefined);
    assert.equal(torrentKeyFromHex('zz'.repeat(20)), undefined);
  });
});

describe('limits', () => {
  it('refuses a new torrent past maxTorrents with TRACKER_FULL', () => {
    const { core } = newCore({ maxTorrents: 2 });
    reply(announceAs(core, 1, { hash: 1 }));
    reply(announceAs(core, 1, { hash: 2 }));
    refused(announceAs(core, 1, { hash: 3 }), 'TRACKER_FULL');
    assert.equal(core.totals().torrents, 2);
  });

  it('answers but does not store a peer past maxPeersPerTorrent or maxPeers', () => {
    const { core } = newCore({ maxPeersPerTorrent: 3, maxPeers: 5 });
    for (let n = 1; n <= 3; n++) announceAs(core, n, { hash: 1 });
    const over = reply(announceAs(core, 4, { hash: 1 }));
    assert.match(over.warning ?? '', /not added/);
    assert.equal(over.peers.count, 3);
    assert.equal(core.counts(torrentKey(hashOf(1)) as never)?.leechers, 3);
    announceAs(core, 5, { hash: 2 });
    announceAs(core, 6, { hash: 2 });
    assert.match(reply(announceAs(core, 7, { hash: 2 })).warning ?? '', /not added/);
    assert.equal(core.totals().peers, 5);
    // A peer already in the swarm is still updated.
    assert.equal(reply(announceAs(core, 1, { hash: 1, left: 0 })).warning, undefined);
  });

  it('forgets idle torrents after 7 days, except registered ones in allow-list mode', () => {
    const clock = new TestClock();
    const policy = new AccessPolicy(true);
    const keep = torrentKey(hashOf(1));
    assert.ok(keep !== undefined);
    policy.register(keep);
    policy.register(torrentKey(hashOf(2)) as never);
    const { core } = newCore({ intervalSeconds: 60 }, clock, policy);
    announceAs(core, 1, { hash: 1, event: 'completed', left: 0 });
    announceAs(core, 1, { hash: 2 });
    policy.unregister(torrentKey(hashOf(2)) as never);
    clock.advance(7 * 24 * 3600 * 1000 + 60_000);
    core.sweep();
    assert.equal(core.totals().torrents, 1);
    assert.equal(core.counts(keep)?.completed, 1);
  });
});

describe('access', () => {
  it('in allow-list mode serves only listed or registered info-hashes', () => {
    const policy = new AccessPolicy(true);
    const { core } = newCore({}, new TestClock(), policy);
    refused(announceAs(core, 1, { hash: 1 }), 'TRACKER_NOT_ALLOWED');
    policy.setFileList([torrentKey(hashOf(1)) as never]);
    reply(announceAs(core, 1, { hash: 1 }));
    policy.register(torrentKey(hashOf(2)) as never);
    reply(announceAs(core, 1, { hash: 2 }));
    // Re-reading the file does not forget API registrations.
    policy.setFileList([]);
    refused(announceAs(core, 1, { hash: 1 }), 'TRACKER_NOT_ALLOWED');
    reply(announceAs(core, 1, { hash: 2 }));
    assert.deepEqual(policy.unregister(torrentKey(hashOf(2)) as never), {
      removed: true,
      stillInFile: false,
    });
    refused(announceAs(core, 1, { hash: 2 }), 'TRACKER_NOT_ALLOWED');
  });

  it('with passkeys, needs a known one on every announce and scrape', () => {
    const policy = new AccessPolicy(false);
    policy.setPasskeys(['alice-key', 'bob-key']);
    const { core } = newCore({}, new TestClock(), policy);
    refused(announceAs(core, 1), 'TRACKER_BAD_PASSKEY');
    refused(announceAs(core, 1, { passkey: 'mallory' }), 'TRACKER_BAD_PASSKEY');
    reply(announceAs(core, 1, { passkey: 'alice-key' }));
    const s = core.scrape([hashOf(1)], undefined, 'http');
    assert.ok(!s.ok && s.error.code === 'TRACKER_BAD_PASSKEY');
    assert.ok(core.scrape([hashOf(1)], 'bob-key', 'http').ok);
  });
});

describe('scrape (BEP 48)', () => {
  it('answers for several info-hashes in order, zeros for unknown and not-served ones', () => {
    const policy = new AccessPolicy(true);
    policy.register(torrentKey(hashOf(1)) as never);
    policy.register(torrentKey(hashOf(2)) as never);
    const { core } = newCore({}, new TestClock(), policy);
    announceAs(core, 1, { hash: 1, left: 0 });
    announceAs(core, 2, { hash: 1, event: 'completed', left: 0 });
    announceAs(core, 3, { hash: 1 });
    announceAs(core, 3, { hash: 2 });
    policy.unregister(torrentKey(hashOf(2)) as never);
    const r = core.scrape([hashOf(1), hashOf(9), hashOf(2)], undefined, 'udp');
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.map((e) => [e.known, e.seeders, e.completed, e.leechers]),
      [
        [true, 2, 1, 1],
        [false, 0, 0, 0],
        [false, 0, 0, 0],
      ],
    );
    assert.equal(core.stats.session.udpScrapes, 1);
    const many = core.scrape(new Array(75).fill(hashOf(1)), undefined, 'http');
    assert.ok(!many.ok && many.error.code === 'TRACKER_BAD_REQUEST');
  });
});

describe('statistics', () => {
  it('records per minute the announces, completions and active peers of each torrent', () => {
    const { core, clock } = newCore();
    clock.t = Date.UTC(2026, 0, 1, 12, 0, 10);
    announceAs(core, 1);
    announceAs(core, 2);
    clock.advance(60_000);
    announceAs(core, 2, { event: 'completed', left: 0 });
    clock.advance(5 * 60_000);
    announceAs(core, 1, { event: 'stopped' });
    const series = core.stats.seriesOf(torrentKey(hashOf(1)) as never)?.columns(0);
    const minute = Date.UTC(2026, 0, 1, 12, 0) / 60_000;
    assert.deepEqual(series, {
      minutes: [minute, minute + 1, minute + 6],
      announces: [2, 1, 1],
      completions: [0, 1, 0],
      peers: [2, 2, 1],
    });
    const global = core.stats.global.columns(minute, minute + 10);
    assert.deepEqual(global.announces, [2, 1, 1]);
    assert.equal(core.stats.lifetime.announces, 4);
  });
});
