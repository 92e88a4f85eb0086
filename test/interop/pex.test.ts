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
import { createNetwork, type Network, requireNetns } from './netns.js';
import {
  describeRun,
  deterministicBytes,
  FANSEED_BIN,
  jsonLines,
  Processes,
  PY,
  parseJsonObject,
  requireLibtorrent,
  SYSTEM_PYTHON,
  waitForExit,
  waitForJson,
} from './support.js';

const HOST = '127.0.0.1';
const SIZE = 4 * 1024 * 1024;
const procs = new Processes();
const sessions: Session[] = [];
let dir: string;
let net: Network | undefined;

before(async () => {
  await requireLibtorrent();
  dir = await mkdtemp(join(tmpdir(), 'fanseed-interop-pex-'));
});

after(async () => {
  await procs.killAll();
  await net?.close();
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A v1 torrent of SIZE bytes of its own in `dir/folder/name.mkv`, its file beside. */
const makeTorrent = async (folder: string, name: string, seed: number) => {
  await mkdir(join(dir, folder));
  const bytes = deterministicBytes(SIZE, seed);
  await writeFile(join(dir, folder, `${name}.mkv`), bytes);
  const created = await createTorrent(join(dir, folder, `${name}.mkv`), {
    pieceLength: 64 * 1024,
    format: 'v1',
  });
  const torrentFile = join(dir, `${name}.torrent`);
  await writeFile(torrentFile, created.torrent);
  const parsed = parseTorrent(created.torrent, nodeHash);
  assert.ok(parsed.ok);
  return { bytes, torrentFile, meta: parsed.value };
};

describe('peer exchange with libtorrent', () => {
  it('libtorrent learns the seeder from a fanseed peer’s ut_pex and downloads from it', {
    timeout: 90_000,
  }, async () => {
    const { bytes, torrentFile, meta } = await makeTorrent('seed', 'extra', 21);

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
  it('fanseed, told of one libtorrent peer only, learns the seeder from libtorrent’s ut_pex', {
    timeout: 120_000,
  }, async () => {
    // Three hosts of a network-namespace LAN: libtorrent leaves out of its PEX messages the
    // peers that share the receiver's IP address, so on 127.0.0.1 it would tell nothing.
    await requireNetns();
    net = await createNetwork({ hosts: 3 });
    const [h0, h1, h2] = net.hosts;
    assert.ok(h0 !== undefined && h1 !== undefined && h2 !== undefined);
    const { bytes, torrentFile } = await makeTorrent('seed2', 'bonus', 22);

    const cli = ['--no-dht', '--no-lsd', '--json', '--port', '6881'];
    const seeder = h0.exec(process.execPath, [
      FANSEED_BIN,
      'seed',
      torrentFile,
      '-p',
      join(dir, 'seed2'),
      ...cli,
    ]);
    await waitForJson(seeder, (e) => e.event === 'seeding', 20_000, 'seeding');
    // libtorrent stays a leecher a while (32 KiB/s), connected to the seeder: the peer between.
    await mkdir(join(dir, 'lt2'));
    const middle = h1.exec(SYSTEM_PYTHON, [
      join(PY, 'lt_leech.py'),
      torrentFile,
      join(dir, 'lt2'),
      '--host',
      h1.address,
      '--port',
      '6881',
      '--connect',
      `${h0.address}:6881`,
      '--download-limit',
      '32768',
      '--timeout',
      '100',
    ]);
    await waitForJson(seeder, (e) => e.event === 'peer-connect', 20_000, 'libtorrent connected');
    const out = join(dir, 'l2');
    const leecher = h2.exec(process.execPath, [
      FANSEED_BIN,
      'download',
      torrentFile,
      '-o',
      out,
      '--peer',
      `${h1.address}:6881`,
      ...cli,
    ]);
    const exit = await waitForExit(leecher, 60_000, () => describeRun(middle));
    assert.equal(
      exit.code,
      0,
      `download ended well\n${describeRun(leecher)}\n${describeRun(middle)}`,
    );
    const dialled = jsonLines(leecher)
      .filter((e) => e.event === 'peer-connect')
      .map((e) => e.address);
    assert.ok(
      dialled.includes(`${h0.address}:6881`),
      `fanseed dialled the seeder: ${dialled.join(', ')}`,
    );
    assert.ok((await readFile(join(out, 'bonus.mkv'))).equals(bytes), 'byte-identical');
  });
});
