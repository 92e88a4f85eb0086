/**
 * fanseed against fanseed over 127.0.0.1: a download killed with SIGKILL half-way keeps every
 * piece it had verified and completes, byte-identical, after a restart.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';

const BIN = fileURLToPath(new URL('../../../bin/fanseed.js', import.meta.url));
const children: ChildProcess[] = [];
let dir: string;

/** Runs fanseed with --json; resolves each JSON line to `onEvent` until it returns true. */
const start = (
  args: string[],
): {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  wait: (pred: (e: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
} => {
  const child = spawn(process.execPath, [BIN, ...args, '--json', '--no-dht', '--no-lsd'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    pred: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
  }> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const e = JSON.parse(line) as Record<string, unknown>;
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const wait = (pred: (e: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = events.find(pred);
      if (seen !== undefined) return resolve(seen);
      waiters.push({ pred, resolve });
      child.once('exit', (code) =>
        reject(new Error(`fanseed ${args[0]} exited (${code}) before the awaited event`)),
      );
    });
  return { child, events, wait };
};

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-resume-'));
  await mkdir(join(dir, 'src', 'film', 'extras'), { recursive: true });
  await writeFile(
    join(dir, 'src', 'film', 'feature.mkv'),
    pseudoRandomBytes(3 * 1024 * 1024 + 77, 1),
  );
  await writeFile(join(dir, 'src', 'film', 'extras', 'trailer.mkv'), pseudoRandomBytes(700_001, 2));
  const created = await createTorrent(join(dir, 'src', 'film'), { pieceLength: 32 * 1024 });
  await writeFile(join(dir, 'film.torrent'), created.torrent);
});

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('resume after a crash', () => {
  it('keeps every verified piece across SIGKILL and completes byte-identical', {
    timeout: 90_000,
  }, async () => {
    const seeder = start([
      'seed',
      join(dir, 'film.torrent'),
      '-p',
      join(dir, 'src'),
      '--upload-limit',
      '1M',
    ]);
    const listening = await seeder.wait((e) => e.event === 'listening');
    await seeder.wait((e) => e.event === 'seeding');
    const peer = `127.0.0.1:${listening.port as number}`;
    const out = join(dir, 'out');

    const first = start(['download', join(dir, 'film.torrent'), '-o', out, '--peer', peer]);
    const midway = await first.wait((e) => e.event === 'progress' && (e.have as number) >= 40);
    // Let resume data catch up with what the progress said (it is saved within a second).
    await new Promise((r) => setTimeout(r, 1500));
    const before = first.events.filter((e) => e.event === 'progress').at(-1)?.have as number;
    first.child.kill('SIGKILL');
    await exited(first.child);
    assert.ok(before < (midway.pieces as number), 'killed before the end');

    const second = start(['download', join(dir, 'film.torrent'), '-o', out, '--peer', peer]);
    const ready = await second.wait((e) => e.event === 'ready');
    assert.ok(
      (ready.have as number) >= (midway.have as number),
      `restart has ${ready.have as number} pieces, had ${midway.have as number}`,
    );
    await second.wait((e) => e.event === 'done');
    assert.equal(await exited(second.child), 0);
    for (const f of ['feature.mkv', join('extras', 'trailer.mkv')]) {
      assert.deepEqual(
        await readFile(join(out, 'film', f)),
        await readFile(join(dir, 'src', 'film', f)),
        f,
      );
    }
    seeder.child.kill('SIGTERM');
    assert.equal(await exited(seeder.child), 0);
  });
});

describe('peers given with --peer', () => {
  it('are dialled again until they answer', { timeout: 60_000 }, async () => {
    // Pick a free port, start the download towards it, and only then start the seeder there.
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const out = join(dir, 'late');
    const leecher = start([
      'download',
      join(dir, 'film.torrent'),
      '-o',
      out,
      '--peer',
      `127.0.0.1:${port}`,
    ]);
    await leecher.wait((e) => e.event === 'peer-disconnect');
    const seeder = start([
      'seed',
      join(dir, 'film.torrent'),
      '-p',
      join(dir, 'src'),
      '--port',
      String(port),
    ]);
    await leecher.wait((e) => e.event === 'done');
    assert.equal(await exited(leecher.child), 0);
    seeder.child.kill('SIGTERM');
    assert.equal(await exited(seeder.child), 0);
  });
});

describe('--select', () => {
  it('downloads only the chosen files', { timeout: 60_000 }, async () => {
    const seeder = start(['seed', join(dir, 'film.torrent'), '-p', join(dir, 'src')]);
    const listening = await seeder.wait((e) => e.event === 'listening');
    const out = join(dir, 'chosen');
    // Files in torrent order: 0 extras/trailer.mkv, 1 feature.mkv.
    const leecher = start([
      'download',
      join(dir, 'film.torrent'),
      '-o',
      out,
      '--select',
      '0',
      '--peer',
      `127.0.0.1:${listening.port as number}`,
    ]);
    await leecher.wait((e) => e.event === 'done');
    assert.equal(await exited(leecher.child), 0);
    assert.deepEqual(
      await readFile(join(out, 'film', 'extras', 'trailer.mkv')),
      await readFile(join(dir, 'src', 'film', 'extras', 'trailer.mkv')),
    );
    await assert.rejects(
      readFile(join(out, 'film', 'feature.mkv')),
      'the other file was not fetched',
    );
    seeder.child.kill('SIGTERM');
    assert.equal(await exited(seeder.child), 0);
  });
});
