/**
 * The library API of a torrent, between two sessions on 127.0.0.1: streams that wait for
 * pieces, pause and resume, download limits, magnet links through session.add, removal and
 * the session's connection cap.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { buildMagnet, parseMagnet } from '../core/metainfo/magnet.js';
import { parseTorrent } from '../core/metainfo/parse.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { unwrap } from '../lib/errors.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { createTorrent } from './create-torrent.js';
import { nodeHash } from './node-hash.js';
import { Session } from './session.js';
import type { Torrent } from './torrent.js';

let dir: string;
let meta: Metainfo;
let seedSession: Session;
const files = {
  'a.bin': pseudoRandomBytes(700_000, 1),
  'b.bin': pseudoRandomBytes(900_000, 2),
  'c.bin': pseudoRandomBytes(300_000, 3),
};
const sessions: Session[] = [];

const open = async (options: Parameters<typeof Session.open>[0] = {}): Promise<Session> => {
  const s = await Session.open({ host: '127.0.0.1', ...options });
  sessions.push(s);
  return s;
};

const collect = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const once = <T extends unknown[]>(t: Torrent, event: string): Promise<T> =>
  new Promise((resolve) => t.once(event as 'done', (...args: unknown[]) => resolve(args as T)));

let n = 0;
const leecherPath = async (): Promise<string> => {
  const path = join(dir, `leech-${n++}`);
  await mkdir(path, { recursive: true });
  return path;
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-torrent-api-'));
  const data = join(dir, 'seed', 'movie');
  await mkdir(data, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(data, name), bytes);
  const created = await createTorrent(data, { format: 'hybrid', pieceLength: 32_768 });
  meta = unwrap(parseTorrent(created.torrent, nodeHash));
  seedSession = await open();
  await seedSession.add(meta, { path: join(dir, 'seed') });
});

after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('Torrent.createReadStream', () => {
  it('streams a file while it downloads, byte-identical, and a range of another', async () => {
    const session = await open();
    const torrent = await session.add(meta, { path: await leecherPath() });
    const whole = collect(torrent.createReadStream(1));
    const part = collect(torrent.createReadStream(2, { start: 1000, end: 99_999 }));
    torrent.addPeer('127.0.0.1', seedSession.port);
    assert.deepEqual(await whole, Buffer.from(files['b.bin']));
    assert.deepEqual(await part, Buffer.from(files['c.bin'].subarray(1000, 100_000)));
  });

  it('fetches the pieces a stream needs from a file that was not selected', async () => {
    const session = await open();
    const path = await leecherPath();
    const torrent = await session.add(meta, { path, select: [{ first: 0, last: 0 }] });
    torrent.addPeer('127.0.0.1', seedSession.port);
    await once(torrent, 'done');
    const bytes = await collect(torrent.createReadStream(2, { start: 5, end: 40_000 }));
    assert.deepEqual(bytes, Buffer.from(files['c.bin'].subarray(5, 40_001)));
    assert.deepEqual(await readFile(join(path, 'movie', 'a.bin')), Buffer.from(files['a.bin']));
  });

  it('refuses a file index past the end, and fails waiting readers when closed', async () => {
    const session = await open();
    const torrent = await session.add(meta, { path: await leecherPath() });
    assert.throws(() => torrent.createReadStream(3), { code: 'API_BAD_ARGUMENT' });
    const stream = torrent.createReadStream(0);
    const failed = collect(stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    await session.remove(torrent);
    assert.equal(((await failed) as { code?: string }).code, 'TORRENT_CLOSED');
    assert.equal(session.list().length, 0);
  });
});

describe('pause and resume', () => {
  it('lets every peer go while paused, keeps verified pieces, and completes on resume', async () => {
    const session = await open({ downloadLimit: 400_000 });
    const path = await leecherPath();
    const torrent = await session.add(meta, { path });
    torrent.addPeer('127.0.0.1', seedSession.port);
    await new Promise<void>((resolve) =>
      torrent.on('piece-verified', () => {
        if (torrent.have.count >= 5) resolve();
      }),
    );
    await torrent.pause();
    const kept = torrent.have.count;
    assert.equal(torrent.state, 'paused');
    assert.equal(torrent.stats().peers, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(torrent.have.count, kept);
    torrent.resume();
    await once(torrent, 'done');
    assert.equal(torrent.state, 'seeding');
    for (const [name, bytes] of Object.entries(files))
      assert.deepEqual(await readFile(join(path, 'movie', name)), Buffer.from(bytes));
  });
});

describe('pause, resume and close in quick succession', () => {
  it('resumes after a pause not yet finished, completes, and closes once', async () => {
    const session = await open({ downloadLimit: 600_000 });
    const path = await leecherPath();
    const torrent = await session.add(meta, { path });
    torrent.addPeer('127.0.0.1', seedSession.port);
    await new Promise<void>((resolve) =>
      torrent.on('piece-verified', () => {
        if (torrent.have.count >= 3) resolve();
      }),
    );
    const paused = torrent.pause();
    torrent.resume();
    await paused;
    await once(torrent, 'done');
    assert.equal(torrent.state, 'seeding');
    let closed = 0;
    torrent.on('closed', () => closed++);
    await Promise.all([torrent.close(), torrent.close()]);
    assert.equal(closed, 1);
    assert.equal(torrent.state, 'closed');
    for (const [name, bytes] of Object.entries(files))
      assert.deepEqual(await readFile(join(path, 'movie', name)), Buffer.from(bytes));
  });
});

describe('download limits', () => {
  it('keeps a torrent under its download limit', async () => {
    const session = await open();
    const limit = 500_000;
    const torrent = await session.add(meta, { path: await leecherPath(), downloadLimit: limit });
    const started = Date.now();
    torrent.addPeer('127.0.0.1', seedSession.port);
    await once(torrent, 'done');
    const seconds = (Date.now() - started) / 1000;
    // A second's worth comes in a burst, and one socket read may overdraw the bucket; the rest
    // cannot come faster than the limit.
    const floor = (meta.length - limit - 256 * 1024) / limit;
    assert.ok(seconds >= floor * 0.9, `${seconds.toFixed(2)} s for a floor of ${floor} s`);
  });
});

describe('session.add with a magnet link', () => {
  it('emits metadata, then ready, then done, with the magnet peers alone', async () => {
    const session = await open();
    const uri = buildMagnet({
      infoHashV1: meta.infoHashV1,
      infoHashV2: meta.infoHashV2,
      name: 'movie',
      peers: [`127.0.0.1:${seedSession.port}`],
    });
    const magnet = unwrap(parseMagnet(uri));
    const path = await leecherPath();
    const torrent = await session.add(magnet, { path });
    assert.equal(torrent.state, 'metadata');
    assert.ok(torrent.meta === undefined);
    assert.equal(torrent.name, 'movie');
    const order: string[] = [];
    torrent.on('metadata', () => order.push('metadata'));
    torrent.on('ready', () => order.push('ready'));
    await torrent.start();
    await (torrent.complete ? Promise.resolve() : once(torrent, 'done'));
    assert.deepEqual(order, ['metadata', 'ready']);
    assert.deepEqual((torrent.meta as Metainfo | undefined)?.info, meta.info);
    assert.deepEqual(await readFile(join(path, 'movie', 'b.bin')), Buffer.from(files['b.bin']));
  });

  it('refuses a torrent that is in the session already', async () => {
    await assert.rejects(seedSession.add(meta, { path: join(dir, 'seed') }), {
      code: 'API_BAD_ARGUMENT',
    });
  });
});

describe('connection limits', () => {
  it('dials no more peers than the session allows', async () => {
    const others = await Promise.all([open(), open()]);
    for (const o of others) await o.add(meta, { path: join(dir, 'seed'), skipCheck: true });
    const session = await open({ maxConnections: 1 });
    const torrent = await session.add(meta, { path: await leecherPath() });
    const connected: string[] = [];
    torrent.on('peer-connect', (a) => connected.push(a));
    for (const o of [seedSession, ...others]) torrent.addPeer('127.0.0.1', o.port);
    await once(torrent, 'done');
    assert.equal(new Set(connected).size, 1);
  });
});

describe('message stream encryption', () => {
  it('downloads over MSE from a seeder that requires it, and falls back to plain', async () => {
    const strict = await open({ encryption: { incoming: 'require' } });
    await strict.add(meta, { path: join(dir, 'seed'), skipCheck: true });
    const session = await open({ encryption: { outgoing: 'require' } });
    const path = await leecherPath();
    const torrent = await session.add(meta, { path });
    torrent.addPeer('127.0.0.1', strict.port);
    await once(torrent, 'done');
    assert.deepEqual(await readFile(join(path, 'movie', 'a.bin')), Buffer.from(files['a.bin']));

    const plainOnly = await open();
    const refused = await plainOnly.add(meta, { path: await leecherPath() });
    const why = new Promise<string>((resolve) =>
      refused.once('peer-disconnect', (_address, reason) => resolve(reason)),
    );
    refused.connectTo('127.0.0.1', strict.port);
    assert.match(await why, /closed|refused|could not connect/);
    assert.equal(refused.have.count, 0);

    // A peer that knows only plain BitTorrent: it hangs up on anything else.
    const sockets: Socket[] = [];
    const plainPeer = createServer((client) => {
      sockets.push(client);
      client.once('data', (first) => {
        if (first[0] !== 19) return void client.destroy();
        const upstream = connect({ host: '127.0.0.1', port: seedSession.port });
        sockets.push(upstream);
        upstream.write(first);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
    });
    await new Promise<void>((resolve) => plainPeer.listen(0, '127.0.0.1', resolve));
    try {
      const polite = await open({ encryption: { outgoing: 'prefer' } });
      const fallback = await polite.add(meta, { path: await leecherPath() });
      fallback.addPeer('127.0.0.1', (plainPeer.address() as AddressInfo).port);
      await once(fallback, 'done');
    } finally {
      plainPeer.close();
      for (const socket of sockets) socket.destroy();
    }
  });
});
