/** HTTP tracker exchanges against an in-process fake tracker on 127.0.0.1. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  type AnnounceParams,
  encodeFailureResponse,
  formatPeerAddress,
} from '../../core/tracker-protocol/index.js';
import { utf8 } from '../../lib/bytes.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import { httpAnnounce, httpScrape } from './http-tracker.js';
import {
  type FakeHttpTracker,
  rejectsWith,
  startFakeHttpTracker,
  swarmResponder,
} from './testing.js';

const HASH = infoHashV1(new Uint8Array(20).fill(0xab)) as InfoHashV1;
const params = (port: number, extra: Partial<AnnounceParams> = {}): AnnounceParams => ({
  infoHash: HASH,
  peerId: utf8('-FS0001-abcdefghijkl'),
  port,
  uploaded: 1,
  downloaded: 2,
  left: 3,
  event: 'started',
  numwant: 50,
  key: 'C0FFEE01',
  ...extra,
});

describe('http tracker client', () => {
  let tracker: FakeHttpTracker;
  before(async () => {
    tracker = await startFakeHttpTracker();
  });
  beforeEach(() => {
    tracker.respond = swarmResponder(tracker.swarm);
    tracker.requests.length = 0;
  });
  after(() => tracker.close());

  it('announces and reads the peers and interval', async () => {
    await httpAnnounce(tracker.url, params(7001));
    const r = await httpAnnounce(tracker.url, params(7002));
    assert.equal(r.interval, 1800);
    assert.deepEqual(r.peers.map(formatPeerAddress), ['127.0.0.1:7001']);
    const seen = tracker.requests[1]?.announce;
    assert.ok(seen !== undefined);
    assert.deepEqual(
      [seen.port, seen.event, seen.numwant, seen.compact, seen.key, seen.left],
      [7002, 'started', 50, true, utf8('C0FFEE01'), 3],
    );
  });

  it("gives the tracker's failure reason as TRACKER_FAILURE", async () => {
    tracker.respond = (_seen, _req, res) => {
      const body = encodeFailureResponse(
        'Requested download is not authorized for use with this tracker.',
      );
      res.end(body.ok ? body.value : undefined);
    };
    const e = await rejectsWith(() => httpAnnounce(tracker.url, params(7003)), 'TRACKER_FAILURE');
    assert.match(e.message, /not authorized/);
  });

  it('prefers a failure reason to the status of a non-2xx reply', async () => {
    tracker.respond = (_seen, _req, res) => {
      res.statusCode = 403;
      res.end('d14:failure reason6:bannede');
    };
    const e = await rejectsWith(() => httpAnnounce(tracker.url, params(7003)), 'TRACKER_FAILURE');
    assert.equal(e.message, 'banned');
    tracker.respond = (_seen, _req, res) => {
      res.statusCode = 500;
      res.end('<html>oops</html>');
    };
    const e2 = await rejectsWith(
      () => httpAnnounce(tracker.url, params(7003)),
      'TRACKER_BAD_RESPONSE',
    );
    assert.match(e2.message, /HTTP 500/);
  });

  it('refuses a malformed reply with TRACKER_BAD_RESPONSE', async () => {
    tracker.respond = (_seen, _req, res) => res.end('d8:intervali1800e5:peers5:abcdee');
    await rejectsWith(() => httpAnnounce(tracker.url, params(7004)), 'TRACKER_BAD_RESPONSE');
    tracker.respond = (_seen, _req, res) => res.end('<html>not bencode</html>');
    await rejectsWith(() => httpAnnounce(tracker.url, params(7004)), 'TRACKER_BAD_RESPONSE');
  });

  it('gives up on a tracker that does not answer in time, with IO_FAILED', async () => {
    tracker.respond = () => {};
    const t0 = performance.now();
    const e = await rejectsWith(
      () => httpAnnounce(tracker.url, params(7005), { timeoutMs: 150 }),
      'IO_FAILED',
    );
    const took = performance.now() - t0;
    assert.match(e.message, /did not answer within 150 ms/);
    assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
  });

  it('stops when cancelled', async () => {
    tracker.respond = () => {};
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const e = await rejectsWith(
      () => httpAnnounce(tracker.url, params(7005), { signal: controller.signal }),
      'IO_FAILED',
    );
    assert.match(e.message, /cancelled/);
  });

  it('follows up to 3 redirects, keeping the query the tracker gives', async () => {
    const inner = swarmResponder(tracker.swarm);
    tracker.respond = (seen, req, res) => {
      const hop = Number(/\/hop(\d)\//.exec(seen.path)?.[1] ?? 0);
      if (hop < 3) {
        res.writeHead(hop % 2 === 0 ? 302 : 307, {
          location: `/hop${hop + 1}/announce?${seen.query}`,
        });
        res.end();
      } else {
        inner(seen, req, res);
      }
    };
    const r = await httpAnnounce(tracker.url, params(7006));
    assert.equal(r.interval, 1800);
    assert.deepEqual(
      tracker.requests.map((q) => q.path),
      ['/announce', '/hop1/announce', '/hop2/announce', '/hop3/announce'],
    );
    assert.equal(tracker.requests[3]?.announce?.port, 7006);
  });

  it('refuses a fourth redirect and a redirect away from http(s)', async () => {
    tracker.respond = (_seen, _req, res) => {
      res.writeHead(302, { location: '/announce' });
      res.end();
    };
    const e = await rejectsWith(
      () => httpAnnounce(tracker.url, params(7007)),
      'TRACKER_BAD_RESPONSE',
    );
    assert.match(e.message, /redirected more than 3 times/);
    assert.equal(tracker.requests.length, 4);
    tracker.respond = (_seen, _req, res) => {
      res.writeHead(301, { location: 'file:///etc/passwd' });
      res.end();
    };
    await rejectsWith(() => httpAnnounce(tracker.url, params(7007)), 'TRACKER_BAD_RESPONSE');
  });

  it('refuses an oversized body, announced or not', async () => {
    const big = new Uint8Array(4096).fill(0x61);
    tracker.respond = (_seen, _req, res) => {
      res.writeHead(200, { 'content-length': big.length });
      res.end(big);
    };
    const e = await rejectsWith(
      () => httpAnnounce(tracker.url, params(7008), { maxBodyBytes: 1024 }),
      'TRACKER_BAD_RESPONSE',
    );
    assert.match(e.message, /larger than 1024 bytes/);
    // Chunked, without a length: cut off as soon as it passes the cap.
    tracker.respond = (_seen, _req, res) => {
      const chunk = new Uint8Array(512).fill(0x61);
      const timer = setInterval(() => res.write(chunk), 5);
      res.on('close', () => clearInterval(timer));
    };
    await rejectsWith(
      () => httpAnnounce(tracker.url, params(7008), { maxBodyBytes: 1024, timeoutMs: 5000 }),
      'TRACKER_BAD_RESPONSE',
    );
  });

  it('fails with IO_FAILED when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rejectsWith(
      () => httpAnnounce(`http://127.0.0.1:${port}/announce`, params(7009)),
      'IO_FAILED',
    );
  });

  it('refuses URLs it cannot use with TRACKER_BAD_REQUEST', async () => {
    await rejectsWith(
      () => httpAnnounce('ftp://127.0.0.1/announce', params(7010)),
      'TRACKER_BAD_REQUEST',
    );
    await rejectsWith(() => httpScrape(`${tracker.origin}/tracker`, [HASH]), 'TRACKER_BAD_REQUEST');
  });

  it('scrapes at the BEP 48 scrape URL', async () => {
    await httpAnnounce(tracker.url, params(7011));
    const r = await httpScrape(tracker.url, [HASH]);
    assert.equal(tracker.requests.at(-1)?.path, '/scrape');
    assert.equal(r.files.length, 1);
    assert.ok((r.files[0]?.incomplete ?? 0) >= 1);
  });
});
