/**
 * Data transfer between fanseed and libtorrent 2.0 over TCP on 127.0.0.1, both ways, for v1,
 * v2 and hybrid torrents that fanseed makes (32 KiB pieces, no trackers: peers are dialled
 * directly). libtorrent runs in py/lt_seed.py and py/lt_leech.py; fanseed through its real
 * executable, bin/fanseed.js, as a user would run it. Every file must arrive byte for byte.
 * A control runs the two helpers against each other first: when it fails, the harness or the
 * machine is at fault, not fanseed.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { TorrentVersion } from '../../src/core/metainfo/types.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import {
  assertSameTree,
  describeRun,
  type Exit,
  FANSEED_BIN,
  freeTcpPort,
  Processes,
  PY,
  parseJsonObject,
  type Running,
  requireLibtorrent,
  SYSTEM_PYTHON,
  signalByPid,
  waitForExit,
  waitForJson,
  writeTree,
} from './support.js';

const PIECE_LENGTH = 32 * 1024;
const TEST_TIMEOUT_MS = 60_000;
/** Each wait inside a test is shorter than the test, so that a hang fails with its own reason. */
const READY_TIMEOUT_MS = 20_000;
const TRANSFER_TIMEOUT_MS = 40_000;
const EXIT_TIMEOUT_MS = 10_000;

/** libtorrent -> fanseed in every format; fanseed -> libtorrent in v1 and hybrid. */
const DOWNLOAD_FORMATS: readonly TorrentVersion[] = ['v1', 'v2', 'hybrid'];
const SEED_FORMATS: readonly TorrentVersion[] = ['v1', 'hybrid'];

interface Layout {
  readonly id: string;
  /** The torrent's name: the file itself, or the top folder. */
  readonly name: string;
  /** Paths below the top folder, or [['', length]] for a single-file torrent. */
  readonly files: readonly (readonly [string, number])[];
}

/** No size is a multiple of the piece length; ~3 MiB and ~1 MiB in all. */
const LAYOUTS: readonly Layout[] = [
  {
    id: 'folder',
    name: 'festival',
    files: [
      ['README.txt', 1_234],
      ['empty.nfo', 0],
      ['films/short-1.mkv', 1_000_003],
      ['films/short-2.mkv', 777_777],
      ['films/extras/making-of.mkv', 1_200_001],
      ['films/extras/stills/frame.png', 150_001],
      ['subs/en.srt', 12_345],
    ],
  },
  { id: 'single', name: 'feature.mkv', files: [['', 1024 * 1024 + 123]] },
];
const totalLength = (layout: Layout): number => layout.files.reduce((n, [, l]) => n + l, 0);

let tmp: string;
const sourceParent = (layout: Layout): string => join(tmp, 'source', layout.id);
const torrentPath = (layout: Layout, format: TorrentVersion): string =>
  join(tmp, 'torrents', `${layout.id}-${format}.torrent`);
/** A fresh folder per test, so that no test sees another's output. */
const scratch = async (...parts: string[]): Promise<string> => {
  const dir = join(tmp, 'runs', ...parts);
  await mkdir(dir, { recursive: true });
  return dir;
};

// ---------------------------------------------------------------------------------------------
// Child processes: every one started is tracked and killed by PID after each test.

const procs = new Processes();
/** With a stdin pipe (lt_seed.py stops when it closes) and every stdout line kept. */
const start = (label: string, command: string, args: readonly string[]): Running =>
  procs.start(label, command, args, { stdin: true, allLines: true });
const killEverything = (): Promise<void> => procs.killAll();

/** Asks a process to stop (SIGTERM, or closing its stdin) and waits for it. */
const stop = async (p: Running, how: 'SIGTERM' | 'stdin'): Promise<Exit> => {
  if (how === 'stdin') p.child.stdin?.end();
  else signalByPid(p, 'SIGTERM');
  return waitForExit(p, EXIT_TIMEOUT_MS);
};

// ---------------------------------------------------------------------------------------------
// The two sides.

/** lt_seed.py, once it has checked the data and listens. Stopped by closing its stdin. */
const startLtSeed = async (
  torrent: string,
  savePath: string,
  ...extra: string[]
): Promise<[Running, number]> => {
  await requireLibtorrent();
  const p = start('lt_seed.py', SYSTEM_PYTHON, [
    join(PY, 'lt_seed.py'),
    torrent,
    savePath,
    '0',
    ...extra,
  ]);
  const ready = await waitForJson(
    p,
    (v) => typeof v.ready === 'boolean',
    READY_TIMEOUT_MS,
    'the ready line',
  );
  assert.ok(ready.ready && typeof ready.port === 'number', `lt_seed.py: ${ready.error}`);
  return [p, ready.port];
};

