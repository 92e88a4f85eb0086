/**
 * A magnet link alone is enough: fanseed fetches the metadata (BEP 9) and then the data from a
 * libtorrent seeder, for v1 and hybrid torrents.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildMagnet } from '../../src/core/metainfo/magnet.js';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import type { TorrentVersion } from '../../src/core/metainfo/types.js';
import { unwrap } from '../../src/lib/errors.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fanseed.js');
const LT_SEED = join(ROOT, 'test', 'interop', 'py', 'lt_seed.py');
const LT_MAGNET = join(ROOT, 'test', 'interop', 'py', 'lt_magnet_leech.py');
const children: ChildProcess[] = [];
let dir: string;

before(async () => {
  try {
    await promisify(execFile)('/usr/bin/python3', ['-c', 'import libtorrent']);
  } catch {
    assert.fail('libtorrent is missing: install the Debian package python3-libtorrent');
  }
  dir = await mkdtemp(join(tmpdir(), 'fanseed-magnet-'));
  await mkdir(join(dir, 'src', 'season', 'ep1'), { recursive: true });
  await writeFile(join(dir, 'src', 'season', 'ep1', 'video.mkv'), pseudoRandomBytes(1_500_001, 1));
  await writeFile(join(dir, 'src', 'season', 'notes.txt'), pseudoRandomBytes(5_000, 2));
});

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Starts lt_seed.py and resolves with its listen port once it seeds. */
const ltSeed = (torrent: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [LT_SEED, torrent, join(dir, 'src'), '0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const e = JSON.parse(line) as { ready?: boolean; port?: number; error?: string };
      if (e.ready === true && e.port !== undefined) resolve(e.port);
      else reject(new Error(`libtorrent seeder: ${line} ${err}`));
    });
    child.once('exit', (code) => reject(new Error(`libtorrent seeder exited (${code}): ${err}`)));
  });

const download = (
  magnet: string,
  out: string,
  peer: string,
): Promise<{ code: number | null; out: string }> =>
  new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [BIN, 'download', magnet, '-o', out, '--peer', peer, '--json', '--no-dht', '--no-lsd'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let text = '';
    child.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      text += c.toString();
    });
    child.once('exit', (code) => resolve({ code, out: text }));
  });

describe('fanseed downloads from a magnet link alone', () => {
  for (const format of ['v1', 'hybrid'] as TorrentVersion[]) {
    it(`gets the ${format} metadata and data from a libtorrent seeder`, {
      timeout: 60_000,
    }, async () => {
      const bytes = (
        await createTorrent(join(dir, 'src', 'season'), { format, pieceLength: 32 * 1024 })
      ).torrent;
      const torrent = join(dir, `season-${format}.torrent`);
      await writeFile(torrent, bytes);
      const meta = unwrap(parseTorrent(bytes, nodeHash));
      const magnet = buildMagnet({
        infoHashV1: meta.infoHashV1,
        infoHashV2: meta.infoHashV2,
        name: meta.name,
      });
      const port = await ltSeed(torrent);
      const out = join(dir, `out-${format}`);
      const result = await download(magnet, out, `127.0.0.1:${port}`);
      assert.equal(result.code, 0, result.out.split('\n').slice(-8).join('\n'));
      assert.match(result.out, /"event":"metadata"/);
      for (const f of [join('ep1', 'video.mkv'), 'notes.txt']) {
        assert.deepEqual(
          await readFile(join(out, 'season', f)),
          await readFile(join(dir, 'src', 'season', f)),
          f,
        );
      }
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    });
  }
});

describe('libtorrent downloads from a magnet link alone', () => {
  it('gets the hybrid metadata and data from a fanseed seeder', { timeout: 60_000 }, async () => {
    const bytes = (
      await createTorrent(join(dir, 'src', 'season'), { format: 'hybrid', pieceLength: 32 * 1024 })
    ).torrent;
    const torrent = join(dir, 'season-seed.torrent');
    await writeFile(torrent, bytes);
    const meta = unwrap(parseTorrent(bytes, nodeHash));
    const seeder = spawn(
      process.execPath,
      [BIN, 'seed', torrent, '-p', join(dir, 'src'), '--json', '--no-dht', '--no-lsd'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(seeder);
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: seeder.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const e = JSON.parse(line) as { event: string; port?: number };
        if (e.event === 'listening' && e.port !== undefined) resolve(e.port);
      });
      seeder.once('exit', (code) => reject(new Error(`fanseed seed exited (${code})`)));
    });
    const magnet = buildMagnet({
      infoHashV1: meta.infoHashV1,
      infoHashV2: meta.infoHashV2,
      name: meta.name,
    });
    const out = join(dir, 'lt-out');
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [
      LT_MAGNET,
      magnet,
      out,
      `127.0.0.1:${port}`,
      '40',
    ]);
    assert.match(stdout, /"done": true/);
    for (const f of [join('ep1', 'video.mkv'), 'notes.txt']) {
      assert.deepEqual(
        await readFile(join(out, 'season', f)),
        await readFile(join(dir, 'src', 'season', f)),
        f,
      );
    }
    seeder.kill('SIGTERM');
  });
});
