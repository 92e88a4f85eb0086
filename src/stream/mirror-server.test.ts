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
import { type RunningMirror, startMirror } from './mirror-server.js';
import { type Answer, ask as askUrl } from './testing.js';

let dir: string;
let meta: Metainfo;
let mirror: RunningMirror;
const film = pseudoRandomBytes(100_000, 5);

const ask = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> =>
  askUrl(`${mirror.url.slice(0, -1)}${path}`, headers, method);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-mirror-'));
  await mkdir(join(dir, 'data', 'Star Film', 'extras'), { recursive: true });
  await writeFile(join(dir, 'data', 'Star Film', 'film.webm'), film);
  await writeFile(join(dir, 'data', 'Star Film', 'extras', 'notes #1.txt'), 'hello');
  const created = await createTorrent(join(dir, 'data', 'Star Film'), {
    format: 'hybrid',
    pieceLength: 16_384,
  });
  meta = unwrap(parseTorrent(created.torrent, nodeHash));
  mirror = await startMirror({ meta, path: join(dir, 'data') });
});

after(async () => {
  await mirror.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fanseed mirror (HTTP)', () => {
  it('serves each file at name/path, whole, with type, length, ETag and Last-Modified', async () => {
    const a = await ask('/Star%20Film/film.webm');
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, Buffer.from(film));
    assert.equal(a.headers['content-type'], 'video/webm');
    assert.equal(a.headers['accept-ranges'], 'bytes');
    assert.match(String(a.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(a.headers['last-modified'] !== undefined);
    const notes = await ask('/Star%20Film/extras/notes%20%231.txt');
    assert.equal(notes.body.toString(), 'hello');
  });

  it('answers ranges with 206, HEAD without a body, and 416 past the end', async () => {
    const r = await ask('/Star%20Film/film.webm', { range: 'bytes=1000-1999' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 1000-1999/${film.length}`);
    assert.deepEqual(r.body, Buffer.from(film.subarray(1000, 2000)));
    const suffix = await ask('/Star%20Film/film.webm', { range: 'bytes=-10' });
    assert.deepEqual(suffix.body, Buffer.from(film.subarray(film.length - 10)));
    const head = await ask('/Star%20Film/film.webm', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(film.length));
    assert.equal(head.body.length, 0);
    const past = await ask('/Star%20Film/film.webm', { range: `bytes=${film.length}-` });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${film.length}`);
  });

  it('answers 304 to a matching If-None-Match or If-Modified-Since', async () => {
    const first = await ask('/Star%20Film/film.webm', {}, 'HEAD');
    const etag = String(first.headers.etag);
    assert.equal((await ask('/Star%20Film/film.webm', { 'if-none-match': etag })).status, 304);
    const since = String(first.headers['last-modified']);
    assert.equal((await ask('/Star%20Film/film.webm', { 'if-modified-since': since })).status, 304);
    const changed = await ask('/Star%20Film/film.webm', {
      range: 'bytes=0-9',
      'if-range': '"other"',
    });
    assert.equal(changed.status, 200);
  });

  it('serves padding files as zeros, and nothing outside the torrent', async () => {
    const pad = meta.files.find((f) => f.pad);
    assert.ok(pad !== undefined);
    const zeros = await ask(`/Star%20Film/${pad.path.map(encodeURIComponent).join('/')}`);
    assert.equal(zeros.status, 200);
    assert.deepEqual(zeros.body, Buffer.alloc(pad.length));
    for (const path of [
      '/Star%20Film/../data/Star%20Film/film.webm',
      '/etc/passwd',
      '/Star%20Film',
      '/%E0%A4%A',
    ])
      assert.equal((await ask(path)).status, 404, path);
    assert.equal((await ask('/Star%20Film/film.webm', {}, 'POST')).status, 405);
  });

  it('lists the files on its index page', async () => {
    const index = await ask('/');
    assert.equal(index.status, 200);
    assert.match(index.body.toString(), /href="\/Star%20Film\/film.webm"/);
  });
});
