/**
 * Peer exchange on real sockets (127.0.0.1, fanseed only): a seeder S, a leecher B connected to
 * S whose upload is throttled to a trickle, and a leecher L that knows only B. B tells L about S
 * by ut_pex; L dials S and finishes far sooner than B's trickle alone would allow.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import type { Metainfo } from '../../src/core/metainfo/types.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { Session } from '../../src/runtime/session.js';

const HOST = '127.0.0.1';
const SIZE = 4 * 1024 * 1024;
let dir: string;
let meta: Metainfo;
const sessions: Session[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-pex-'));
  await mkdir(join(dir, 'seed'));
  await writeFile(join(dir, 'seed', 'episode.mkv'), pseudoRandomBytes(SIZE, 3));
  const created = await createTorrent(join(dir, 'seed', 'episode.mkv'), { pieceLength: 64 * 1024 });
  const parsed = parseTorrent(created.torrent, nodeHash);
  assert.ok(parsed.ok);
  meta = parsed.value;
});

after(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('peer exchange between fanseed peers', () => {
  it('a leecher that knows one peer learns the seeder by ut_pex and downloads from it', {
    timeout: 60_000,
  }, async () => {
    const open = async (options: { uploadLimit?: number } = {}): Promise<Session> => {
      const s = await Session.open({ port: 0, host: HOST, ...options });
      sessions.push(s);
      return s;
    };
    const s = await open();
    const seeding = await s.add(meta, { path: join(dir, 'seed'), skipCheck: true });
    // B passes on 32 KiB/s at most: 4 MiB from B alone would take two minutes.
    const b = await open({ uploadLimit: 32 * 1024 });
    const middle = await b.add(meta, { path: join(dir, 'b') });
    middle.addPeer(HOST, s.port);
    await new Promise<void>((resolve) => middle.once('peer-connect', () => resolve()));

    const l = await open();
    const leecher = await l.add(meta, { path: join(dir, 'l') });
    const connected: string[] = [];
    leecher.on('peer-connect', (address) => connected.push(address));
    const started = performance.now();
    leecher.addPeer(HOST, b.port);
    await new Promise<void>((resolve) => leecher.once('done', () => resolve()));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(connected.includes(`${HOST}:${s.port}`), `L dialled S: ${connected.join(', ')}`);
    assert.ok(seconds < 30, `L finished in ${seconds.toFixed(1)} s`);
    assert.ok(seeding.stats().uploaded >= SIZE / 2, 'S served L');
  });
});