/** lt_seed.py's last line: payload bytes it sent. */
const stopLtSeed = async (p: Running): Promise<number> => {
  const exit = await stop(p, 'stdin');
  assert.equal(exit.code, 0, describeRun(p));
  const last = parseJsonObject(p.lines.at(-1) ?? '');
  assert.ok(typeof last?.uploaded === 'number', describeRun(p));
  return last.uploaded;
};

interface LeechResult {
  readonly done: boolean;
  readonly progress: number;
  readonly seconds: number;
  readonly downloaded: number;
  readonly failedBytes: number;
  readonly error: string | null;
  /** With --encryption: every peer's stream was RC4-encrypted (null: no peer seen in time). */
  readonly rc4?: boolean | null;
}

/** lt_leech.py until it has every piece; `seeder`'s output goes into any failure message. */
const runLtLeech = async (
  torrent: string,
  savePath: string,
  port: number,
  seeder: Running,
  ...extra: string[]
) => {
  await requireLibtorrent();
  const p = start('lt_leech.py', SYSTEM_PYTHON, [
    join(PY, 'lt_leech.py'),
    torrent,
    savePath,
    '--connect',
    `127.0.0.1:${port}`,
    '--timeout',
    String(TRANSFER_TIMEOUT_MS / 1000),
    ...extra,
  ]);
  const exit = await waitForExit(p, TRANSFER_TIMEOUT_MS + EXIT_TIMEOUT_MS);
  const result = parseJsonObject(p.lines.at(-1) ?? '') as LeechResult | undefined;
  const why = (): string => `${describeRun(p)}\n\nthe seeder: ${describeRun(seeder)}`;
  assert.ok(result !== undefined, `lt_leech.py printed no result\n${why()}`);
  assert.equal(result.error, null, `libtorrent did not finish\n${why()}`);
  assert.ok(result.done && result.progress === 1, why());
  assert.equal(result.failedBytes, 0, 'pieces libtorrent received failed their hash check');
  assert.equal(exit.code, 0, why());
  return result;
};

const fanseed = (...args: string[]): Running =>
  start(`fanseed ${args.join(' ')}`, process.execPath, [
    FANSEED_BIN,
    ...args,
    // Tests never reach the public DHT routers or the LAN.
    ...(args[0] === 'download' || args[0] === 'seed' ? ['--no-dht', '--no-lsd'] : []),
  ]);

/** The CLI contract: with --json, every stdout line is one JSON object naming its event. */
const assertJsonEvents = (p: Running): void => {
  for (const line of p.lines.filter((l) => l.trim() !== '')) {
    const event = parseJsonObject(line);
    assert.ok(typeof event?.event === 'string', `not a JSON event line: ${line}\n${p.label}`);
  }
};

// ---------------------------------------------------------------------------------------------
// Data.

const writeSource = (layout: Layout, seed: number): Promise<void> =>
  writeTree(join(sourceParent(layout), layout.name), layout.files, (length, i) =>
    pseudoRandomBytes(length, seed * 100 + i + 1),
  );

/** The data under `parent` is the source, byte for byte, with no file missing or extra. */
const assertSameData = (layout: Layout, parent: string): Promise<void> =>
  assertSameTree(join(sourceParent(layout), layout.name), join(parent, layout.name), undefined, {
    pieceLength: PIECE_LENGTH,
  });

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fanseed-interop-transfer-'));
  await mkdir(join(tmp, 'torrents'));
  for (const [seed, layout] of LAYOUTS.entries()) {
    await writeSource(layout, seed + 1);
    for (const format of ['v1', 'v2', 'hybrid'] as const) {
      const made = await createTorrent(join(sourceParent(layout), layout.name), {
        format,
        pieceLength: PIECE_LENGTH,
      });
      await writeFile(torrentPath(layout, format), made.torrent);
    }
  }
});
afterEach(killEverything);
after(async () => {
  await killEverything();
  await rm(tmp, { recursive: true, force: true });
});

const cases = (formats: readonly TorrentVersion[]) =>
  LAYOUTS.flatMap((layout) => formats.map((format) => ({ layout, format })));
const what = (layout: Layout, format: TorrentVersion): string =>
  `a ${format} ${layout.id === 'single' ? 'single-file' : 'multi-file'} torrent`;

// ---------------------------------------------------------------------------------------------

describe('the libtorrent helpers, between themselves (control for the harness)', () => {
  for (const { layout, format } of cases(DOWNLOAD_FORMATS)) {
    it(`transfer ${what(layout, format)}`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const torrent = torrentPath(layout, format);
      const out = await scratch('control', `${layout.id}-${format}`);
      const [seeder, port] = await startLtSeed(torrent, sourceParent(layout));
      try {
        await runLtLeech(torrent, out, port, seeder);
        assert.ok((await stopLtSeed(seeder)) >= totalLength(layout), 'bytes lt_seed.py sent');
        await assertSameData(layout, out);
      } finally {
        await killEverything();
      }
    });
  }
});

