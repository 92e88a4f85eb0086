/**
 * Web seeds (BEP 19) on real sockets, fanseed only, 127.0.0.1: a multi-file torrent comes
 * whole from `fanseed mirror` alone, from a plain static file server alone, from a mirror and a
 * peer together, and a mirror that serves one corrupted range is dropped while an honest one
 * finishes the job.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import serveStatic from 'serve-static';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import type { Metainfo } from '../../src/core/metainfo/types.js';
import { unwrap } from '../../src/lib/errors.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { Session } from '../../src/runtime/session.js';
import type { Torrent } from '../../src/runtime/torrent.js';
import { mirrorHandler } from '../../src/stream/mirror-server.js';

const HOST = '127.0.0.1';
const FILES: Record<string, Uint8Array> = {
  'a.mkv': pseudoRandomBytes(1_300_000, 11),
  'extras/b.srt': pseudoRandomBytes(40_000, 12),
  'extras/c d.bin': pseudoRandomBytes(777_777, 13),
};
let dir: string;
const sessions: Session[] = [];
const servers: Server[] = [];

const torrentOf = async (format: 'v1' | 'v2' | 'hybrid'): Promise<Metainfo> => {
  const created = await createTorrent(join(dir, 'seed', 'release'), {
    format,
    pieceLength: 32_768,
  });
  return unwrap(parseTorrent(created.torrent, nodeHash));
};

const listen = async (
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> => {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
  return `http://${HOST}:${(server.address() as AddressInfo).port}/`;
};

/** Counts the body bytes a handler sends. */
const counting =
  (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    count: { bytes: number },
  ): ((req: IncomingMessage, res: ServerResponse) => void) =>
  (req, res) => {
    const write = res.write.bind(res);
    res.write = ((chunk: Uint8Array, ...rest: never[]) => {
      count.bytes += chunk.length;
      return write(chunk, ...rest);
    }) as typeof res.write;
    handler(req, res);
  };

const leech = async (meta: Metainfo, name: string): Promise<{ torrent: Torrent; path: string }> => {
  const session = await Session.open({ port: 0, host: HOST });
  sessions.push(session);
  const path = join(dir, name);
  const torrent = await session.add(meta, { path, trackers: false });
  return { torrent, path };
};

const done = (t: Torrent): Promise<void> =>
  t.complete ? Promise.resolve() : new Promise((resolve) => t.once('done', () => resolve()));

const assertSame = async (path: string): Promise<void> => {
  for (const [name, bytes] of Object.entries(FILES))
    assert.deepEqual(await readFile(join(path, 'release', name)), Buffer.from(bytes), name);
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-webseed-'));
  for (const [name, bytes] of Object.entries(FILES)) {
    const file = join(dir, 'seed', 'release', name);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, bytes);
  }
});

