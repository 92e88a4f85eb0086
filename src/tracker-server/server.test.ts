/** The whole tracker over real sockets on 127.0.0.1: keep-alive, events, files, snapshots. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildAnnounceUrl,
  decodeUdpResponse,
  encodeUdpRequest,
  parseAnnounceResponse,
} from '../core/tracker-protocol/index.js';
import { hashOf, peerIdOf } from '../core/tracker-server/testing.js';
import { toHex } from '../lib/bytes.js';
import { FanseedError } from '../lib/errors.js';
import type { InfoHashV1 } from '../lib/ids.js';
import { TrackerServer, type TrackerServerOptions } from './server.js';
import { UdpProbe } from './testing.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-tracker-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const start = (options: TrackerServerOptions = {}): Promise<TrackerServer> =>
  TrackerServer.start({ httpPort: 0, udpPort: 0, ...options });

interface Got {
  readonly status: number;
  readonly body: Buffer;
  readonly reused: boolean;
}

const fetchRaw = (
  url: string,
  options: { agent?: Agent; method?: string; headers?: Record<string, string> } = {},
): Promise<Got> =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', agent: options.agent, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });

const announceUrl = (
  server: TrackerServer,
  n: number,
  hash = 1,
  base = server.urls.http as string,
  left = 10,
): string => {
  const r = buildAnnounceUrl(base, {
    infoHash: hashOf(hash) as InfoHashV1,
    peerId: peerIdOf(n),
    port: 6000 + n,
    uploaded: 0,
    downloaded: 0,
    left,
    event: left === 0 ? 'completed' : 'started',
  });
  assert.ok(r.ok);
  return r.value;
};

const announceOk = async (
  server: TrackerServer,
  n: number,
  hash = 1,
  base?: string,
  left?: number,
): Promise<boolean> => {
  const got = await fetchRaw(announceUrl(server, n, hash, base, left));
  return parseAnnounceResponse(new Uint8Array(got.body)).ok;
};

const until = async (what: string, f: () => Promise<boolean>, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

describe('tracker server over sockets', () => {
  it('listens on free ports with port 0 and names its URLs', async () => {
    const server = await start();
    try {
      assert.ok((server.httpPort as number) > 0 && (server.udpPort as number) > 0);
      assert.equal(server.urls.http, `http://127.0.0.1:${server.httpPort}/announce`);
      assert.equal(server.urls.udp, `udp://127.0.0.1:${server.udpPort}/announce`);
      assert.equal(server.urls.stats, `http://127.0.0.1:${server.httpPort}/stats`);
    } finally {
      await server.close();
    }
  });

  it('answers many announces on one kept-alive connection', async () => {
    const server = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let reused = 0;
      for (let n = 1; n <= 50; n++) {
        const got = await fetchRaw(announceUrl(server, n), { agent });
        assert.ok(parseAnnounceResponse(new Uint8Array(got.body)).ok);
        if (got.reused) reused++;
      }
      assert.equal(reused, 49);
      assert.equal(server.core.totals().peers, 50);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  it('refuses to start on a port in use, releasing what it opened', async () => {
    const first = await start();
    try {
      await assert.rejects(
        start({ httpPort: first.httpPort as number }),
        (e: unknown) =>
          e instanceof FanseedError && e.code === 'IO_FAILED' && /EADDRINUSE/.test(e.message),
      );
    } finally {
      await first.close();
    }
  });

  it('streams live counters to /events subscribers, and bounds their number', async () => {
    const server = await start({ events: { tickMs: 50, maxSubscribers: 1 } });
    try {
      let text = '';
      const res = await new Promise<import('node:http').IncomingMessage>((resolve) =>
        get(`http://127.0.0.1:${server.httpPort}/events`, resolve),
      );
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      await until('the first totals', async () => text.includes('event: totals'));
      assert.equal((await fetchRaw(`http://127.0.0.1:${server.httpPort}/events`)).status, 503);
      await announceOk(server, 1, 7, undefined, 0);
      await until('a torrent event', async () => text.includes('event: torrent'));
      assert.match(
        text,
        new RegExp(`"infoHash":"${toHex(hashOf(7))}","seeders":1,"leechers":0,"completed":1`),
      );
      assert.ok(!text.includes('127.0.0.1'), 'no peer address in events');
      res.destroy();
    } finally {
      await server.close();
    }
  });

  it('re-reads the allow-list file when it changes', async () => {
    const list = join(dir, 'allow.txt');
    await writeFile(list, `# releases\n${toHex(hashOf(1))}  pilot\nnot-a-hash\n`);
    const logs: string[] = [];
    const server = await start({ allowListFile: list, listPollMs: 100, log: (l) => logs.push(l) });
    try {
      assert.match(logs.join('\n'), /allow-list: 1 entries .*skipped 1 malformed line\(s\): 3/);
      assert.ok(await announceOk(server, 1, 1));
      assert.ok(!(await announceOk(server, 1, 2)));
      // Replaced the way editors and deploy scripts do: a new file renamed over the old one.
      await writeFile(`${list}.new`, `${toHex(hashOf(2))}\n${'ef'.repeat(32)}\n`);
      await rename(`${list}.new`, list);
      await until('the new list', () => announceOk(server, 1, 2));
      assert.ok(!(await announceOk(server, 1, 1)));
      // A list that disappears keeps the one in force.
      await rm(list);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(await announceOk(server, 1, 2));
    } finally {
      await server.close();
    }
  });

  it('gates announces with passkeys over HTTP and UDP (BEP 41 URLData)', async () => {
    const keys = join(dir, 'passkeys.txt');
    await writeFile(keys, 'alice-0001\nbob-0002\n');
    const server = await start({ passkeysFile: keys });
    const probe = await UdpProbe.open();
    try {
      const base = `http://127.0.0.1:${server.httpPort}/announce`;
      assert.ok(!(await announceOk(server, 1, 1, base)));
      assert.ok(await announceOk(server, 1, 1, `${base}/alice-0001`));
      assert.ok(!(await announceOk(server, 1, 1, `${base}/carol-0003`)));
      const udpPort = server.udpPort as number;
      const c = decodeUdpResponse(
        new Uint8Array(
          (await probe.exchange(
            encodeUdpRequest({ action: 'connect', transactionId: 1 }),
            udpPort,
          )) as Buffer,
        ),
      );
      assert.ok(c.ok && c.value.action === 'connect');
      const announce = (urlData: string | undefined) =>
        encodeUdpRequest({
          action: 'announce',
          connectionId: c.value.action === 'connect' ? c.value.connectionId : 0n,
          transactionId: 2,
          infoHash: hashOf(1) as InfoHashV1,
          peerId: peerIdOf(2),
          downloaded: 0,
          left: 1,
          uploaded: 0,
          event: 'started',
          key: 0,
          numWant: 10,
          port: 7002,
          urlData,
        });
      const bad = decodeUdpResponse(
        new Uint8Array((await probe.exchange(announce(undefined), udpPort)) as Buffer),
      );
      assert.ok(bad.ok && bad.value.action === 'error');
      const good = decodeUdpResponse(
        new Uint8Array((await probe.exchange(announce('/announce/bob-0002'), udpPort)) as Buffer),
      );
      assert.ok(good.ok && good.value.action === 'announce' && good.value.peers.length === 1);
    } finally {
      await probe.close();
      await server.close();
    }
  });

  it('serves the admin API over a socket, with the token', async () => {
    const server = await start({ allowListMode: true, adminToken: 'token-0123456789abcdef' });
    try {
      const url = `http://127.0.0.1:${server.httpPort}/admin/torrents/${toHex(hashOf(3))}`;
      assert.equal((await fetchRaw(url, { method: 'PUT' })).status, 401);
      const ok = await fetchRaw(url, {
        method: 'PUT',
        headers: { Authorization: 'Bearer token-0123456789abcdef' },
      });
      assert.equal(ok.status, 200);
      assert.ok(await announceOk(server, 1, 3));
    } finally {
      await server.close();
    }
  });
});

describe('statistics snapshot file', () => {
  it('keeps counters, series and registrations across a restart, and holds nothing about peers', async () => {
    const statsFile = join(dir, 'stats.bin');
    const options = { statsFile, allowListMode: true, adminToken: 'token-0123456789abcdef' };
    const first = await start(options);
    const auth = { Authorization: 'Bearer token-0123456789abcdef' };
    await fetchRaw(`http://127.0.0.1:${first.httpPort}/admin/torrents/${toHex(hashOf(5))}`, {
      method: 'PUT',
      headers: auth,
    });
    for (let n = 1; n <= 3; n++) assert.ok(await announceOk(first, n, 5, undefined, 0));
    await first.close();
    const bytes = await readFile(statsFile);
    for (let n = 1; n <= 3; n++) {
      assert.ok(!bytes.includes(Buffer.from(peerIdOf(n))), 'no peer id on disk');
      assert.ok(
        !bytes.includes(Buffer.from(peerIdOf(n).subarray(8))),
        'no part of a peer id on disk',
      );
    }
    assert.ok(!bytes.includes(Buffer.from([127, 0, 0, 1, 0x17, 0x71])), 'no peer address on disk');
    const second = await start(options);
    try {
      const stats = JSON.parse((await fetchRaw(second.urls.stats as string)).body.toString());
      assert.equal(stats.totals.completed, 3);
      assert.equal(stats.lifetime.announces, 3);
      assert.equal(stats.totals.peers, 0);
      assert.ok(await announceOk(second, 4, 5), 'the registration survived');
      const one = JSON.parse(
        (
          await fetchRaw(`http://127.0.0.1:${second.httpPort}/stats/${toHex(hashOf(5))}`)
        ).body.toString(),
      );
      assert.equal(one.completed, 3);
      assert.equal(
        one.series.completions.reduce((a: number, b: number) => a + b, 0),
        3,
      );
    } finally {
      await second.close();
    }
  });

  it('refuses to start over a corrupt snapshot rather than overwrite it', async () => {
    const statsFile = join(dir, 'corrupt.bin');
    await writeFile(statsFile, 'FSTK this is not a snapshot');
    await assert.rejects(
      start({ statsFile }),
      (e: unknown) => e instanceof FanseedError && e.code === 'TRACKER_SNAPSHOT_BAD',
    );
    assert.equal((await readFile(statsFile, 'utf8')).slice(0, 4), 'FSTK');
  });
});
