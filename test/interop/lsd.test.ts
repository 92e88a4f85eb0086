/**
 * Local service discovery (BEP 14) in network namespaces of this test's own (never the real
 * LAN): a fanseed seeder on one host, and on another a fanseed download given nothing but a
 * magnet link, with the DHT off. They find each other by multicast on the namespaces' bridge.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildMagnet } from '../../src/core/metainfo/magnet.js';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { createNetwork, type Network, requireNetns } from './netns.js';
import {
  describeRun,
  deterministicBytes,
  FANSEED_BIN,
  waitForExit,
  waitForJson,
} from './support.js';

const run = promisify(execFile);
let dir: string;
let net: Network | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-interop-lsd-'));
});

after(async () => {
  await net?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('local service discovery between two hosts', () => {
  it('a download from a magnet link alone finds the seeder on the same network', {
    timeout: 90_000,
  }, async () => {
    await requireNetns();
    net = await createNetwork({ hosts: 2 });
    const [seedHost, leechHost] = net.hosts;
    assert.ok(seedHost !== undefined && leechHost !== undefined);
    // The namespaces have no routes beyond their subnet: multicast gets one, on their bridge.
    for (const h of net.hosts)
      await run('ip', ['-n', h.name, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);

    await mkdir(join(dir, 'data'));
    const bytes = deterministicBytes(1024 * 1024 + 99, 31);
    await writeFile(join(dir, 'data', 'short.mkv'), bytes);
    const created = await createTorrent(join(dir, 'data', 'short.mkv'), {
      pieceLength: 64 * 1024,
      format: 'v1',
    });
    await writeFile(join(dir, 'short.torrent'), created.torrent);
    const parsed = parseTorrent(created.torrent, nodeHash);
    assert.ok(parsed.ok);

    const seeder = seedHost.exec(process.execPath, [
      FANSEED_BIN,
      'seed',
      join(dir, 'short.torrent'),
      '-p',
      join(dir, 'data'),
      '--port',
      '6881',
      '--no-dht',
      '--json',
    ]);
    await waitForJson(seeder, (e) => e.event === 'seeding', 20_000, 'seeding');
    const out = join(dir, 'out');
    const leecher = leechHost.exec(process.execPath, [
      FANSEED_BIN,
      'download',
      buildMagnet({ infoHashV1: parsed.value.infoHashV1 }),
      '-o',
      out,
      '--port',
      '6881',
      '--no-dht',
      '--json',
    ]);
    const exit = await waitForExit(leecher, 60_000, () => describeRun(seeder));
    assert.equal(
      exit.code,
      0,
      `download ended well\n${describeRun(leecher)}\n${describeRun(seeder)}`,
    );
    assert.ok((await readFile(join(out, 'short.mkv'))).equals(bytes), 'byte-identical');
  });
});
