/**
 * The DHT with libtorrent (Debian's python3-libtorrent), on 127.0.0.1 only: a fanseed DHT node
 * is the network's only bootstrap node; libtorrent joins through it; then each side downloads a
 * torrent from the other, given nothing but a magnet link with no tracker and no peer: the
 * seeder is found through the DHT alone. Files must arrive byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildMagnet } from '../../src/core/metainfo/magnet.js';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import type { Metainfo } from '../../src/core/metainfo/types.js';
import { seededRng } from '../../src/lib/ports.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { DhtService } from '../../src/runtime/dht/dht-service.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import {
  describeRun,
  deterministicBytes,
  FANSEED_BIN,
  Processes,
  PY,
  requireLibtorrent,
  SYSTEM_PYTHON,
  terminate,
  waitForExit,
  waitForJson,
} from './support.js';

const HOST = '127.0.0.1';
const procs = new Processes();
let dir: string;
let router: DhtService;
/** Other fanseed nodes: libtorrent keeps no bootstrap router in its own table, so it needs
 * nodes to learn of through the router before its table holds anything. */
const others: DhtService[] = [];

/** A fresh torrent (its own bytes, so no DHT state of another test can help). */
const makeTorrent = async (
  name: string,
  seed: number,
): Promise<{ meta: Metainfo; torrent: string; data: string; bytes: Buffer }> => {
  const data = join(dir, name, 'data');
  await mkdir(data, { recursive: true });
  const bytes = deterministicBytes(2 * 1024 * 1024 + 777, seed);
  await writeFile(join(data, `${name}.mkv`), bytes);
  const created = await createTorrent(join(data, `${name}.mkv`), {
    pieceLength: 64 * 1024,
    format: 'v1',
  });
  const torrent = join(dir, name, `${name}.torrent`);
  await writeFile(torrent, created.torrent);
  const parsed = parseTorrent(created.torrent, nodeHash);
  assert.ok(parsed.ok);
  return { meta: parsed.value, torrent, data, bytes };
};

const ltPeer = (mode: 'seed' | 'leech', source: string, save: string) =>
  procs.start(`libtorrent ${mode}`, SYSTEM_PYTHON, [
    join(PY, 'lt_dht_peer.py'),
    mode,
    source,
    save,
    '--bootstrap',
    `${HOST}:${router.port}`,
    '--timeout',
    '60',
  ]);

const fanseed = (...args: string[]) =>
  procs.start(`fanseed ${args[0]}`, process.execPath, [
    FANSEED_BIN,
    ...args,
    '--dht-bootstrap',
    `${HOST}:${router.port}`,
    '--no-lsd',
    '--json',
  ]);

before(async () => {
  await requireLibtorrent();
  dir = await mkdtemp(join(tmpdir(), 'fanseed-interop-dht-'));
  router = await DhtService.start({ host: HOST, bootstrap: [], rng: seededRng(3) });
  for (let i = 0; i < 5; i++) {
    others.push(
      await DhtService.start({
        host: HOST,
        bootstrap: [`${HOST}:${router.port}`],
        rng: seededRng(10 + i),
      }),
    );
  }
});

after(async () => {
  await procs.killAll();
  await Promise.all(others.map((n) => n.close()));
  await router?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the DHT with libtorrent', () => {
  it('libtorrent joins through a fanseed node; fanseed downloads a trackerless magnet from a libtorrent seeder', {
    timeout: 90_000,
  }, async () => {
    const t = await makeTorrent('lt-seeds', 1);
    const seeder = ltPeer('seed', t.torrent, t.data);
    await waitForJson(
      seeder,
      (e) => e.event === 'dht' && Number(e.nodes) >= 1,
      30_000,
      'fanseed nodes in libtorrent’s routing table',
    );
    await waitForJson(seeder, (e) => e.event === 'seeding', 20_000, 'libtorrent seeding');
    const out = join(dir, 'lt-seeds', 'out');
    const magnet = buildMagnet({ infoHashV1: t.meta.infoHashV1 });
    const download = fanseed('download', magnet, '-o', out, '--port', '0');
    const exit = await waitForExit(download, 60_000);
    assert.equal(exit.code, 0, 'fanseed download ended well');
    assert.ok((await readFile(join(out, 'lt-seeds.mkv'))).equals(t.bytes), 'byte-identical');
    await terminate(seeder, 10_000);
  });

  it('libtorrent downloads a trackerless magnet from a fanseed seeder it finds through the DHT', {
    timeout: 90_000,
  }, async () => {
    const t = await makeTorrent('fs-seeds', 2);
    const seeder = fanseed('seed', t.torrent, '-p', t.data, '--port', '0');
    await waitForJson(seeder, (e) => e.event === 'seeding', 20_000, 'fanseed seeding');
    // The seeder has announced itself once another fanseed node can find it.
    const probe = others[0] as DhtService;
    const deadline = Date.now() + 20_000;
    let seen = 0;
    while (seen === 0 && Date.now() < deadline) {
      seen = (await probe.getPeers(t.meta.infoHashV1 as Uint8Array)).peers.length;
      if (seen === 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(seen > 0, 'the fanseed seeder is in the DHT');
    const out = join(dir, 'fs-seeds', 'out');
    await mkdir(out, { recursive: true });
    const magnet = buildMagnet({ infoHashV1: t.meta.infoHashV1 });
    const leech = ltPeer('leech', magnet, out);
    const exit = await waitForExit(leech, 70_000);
    assert.equal(
      exit.code,
      0,
      `libtorrent finished\n${describeRun(leech)}\n${describeRun(seeder)}`,
    );
    assert.ok((await readFile(join(out, 'fs-seeds.mkv'))).equals(t.bytes), 'byte-identical');
    await terminate(seeder, 10_000);
  });
});