describe('fanseed downloads from a libtorrent seeder', () => {
  for (const { layout, format } of cases(DOWNLOAD_FORMATS)) {
    it(`downloads ${what(layout, format)} intact`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const torrent = torrentPath(layout, format);
      const out = await scratch('download', `${layout.id}-${format}`);
      const [seeder, port] = await startLtSeed(torrent, sourceParent(layout));
      try {
        const download = fanseed(
          'download',
          torrent,
          '-o',
          out,
          '--peer',
          `127.0.0.1:${port}`,
          '--port',
          '0',
          '--no-dht',
          '--json',
        );
        const exit = await waitForExit(download, TRANSFER_TIMEOUT_MS);
        assert.equal(exit.code, 0, describeRun(download));
        assertJsonEvents(download);
        await assertSameData(layout, out);
        const verify = fanseed('verify', torrent, '-p', out);
        assert.equal((await waitForExit(verify, EXIT_TIMEOUT_MS)).code, 0, describeRun(verify));
        assert.ok((await stopLtSeed(seeder)) >= totalLength(layout), 'bytes libtorrent sent');
      } finally {
        await killEverything();
      }
    });
  }
});

describe('libtorrent downloads from a fanseed seeder', () => {
  for (const { layout, format } of cases(SEED_FORMATS)) {
    it(`seeds ${what(layout, format)} to libtorrent`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const torrent = torrentPath(layout, format);
      // A copy: a seeder that writes to its data must not damage the other tests' source.
      const data = await scratch('seed', `${layout.id}-${format}`, 'data');
      await cp(join(sourceParent(layout), layout.name), join(data, layout.name), {
        recursive: true,
      });
      const out = await scratch('seed', `${layout.id}-${format}`, 'out');
      const port = await freeTcpPort();
      const seed = fanseed('seed', torrent, '-p', data, '--port', String(port), '--json');
      try {
        const listening = await waitForJson(
          seed,
          (v) => v.event === 'listening',
          READY_TIMEOUT_MS,
          'the listening line',
        );
        assert.equal(listening.port, port, 'the port fanseed says it listens on');
        await runLtLeech(torrent, out, port, seed);
        await assertSameData(layout, out);
        const exit = await stop(seed, 'SIGTERM');
        assert.deepEqual(exit, { code: 0, signal: null }, describeRun(seed));
        assertJsonEvents(seed);
        await assertSameData(layout, data); // seeding left its data as it was
      } finally {
        await killEverything();
      }
    });
  }
});

describe('message stream encryption with libtorrent (RC4 both ways, MSE required)', () => {
  const layout = LAYOUTS[0] as Layout;

  it('serves a libtorrent that insists on RC4', { timeout: TEST_TIMEOUT_MS }, async () => {
    const torrent = torrentPath(layout, 'v1');
    const out = await scratch('mse', 'lt-leech');
    const port = await freeTcpPort();
    const seed = fanseed(
      'seed',
      torrent,
      '-p',
      sourceParent(layout),
      '--port',
      String(port),
      '--json',
    );
    try {
      await waitForJson(seed, (v) => v.event === 'listening', READY_TIMEOUT_MS, 'listening');
      const result = await runLtLeech(torrent, out, port, seed, '--encryption', 'rc4');
      // libtorrent accepts nothing but RC4 here, so finishing proves it; when it was seen in
      // time, its own flags must agree.
      assert.notEqual(result.rc4, false, 'libtorrent saw a stream that was not RC4-encrypted');
      await assertSameData(layout, out);
    } finally {
      await killEverything();
    }
  });

  it('downloads with --encryption require from a libtorrent that insists on RC4', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const torrent = torrentPath(layout, 'v1');
    const out = await scratch('mse', 'fanseed-leech');
    const [seeder, port] = await startLtSeed(torrent, sourceParent(layout), '--encryption', 'rc4');
    try {
      const download = fanseed(
        'download',
        torrent,
        '-o',
        out,
        '--peer',
        `127.0.0.1:${port}`,
        '--encryption',
        'require',
        '--json',
      );
      const exit = await waitForExit(download, TRANSFER_TIMEOUT_MS);
      assert.equal(exit.code, 0, describeRun(download));
      await assertSameData(layout, out);
      assert.ok((await stopLtSeed(seeder)) >= totalLength(layout), 'bytes libtorrent sent');
    } finally {
      await killEverything();
    }
  });
});
