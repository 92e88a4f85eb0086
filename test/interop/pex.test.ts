/**
 * Peer exchange with libtorrent (127.0.0.1 only): a fanseed seeder S, a fanseed leecher B
 * connected to S with its upload throttled to a trickle, and a libtorrent leecher that is told
 * of B alone. B names S in its ut_pex message; libtorrent dials S and finishes from it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { Session } from '../../src/runtime/session.js';
import {
  describeRun,
  deterministicBytes,
  Processes,
  PY,
  parseJsonObject,
  requireLibtorrent,
  SYSTEM_PYTHON,
  waitForExit,
} from './support.js';

const HOST = '127.0.0.1';
const SIZE = 4 * 1024 * 1024;
const procs = new Processes();
const sessions: Session[] = [];
let dir: string;

before(async () => {
  await requireLibtorrent();
  dir = await mkdtemp(join(tmpdir(), 'fanseed-interop-pex-'));
});

after(async () => {
  await procs.killAll();
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('peer exchange with libtorrent', () => {
  it('libtorrent learns the seeder from a fanseed peer’s ut_pex and downloads from it', {
    timeout: 90_000,
  }, async () => {
    await mkdir(join(dir, 'seed'));
    const bytes = deterministicBytes(SIZE, 21);
    await writeFile(join(dir, 'seed', 'extra.mkv'), bytes);
    const created = await createTorrent(join(dir, 'seed', 'extra.mkv'), {
      pieceLength: 64 * 1024,
      format: 'v1',
    });
    const torrentFile = join(dir, 'extra.torrent');
    await writeFile(torrentFile, created.torrent);
    const parsed = parseTorrent(created.torrent, nodeHash);
    assert.ok(parsed.ok);
    const meta = parsed.value;

    const s = await Session.open({ port: 0, host: HOST });
    sessions.push(s);
    const seeding = await s.add(meta, { path: join(dir, 'seed'), skipCheck: true });
    const dialsToS: string[] = [];
    seeding.on('peer-connect', (address) => dialsToS.push(address));
    const b = await Session.open({ port: 0, host: HOST, uploadLimit: 16 * 1024 });
    sessions.push(b);
    const middle = await b.add(meta, { path: join(dir, 'b') });
    middle.addPeer(HOST, s.port);
    await new Promise<void>((resolve) => middle.once('peer-connect', () => resolve()));

    const out = join(dir, 'lt');
    await mkdir(out);
    const leech = procs.start('libtorrent leech', SYSTEM_PYTHON, [
      join(PY, 'lt_leech.py'),
      torrentFile,
      out,
      '--connect',
      `${HOST}:${b.port}`,
      '--timeout',
      '75',
    ]);
    const exit = await waitForExit(leech, 85_000);
    const result = parseJsonObject(leech.lines.at(-1) ?? '');
    assert.equal(exit.code, 0, `libtorrent finished\n${describeRun(leech)}`);
    assert.equal(result?.done, true);
    assert.ok((await readFile(join(out, 'extra.mkv'))).equals(bytes), 'byte-identical');
    assert.ok(dialsToS.length >= 2, `libtorrent dialled S too: ${dialsToS.join(', ')}`);
    assert.ok(seeding.stats().uploaded >= SIZE, 'S served both');
  });
});