after(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

describe('web seeds', { timeout: 60_000 }, () => {
  it('downloads a multi-file torrent from fanseed mirror alone, byte-identical', async () => {
    const meta = await torrentOf('v1');
    const served = { bytes: 0 };
    const url = await listen(counting(mirrorHandler({ meta, path: join(dir, 'seed') }), served));
    const { torrent, path } = await leech(meta, 'from-mirror');
    torrent.addWebSeed(url);
    await done(torrent);
    await assertSame(path);
    assert.equal(served.bytes, meta.length, 'every byte fetched once');
  });

  it('downloads a hybrid torrent (padding files) from a plain static file server', async () => {
    const meta = await torrentOf('hybrid');
    assert.ok(
      meta.files.some((f) => f.pad),
      'the torrent has padding files',
    );
    const url = await listen((req, res) =>
      serveStatic(join(dir, 'seed'))(req, res, () => {
        res.statusCode = 404;
        res.end();
      }),
    );
    const { torrent, path } = await leech(meta, 'from-static');
    torrent.addWebSeed(url);
    await done(torrent);
    await assertSame(path);
  });

  it('downloads a v2-only torrent (files aligned to pieces) from fanseed mirror alone', async () => {
    const meta = await torrentOf('v2');
    assert.equal(meta.version, 'v2');
    const url = await listen(mirrorHandler({ meta, path: join(dir, 'seed') }));
    const { torrent, path } = await leech(meta, 'v2-from-mirror');
    torrent.addWebSeed(url);
    await done(torrent);
    await assertSame(path);
  });

  it('downloads from a mirror and a peer together, both contributing', async () => {
    const meta = await torrentOf('v1');
    const seeder = await Session.open({ port: 0, host: HOST, uploadLimit: 400_000 });
    sessions.push(seeder);
    const seeding = await seeder.add(meta, { path: join(dir, 'seed'), skipCheck: true });
    const served = { bytes: 0 };
    // The mirror is throttled too (one 64 KiB write per 100 ms): neither can do it all quickly.
    const slow = (req: IncomingMessage, res: ServerResponse): void => {
      const write = res.write.bind(res);
      res.write = ((chunk: Uint8Array, ...rest: never[]) => {
        const ok = write(chunk, ...rest);
        res.socket?.pause();
        setTimeout(() => res.socket?.resume(), 100);
        return ok;
      }) as typeof res.write;
      mirrorHandler({ meta, path: join(dir, 'seed') })(req, res);
    };
    const url = await listen(counting(slow, served));
    const { torrent, path } = await leech(meta, 'from-both');
    torrent.addWebSeed(url);
    torrent.addPeer(HOST, seeder.port);
    await done(torrent);
    await assertSame(path);
    assert.ok(served.bytes > 100_000, `the mirror served ${served.bytes} bytes`);
    assert.ok(
      seeding.stats().uploaded > 100_000,
      `the peer sent ${seeding.stats().uploaded} bytes`,
    );
  });

  it('keeps to the session download limit with a mirror as the only source', async () => {
    const meta = await torrentOf('v1');
    const url = await listen(mirrorHandler({ meta, path: join(dir, 'seed') }));
    const session = await Session.open({ port: 0, host: HOST, downloadLimit: 500_000 });
    sessions.push(session);
    const path = join(dir, 'limited');
    const started = performance.now();
    const torrent = await session.add({ ...meta, urlList: [url] }, { path, trackers: false });
    await done(torrent);
    const seconds = (performance.now() - started) / 1000;
    await assertSame(path);
    // 2.1 MB at 500 kB/s: over 3 s even with the bucket's first second of credit, so the limit
    // holds. And reading resumes after each wait: a stall would last until the 30 s time-out of
    // an idle answer (it did, when a timer fired a millisecond before the wall clock's mark).
    assert.ok(seconds > 2.5, `${meta.length} bytes in ${seconds.toFixed(2)} s`);
    assert.ok(seconds < 25, `${meta.length} bytes in ${seconds.toFixed(2)} s: reading stalled`);
  });

  it('downloads from two mirrors in parallel, each serving part of it', async () => {
    const meta = await torrentOf('v1');
    const a = { bytes: 0 };
    const b = { bytes: 0 };
    const handler = mirrorHandler({ meta, path: join(dir, 'seed') });
    const first = await listen(counting(handler, a));
    const second = await listen(counting(handler, b));
    const session = await Session.open({ port: 0, host: HOST });
    sessions.push(session);
    const path = join(dir, 'from-two');
    // Both mirrors from the start (its url-list), as a published torrent would name them.
    const torrent = await session.add(
      { ...meta, urlList: [first, second] },
      { path, trackers: false },
    );
    await done(torrent);
    await assertSame(path);
    assert.ok(a.bytes > 0 && b.bytes > 0, `the mirrors served ${a.bytes} and ${b.bytes} bytes`);
    assert.equal(torrent.stats().webSeeds, 2);
  });

  it('drops a mirror that serves a corrupted range; an honest mirror completes the download', async () => {
    const meta = await torrentOf('v1');
    const honest = mirrorHandler({ meta, path: join(dir, 'seed') });
    // Flips every byte it sends of a.mkv between 600,000 and 610,000.
    const bad = (req: IncomingMessage, res: ServerResponse): void => {
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      let at = Number(range?.[1] ?? 0);
      const corrupt = (req.url ?? '').endsWith('/a.mkv');
      const write = res.write.bind(res);
      res.write = ((chunk: Uint8Array, ...rest: never[]) => {
        let out = chunk;
        if (corrupt && at < 610_000 && at + chunk.length > 600_000) {
          out = Uint8Array.from(chunk);
          for (let i = Math.max(0, 600_000 - at); i < Math.min(out.length, 610_000 - at); i++)
            out[i] = (out[i] as number) ^ 0xff;
        }
        at += chunk.length;
        return write(out, ...rest);
      }) as typeof res.write;
      honest(req, res);
    };
    const badUrl = await listen(bad);
    const { torrent, path } = await leech(meta, 'from-bad');
    const dropped = new Promise<string>((resolve) =>
      torrent.on('peer-disconnect', (address, reason) => {
        if (address === badUrl) resolve(reason);
      }),
    );
    torrent.addWebSeed(badUrl);
    const reason = await dropped;
    assert.match(reason, /hash check/);
    assert.ok(!torrent.complete);
    // A pause and a resume do not bring it back.
    let badAgain = false;
    torrent.on('peer-connect', (address) => {
      if (address === badUrl) badAgain = true;
    });
    await torrent.pause();
    torrent.resume();
    torrent.addWebSeed(await listen(honest));
    await done(torrent);
    await assertSame(path);
    assert.equal(badAgain, false, 'the dropped mirror was used again');
  });
});
