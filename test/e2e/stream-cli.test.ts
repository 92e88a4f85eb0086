/**
 * `fanseed stream` as a user runs it: a magnet link with the seeder given by --peer, the stream
 * server on a free port, its URLs printed as JSON events; a Range request is answered with the
 * right bytes and type; SIGTERM stops it with exit 0. Everything on 127.0.0.1, DHT and LSD off.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildMagnet } from '../../src/core/metainfo/magnet.js';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import type { Metainfo } from '../../src/core/metainfo/types.js';
import { unwrap } from '../../src/lib/errors.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { Session } from '../../src/runtime/session.js';
import {
  describeRun,
  FANSEED_BIN,
  Processes,
  signalByPid,
  waitForExit,
  waitForJson,
} from '../interop/support.js';

const HOST = '127.0.0.1';
const movie = pseudoRandomBytes(2_000_000, 31);
let dir: string;
let meta: Metainfo;
let seeder: Session;
const procs = new Processes();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-stream-cli-'));
  await mkdir(join(dir, 'seed'));
  await writeFile(join(dir, 'seed', 'short film.mp4'), movie);
  const created = await createTorrent(join(dir, 'seed', 'short film.mp4'), { pieceLength: 65_536 });
  meta = unwrap(parseTorrent(created.torrent, nodeHash));
  await writeFile(join(dir, 'film.torrent'), created.torrent);
  seeder = await Session.open({ port: 0, host: HOST });
  await seeder.add(meta, { path: join(dir, 'seed'), skipCheck: true });
});

after(async () => {
  await procs.killAll();
  await seeder.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fanseed stream (CLI)', { timeout: 60_000 }, () => {
  it('streams a magnet link over HTTP with ranges, and stops cleanly on SIGTERM', async () => {
    const magnet = buildMagnet({
      infoHashV1: meta.infoHashV1,
      infoHashV2: meta.infoHashV2,
      name: meta.name,
    });
    const p = procs.start('fanseed stream', process.execPath, [
      FANSEED_BIN,
      'stream',
      magnet,
      '--port',
      '0',
      '--peer',
      `${HOST}:${seeder.port}`,
      '-o',
      join(dir, 'viewer'),
      '--no-dht',
      '--no-lsd',
      '--json',
    ]);
    const event = await waitForJson(
      p,
      (v) => v.event === 'streaming',
      30_000,
      'the streaming event',
    );
    const files = event.files as string[];
    assert.equal(files.length, 1);
    assert.match(files[0] as string, /^http:\/\/127\.0\.0\.1:\d+\/files\/0\/short%20film\.mp4$/);
    const res = await fetch(files[0] as string, { headers: { range: 'bytes=1000000-1000999' } });
    assert.equal(res.status, 206, describeRun(p));
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.deepEqual(
      Buffer.from(await res.arrayBuffer()),
      Buffer.from(movie.subarray(1_000_000, 1_001_000)),
    );
    const page = await fetch(event.url as string);
    assert.match(await page.text(), /<video controls/);
    signalByPid(p, 'SIGTERM');
    const exit = await waitForExit(p, 15_000);
    assert.equal(exit.code, 0, describeRun(p));
    await waitForJson(p, (v) => v.event === 'stopped', 1, 'the stopped event');
  });

  it('--open hands the first video URL to the desktop opener (xdg-open)', async () => {
    // A stand-in xdg-open first on PATH writes down what it was asked to open.
    const bin = join(dir, 'bin');
    const opened = join(dir, 'opened.txt');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > '${opened}'\n`, { mode: 0o755 });
    const p = procs.start(
      'fanseed stream --open',
      process.execPath,
      [
        FANSEED_BIN,
        'stream',
        join(dir, 'film.torrent'),
        '--port',
        '0',
        '--open',
        '--peer',
        `${HOST}:${seeder.port}`,
        '-o',
        join(dir, 'viewer-open'),
        '--no-dht',
        '--no-lsd',
        '--json',
      ],
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } },
    );
    const event = await waitForJson(
      p,
      (v) => v.event === 'streaming',
      30_000,
      'the streaming event',
    );
    const url = (event.files as string[])[0] as string;
    const deadline = Date.now() + 10_000;
    let got = '';
    while (Date.now() < deadline && got === '') {
      got = (await readFile(opened, 'utf8').catch(() => '')).trim();
      if (got === '') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(got, url, describeRun(p));
    signalByPid(p, 'SIGTERM');
    assert.equal((await waitForExit(p, 15_000)).code, 0, describeRun(p));
  });
});
