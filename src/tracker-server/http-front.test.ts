/** The HTTP front, in-process (no sockets): announce, scrape, statistics, admin API, hostility. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { decode } from '../core/bencode/decode.js';
import {
  type AnnounceParams,
  buildAnnounceUrl,
  buildScrapeUrl,
  formatPeerAddress,
  parseAnnounceResponse,
  parseScrapeResponse,
} from '../core/tracker-protocol/index.js';
import { AccessPolicy } from '../core/tracker-server/access-policy.js';
import { hashOf, peerIdOf, TestClock } from '../core/tracker-server/testing.js';
import { type TrackerConfig, TrackerCore } from '../core/tracker-server/tracker-core.js';
import { toHex } from '../lib/bytes.js';
import type { InfoHashV1 } from '../lib/ids.js';
import { seededRng } from '../lib/ports.js';
import { AdminApi } from './admin-api.js';
import { DEFAULT_EVENT_STREAM, EventStream } from './event-stream.js';
import { createRequestHandler } from './http-front.js';
import { type InjectRequest, inject } from './testing.js';

const TOKEN = 'a-very-secret-admin-token';
const streams: EventStream[] = [];
after(() => {
  for (const s of streams) s.close();
});

const setup = (config: Partial<TrackerConfig> = {}, policy = new AccessPolicy(false)) => {
  const clock = new TestClock();
  const core = new TrackerCore({ clock, rng: seededRng(5), config, policy });
  const events = new EventStream(core, { ...DEFAULT_EVENT_STREAM, tickMs: 3_600_000 });
  streams.push(events);
  const logs: string[] = [];
  const handler = createRequestHandler({
    core,
    admin: new AdminApi(core, TOKEN, () => {}),
    events,
    figures: () => ({ startedAtMs: 0, udpRateLimited: 0, sseSubscribers: 0, rssBytes: 1 }),
    metricsMaxTorrents: 100,
    statsCacheMs: 0,
    log: (l) => logs.push(l),
  });
  const req = (r: InjectRequest | string) =>
    inject(handler, typeof r === 'string' ? { url: r } : r);
  return { core, clock, handler, req, logs };
};

const params = (n: number, extra: Partial<AnnounceParams> = {}): AnnounceParams => ({
  infoHash: hashOf(1) as InfoHashV1,
  peerId: peerIdOf(n),
  port: 6000 + n,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  ...extra,
});

const announceUrl = (
  n: number,
  extra: Partial<AnnounceParams> = {},
  base = 'http://t/announce',
): string => {
  const r = buildAnnounceUrl(base, params(n, extra));
  assert.ok(r.ok);
  return r.value.slice('http://t'.length);
};

const announced = async (
  s: ReturnType<typeof setup>,
  n: number,
  extra: Partial<AnnounceParams> = {},
  remoteAddress = `10.0.0.${n}`,
) => {
  const res = await s.req({ url: announceUrl(n, extra), remoteAddress });
  assert.equal(res.status, 200);
  const parsed = parseAnnounceResponse(new Uint8Array(res.body));
  return { res, parsed };
};

describe('HTTP announce', () => {
  it('answers compact peers (BEP 23) with counts and intervals', async () => {
    const s = setup();
    await announced(s, 1, { left: 0 });
    const { res, parsed } = await announced(s, 2);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message);
    assert.deepEqual(parsed.value.peers.map(formatPeerAddress), ['10.0.0.1:6001']);
    assert.deepEqual(
      [parsed.value.complete, parsed.value.incomplete, parsed.value.interval],
      [1, 1, 1800],
    );
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(res.headers['content-length'], String(res.body.length));
    assert.ok(res.text.includes('5:peers6:'), 'compact string');
  });

  it('answers peers6 (BEP 7) for IPv6 peers, and non-compact lists with or without ids', async () => {
    const s = setup();
    await announced(s, 1, {}, '2001:db8::1');
    await announced(s, 2, {}, '::ffff:10.0.0.2');
    const compact = await announced(s, 3);
    assert.ok(compact.parsed.ok);
    assert.deepEqual(compact.parsed.value.peers.map(formatPeerAddress).sort(), [
      '10.0.0.2:6002',
      '[2001:db8::1]:6001',
    ]);
    assert.ok(compact.res.text.includes('6:peers618:'));
    const full = await announced(s, 3, { compact: false });
    assert.ok(full.parsed.ok);
    const ids = full.parsed.value.peers.map((p) => p.peerId && toHex(p.peerId)).sort();
    assert.deepEqual(ids, [toHex(peerIdOf(1)), toHex(peerIdOf(2))].sort());
    const noIds = await announced(s, 3, { compact: false, noPeerId: true });
    assert.ok(noIds.parsed.ok);
    assert.equal(noIds.parsed.value.peers.length, 2);
    assert.ok(noIds.parsed.value.peers.every((p) => p.peerId === undefined));
    assert.ok(!noIds.res.text.includes('peer id'));
  });

  it('refuses with a BEP 3 failure reason, status 200', async () => {
    const s = setup({}, new AccessPolicy(true));
    const { parsed } = await announced(s, 1);
    assert.ok(!parsed.ok && parsed.error.code === 'TRACKER_FAILURE');
    assert.match(parsed.error.message, /does not serve/);
  });

  it('routes /announce/<passkey> and /scrape/<passkey>', async () => {
    const policy = new AccessPolicy(false);
    policy.setPasskeys(['k3y-alice']);
    const s = setup({}, policy);
    const bare = await s.req(announceUrl(1));
    assert.match(bare.text, /unknown passkey/);
    const wrong = await s.req(announceUrl(1, {}, 'http://t/announce/k3y-bob'));
    assert.match(wrong.text, /unknown passkey/);
    const junk = await s.req(announceUrl(1, {}, 'http://t/announce/%00%ff'));
    assert.match(junk.text, /unknown passkey/);
    const good = await s.req({
      url: announceUrl(1, {}, 'http://t/announce/k3y-alice'),
      remoteAddress: '10.0.0.1',
    });
    assert.ok(parseAnnounceResponse(new Uint8Array(good.body)).ok);
    const scrape = buildScrapeUrl('http://t/scrape/k3y-alice', [hashOf(1) as InfoHashV1]).slice(8);
    const scraped = parseScrapeResponse(new Uint8Array((await s.req(scrape)).body));
    assert.ok(scraped.ok);
    assert.equal(scraped.value.files[0]?.incomplete, 1);
    assert.match((await s.req(scrape.replace('/k3y-alice', ''))).text, /unknown passkey/);
  });
});

describe('HTTP scrape (BEP 48)', () => {
  it('answers several info-hashes, unknown ones as zeros', async () => {
    const s = setup();
    await announced(s, 1, { left: 0, event: 'completed' });
    await announced(s, 2);
    const url = buildScrapeUrl('http://t/scrape', [hashOf(1), hashOf(2)] as InfoHashV1[]).slice(8);
    const r = parseScrapeResponse(new Uint8Array((await s.req(url)).body));
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.files.map((f) => [toHex(f.infoHash), f.complete, f.downloaded, f.incomplete]),
      [
        [toHex(hashOf(1)), 1, 1, 1],
        [toHex(hashOf(2)), 0, 0, 0],
      ],
    );
    assert.equal(r.value.minRequestInterval, 300);
    assert.match((await s.req('/scrape')).text, /at least one info_hash/);
  });
});

describe('statistics endpoints', () => {
  it('GET /stats, /stats/<hash> and /metrics show counts and series, never a peer', async () => {
    const s = setup();
    await announced(s, 1, { left: 0, event: 'completed' });
    await announced(s, 2);
    const stats = JSON.parse((await s.req('/stats')).text);
    assert.deepEqual(stats.totals, {
      torrents: 1,
      peers: 2,
      seeders: 1,
      leechers: 1,
      completed: 1,
    });
    assert.deepEqual(stats.torrents, [
      { infoHash: toHex(hashOf(1)), seeders: 1, leechers: 1, completed: 1 },
    ]);
    assert.deepEqual(stats.series.announces, [2]);
    assert.equal(stats.lifetime.completions, 1);
    const one = await s.req(`/stats/${toHex(hashOf(1))}`);
    assert.equal(one.status, 200);
    const t = JSON.parse(one.text);
    assert.deepEqual([t.seeders, t.leechers, t.completed, t.series.completions], [1, 1, 1, [1]]);
    assert.equal(t.series.time[0] % 60, 0);
    assert.equal((await s.req(`/stats/${toHex(hashOf(9))}`)).status, 404);
    assert.equal((await s.req('/stats/xyz')).status, 400);
    const metrics = (await s.req('/metrics')).text;
    assert.match(metrics, /^fanseed_tracker_peers\{state="seeder"\} 1$/m);
    assert.match(metrics, /^fanseed_tracker_announces_total\{transport="http"\} 2$/m);
    assert.match(
      metrics,
      new RegExp(`^fanseed_tracker_torrent_completed\\{info_hash="${toHex(hashOf(1))}"\\} 1$`, 'm'),
    );
    for (const text of [JSON.stringify(stats), one.text, metrics]) {
      assert.ok(
        !text.includes('10.0.0.1') && !text.includes('6001') && !text.includes('TS0001'),
        'no peer data',
      );
    }
    const page = JSON.parse((await s.req('/stats?limit=0&minutes=5')).text);
    assert.deepEqual(page.torrents, []);
  });
});

describe('admin API', () => {
  const registerUrl = `/admin/torrents/${toHex(hashOf(1))}`;

  it('needs the bearer token', async () => {
    const s = setup({}, new AccessPolicy(true));
    assert.equal((await s.req({ method: 'PUT', url: registerUrl })).status, 401);
    const wrong = await s.req({
      method: 'PUT',
      url: registerUrl,
      headers: { Authorization: 'Bearer nope' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer');
    const basic = await s.req({
      method: 'PUT',
      url: registerUrl,
      headers: { Authorization: `Basic ${TOKEN}` },
    });
    assert.equal(basic.status, 401);
    assert.ok(!(await announced(s, 1)).parsed.ok);
  });

  it('registers and unregisters info-hashes in allow-list mode', async () => {
    const s = setup({}, new AccessPolicy(true));
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const put = await s.req({ method: 'PUT', url: registerUrl, headers: auth });
    assert.equal(put.status, 200);
    assert.equal(JSON.parse(put.text).registered, true);
    assert.ok((await announced(s, 1)).parsed.ok);
    const list = JSON.parse((await s.req({ url: '/admin/torrents', headers: auth })).text);
    assert.deepEqual(list.registered, [toHex(hashOf(1))]);
    const v2 = await s.req({
      method: 'POST',
      url: `/admin/torrents/${'cd'.repeat(32)}`,
      headers: auth,
    });
    assert.equal(JSON.parse(v2.text).infoHash, 'cd'.repeat(20), 'a v2 hash is truncated');
    const del = await s.req({ method: 'DELETE', url: registerUrl, headers: auth });
    assert.deepEqual(JSON.parse(del.text), {
      infoHash: toHex(hashOf(1)),
      removed: true,
      stillInFile: false,
    });
    assert.ok(!(await announced(s, 1)).parsed.ok);
    assert.equal(
      (await s.req({ method: 'PUT', url: '/admin/torrents/12', headers: auth })).status,
      400,
    );
    assert.equal((await s.req({ method: 'PATCH', url: registerUrl, headers: auth })).status, 405);
    assert.equal((await s.req({ url: '/admin/nothing', headers: auth })).status, 404);
  });
});

describe('hostile HTTP requests', () => {
  it('answers junk announces and scrapes with a failure reason, never a crash', async () => {
    const s = setup();
    const junk = [
      '/announce',
      '/announce?',
      '/announce?info_hash=%zz',
      '/announce?info_hash=abc&peer_id=def&port=1',
      `/announce?${'a=1&'.repeat(500)}`,
      `/announce?info_hash=${'%41'.repeat(20)}&info_hash=${'%41'.repeat(20)}`,
      `/announce?${'x'.repeat(20_000)}`,
      `${announceUrl(1)}&port=0`,
      announceUrl(1).replace('port=6001', 'port=99999'),
      announceUrl(1).replace('left=100', 'left=-5'),
      announceUrl(1).replace('left=100', 'left=1e400'),
      `${announceUrl(1)}&event=exploded`,
      `${announceUrl(1)}&numwant=999999999999999999999`,
      '/scrape?info_hash=%41',
      `/scrape?${'info_hash=%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41&'.repeat(100)}`,
      '/announce?info_hash=\u0100',
    ];
    for (const url of junk) {
      const res = await s.req(url);
      assert.equal(res.status, 200, url.slice(0, 60));
      const body = decode(new Uint8Array(res.body));
      assert.ok(body.ok, url.slice(0, 60));
      assert.match(res.text, /failure reason/, url.slice(0, 60));
    }
    assert.equal(s.core.totals().peers, 0);
    assert.equal(s.logs.length, 0);
  });

  it('survives any query string (property)', async () => {
    const s = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('/announce', '/scrape', '/stats', '/announce/x'),
        async (q, path) => {
          const res = await s.req(`${path}?${q}`);
          assert.ok(res.status === 200 || res.status === 400, `${res.status}`);
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(s.logs.length, 0);
  });

  it('answers unknown routes 404 and other methods 405; a request with a body closes its connection', async () => {
    const s = setup();
    assert.equal((await s.req('/../../etc/passwd')).status, 404);
    assert.equal((await s.req({ method: 'POST', url: '/announce' })).status, 405);
    const withBody = await s.req({ url: announceUrl(1), headers: { 'Content-Length': '100000' } });
    assert.ok(withBody.closeAfter);
  });
});
