/**
 * The stream server over a real torrent between two sessions on 127.0.0.1: the page, ranges
 * (start, middle, suffix, 416, across pieces and files), HEAD and media types, and a range far
 * into a file that is answered as soon as its pieces arrive, long before the file is complete.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTorrent } from '../core/metainfo/parse.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { unwrap } from '../lib/errors.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { createTorrent } from '../runtime/create-torrent.js';
import { nodeHash } from '../runtime/node-hash.js';
import { Session } from '../runtime/session.js';
import type { Torrent } from '../runtime/torrent.js';
import { type RunningStreamServer, startStreamServer } from './stream-server.js';
import { ask } from './testing.js';

const HOST = '127.0.0.1';
const PIECE = 32_768;
// Odd sizes: the second file starts inside a piece the first one ends in.
const intro = pseudoRandomBytes(100_003, 21);
const film = pseudoRandomBytes(3_000_017, 22);
let dir: string;
let meta: Metainfo;
let seeder: Session;
const sessions: Session[] = [];
const servers: RunningStreamServer[] = [];

/** A leecher with a stream server, not yet connected to anyone. */
const leecher = async (
  name: string,
): Promise<{ torrent: Torrent; server: RunningStreamServer }> => {
  const session = await Session.open({ port: 0, host: HOST });
  sessions.push(session);
  const torrent = await session.add(meta, { path: join(dir, name), trackers: false });
  const server = await startStreamServer(torrent);
  servers.push(server);
  return { torrent, server };
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-stream-'));
  await mkdir(join(dir, 'seed', 'Release'), { recursive: true });
  await writeFile(join(dir, 'seed', 'Release', '0 intro.webm'), intro);
  await writeFile(join(dir, 'seed', 'Release', 'film.mp4'), film);
  const created = await createTorrent(join(dir, 'seed', 'Release'), {
    format: 'v1',
    pieceLength: PIECE,
  });
  meta = unwrap(parseTorrent(created.torrent, nodeHash));
  // 1 MB/s: the 3 MB film takes seconds, a few pieces a fraction of one.
  seeder = await Session.open({ port: 0, host: HOST, uploadLimit: 1_000_000 });
  sessions.push(seeder);
  await seeder.add(meta, { path: join(dir, 'seed'), skipCheck: true });
});

after(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('fanseed stream server', { timeout: 60_000 }, () => {
  it('lists the files with players, and serves ranges of every kind', async () => {
    const { torrent, server } = await leecher('ranges');
    torrent.addPeer(HOST, seeder.port);
    const page = await ask(server.url);
    assert.equal(page.status, 200);
    const html = page.body.toString();
    assert.match(html, /<video controls preload="metadata" src="\/files\/0\/0%20intro.webm"/);
    assert.match(html, /<video controls preload="none" src="\/files\/1\/film.mp4"/);
    const [introUrl, filmUrl] = server.fileUrls() as [string, string];

    const head = await ask(filmUrl, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'video/mp4');
    assert.equal(head.headers['content-length'], String(film.length));
    assert.equal(head.body.length, 0);

    const cases: Array<[string, string, Uint8Array, number]> = [
      ['start', 'bytes=0-99', film.subarray(0, 100), 0],
      [
        'middle across a piece boundary',
        'bytes=32000-99999',
        film.subarray(32_000, 100_000),
        32_000,
      ],
      [
        'open-ended to the end',
        `bytes=${film.length - 5000}-`,
        film.subarray(film.length - 5000),
        film.length - 5000,
      ],
      ['suffix', 'bytes=-777', film.subarray(film.length - 777), film.length - 777],
    ];
    for (const [what, range, bytes, start] of cases) {
      const r = await ask(filmUrl, { range });
      assert.equal(r.status, 206, what);
      assert.equal(
        r.headers['content-range'],
        `bytes ${start}-${start + bytes.length - 1}/${film.length}`,
        what,
      );
      assert.deepEqual(r.body, Buffer.from(bytes), what);
    }
    // The intro's last piece holds the film's first bytes: a range across the file boundary.
    const tail = await ask(introUrl, { range: 'bytes=98000-' });
    assert.deepEqual(tail.body, Buffer.from(intro.subarray(98_000)));
    assert.equal(tail.headers['content-type'], 'video/webm');
    const past = await ask(filmUrl, { range: `bytes=${film.length}-` });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${film.length}`);
    const backwards = await ask(filmUrl, { range: 'bytes=500-100' });
    assert.equal(backwards.status, 416);
    assert.equal((await ask(`${server.url}files/9/nothing`)).status, 404);
    assert.equal((await ask(filmUrl, {}, 'DELETE')).status, 405);
  });

  it('answers a seek far into a missing file as soon as those pieces arrive', async () => {
    const { torrent, server } = await leecher('seek');
    const filmUrl = server.fileUrls()[1] as string;
    const at = 2_400_000;
    // Asked before any peer is known: nothing can come yet.
    const answer = ask(filmUrl, { range: `bytes=${at}-${at + 99_999}` });
    const early = await Promise.race([
      answer.then(() => 'answered'),
      sleep(500).then(() => 'waiting'),
    ]);
    assert.equal(early, 'waiting');
    torrent.addPeer(HOST, seeder.port);
    const r = await answer;
    assert.equal(r.status, 206);
    assert.deepEqual(r.body, Buffer.from(film.subarray(at, at + 100_000)));
    // The whole film at 1 MB/s takes ~3 s; the range's 4 pieces came first (how fast is
    // bench:stream's business, not a test's).
    assert.ok(!torrent.complete, 'the range came before the rest');
  });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
