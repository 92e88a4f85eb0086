/**
 * `npm run bench:stream`: watching while it downloads, and HTTP mirrors as web seeds.
 *
 *   node dist/bench/stream.js [--size 1G] [--runs 2] [--rate 20M] [--json]
 *
 * One file of pseudo-random bytes (--size, default 1G: a feature film) in a temp folder, page
 * cache warmed, a v1 torrent of it with 1 MiB pieces whose url-list names a local mirror (v1:
 * aria2 checks SHA-1 only, so both sides do the same hashing).
 *
 * Streaming (fanseed only: the targets are absolute). A fanseed seeder sends at most --rate
 * bytes per second (`fanseed seed --upload-limit`). The viewer is this process: a Session is
 * given the magnet link (with the seeder as x.pe peer, nothing else), and a stream server
 * (`startStreamServer`, what `fanseed stream` runs) serves the file. Per run:
 *   first byte   session.add(magnet) -> the first body byte of GET bytes=0- from the server
 *                (metadata by ut_metadata, the first piece, its check);
 *   seek         the first request dropped, GET bytes=<75%>- -> its first body byte;
 *   wasted       bytes the viewer received for nothing (cancelled or second copies, failed
 *                pieces) by the time 16 MiB after the seek point have been read.
 * Targets, for the worst run: first byte <= 1 s, seek <= 300 ms.
 *
 * Web seeds. `fanseed mirror` serves the data; fanseed (`fanseed download`, the torrent's
 * url-list the only source) and aria2 (Debian's aria2c, the same torrent, its DHT, LPD and PEX
 * off) each download the whole file from it, interleaved, best wall time of --runs; CPU seconds
 * and peak RSS from GNU time; every download compared with the source (cmp). Target: fanseed's
 * MB/s >= 1.0x aria2's.
 *
 * Units: MB = 10^6 bytes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildMagnet, parseMagnet } from '../src/core/metainfo/magnet.js';
import type { Metainfo } from '../src/core/metainfo/types.js';
import { unwrap } from '../src/lib/errors.js';
import { readTorrentFile } from '../src/runtime/read-torrent.js';
import { Session } from '../src/runtime/session.js';
import { startStreamServer } from '../src/stream/stream-server.js';
import {
  COMMON_OPTIONS,
  commonOptions,
  fmt,
  inWorkFolder,
  log,
  machineBasics,
  makeWarmFile,
  mb,
  progress,
  reportOnStderr,
  roundOrder,
  runBenchmark,
  sizeArg,
  table,
} from './lib/cli.js';
import { type Measurement, requireGnuTime, runMeasured } from './lib/measure.js';
import { killAllTimed, TimedProcess } from './lib/timed-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FANSEED = join(ROOT, 'bin', 'fanseed.js');
const ARIA2C = '/usr/bin/aria2c';
const HOST = '127.0.0.1';
const FILE_NAME = 'film.mkv';
const PIECE = 1024 * 1024;
const AFTER_SEEK = 16 * 1024 * 1024;
const TARGETS = { firstByteS: 1, seekS: 0.3, webSeedRatio: 1 };

const USAGE = `usage: node dist/bench/stream.js [--size 1G] [--runs 2] [--rate 20M] [--json]`;

const identical = (a: string, b: string): Promise<boolean> =>
  new Promise((resolve, reject) => {
    execFile('cmp', ['--silent', a, b], { timeout: 120_000 }, (error) => {
      if (error === null) return resolve(true);
      if ((error as { code?: unknown }).code === 1) return resolve(false);
      reject(new Error(`cmp failed: ${error.message}`));
    });
  });

interface Reader {
  /** Seconds from the request to the first body byte. */
  readonly first: Promise<number>;
  /** Resolves once `bytes` have been read (then the request is dropped). */
  readonly read: (bytes: number) => Promise<void>;
  readonly abort: () => void;
}

/** A GET with a Range header, timed to its first body byte. */
const getRange = (url: string, from: number, started: bigint): Reader => {
  let got = 0;
  let want = Number.POSITIVE_INFINITY;
  let enough: () => void = () => {};
  let firstAt: (s: number) => void = () => {};
  let failed: (e: Error) => void = () => {};
  const first = new Promise<number>((resolve, reject) => {
    firstAt = resolve;
    failed = reject;
  });
  const req = request(url, { headers: { range: `bytes=${from}-` } }, (res) => {
    if (res.statusCode !== 206) failed(new Error(`${url}: HTTP ${res.statusCode}`));
    res.on('data', (chunk: Buffer) => {
      if (got === 0) firstAt(Number(process.hrtime.bigint() - started) / 1e9);
      got += chunk.length;
      if (got >= want) enough();
    });
    res.on('error', () => {});
  });
  req.on('error', (e) => failed(e));
  req.end();
  return {
    first,
    read: (bytes) =>
      new Promise((resolve) => {
        want = bytes;
        enough = resolve;
        if (got >= want) resolve();
      }),
    abort: () => req.destroy(),
  };
};

/** `promise`, or a rejection naming `what` after `ms`: a hung viewer fails the run. */
const within = <T>(ms: number, promise: Promise<T>, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} after ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

interface StreamRun {
  readonly firstByteS: number;
  readonly seekS: number;
  readonly wasted: number;
  readonly downloaded: number;
}

const streamRun = async (meta: Metainfo, seederPort: number, dir: string): Promise<StreamRun> => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const session = await Session.open({ port: 0, host: HOST });
  try {
    const link = buildMagnet({
      infoHashV1: meta.infoHashV1,
      infoHashV2: meta.infoHashV2,
      peers: [`${HOST}:${seederPort}`],
    });
    const started = process.hrtime.bigint();
    const magnet = unwrap(parseMagnet(link));
    const torrent = await session.add(magnet, { path: dir, trackers: false, webSeeds: false });
    if (torrent.meta === undefined)
      await within(
        30_000,
        new Promise<void>((resolve) => torrent.once('metadata', () => resolve())),
        'metadata',
      );
    const server = await startStreamServer(torrent);
    try {
      const url = server.fileUrls()[0] as string;
      const start = getRange(url, 0, started);
      const firstByteS = await within(60_000, start.first, 'first byte');
      start.abort();
      const seekAt = Math.floor(meta.length * 0.75);
      const seekStarted = process.hrtime.bigint();
      const seek = getRange(url, seekAt, seekStarted);
      const seekS = await within(60_000, seek.first, 'first byte after the seek');
      await within(120_000, seek.read(AFTER_SEEK), '16 MiB after the seek');
      seek.abort();
      const s = torrent.stats();
      return { firstByteS, seekS, wasted: s.wasted, downloaded: s.downloaded };
    } finally {
      await server.close();
    }
  } finally {
    await session.close();
  }
};

type WebSeedTool = 'fanseed' | 'aria2';

const webSeedRun = async (
  tool: WebSeedTool,
  torrent: string,
  out: string,
  timeFile: string,
  timeoutMs: number,
): Promise<Measurement> => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const run =
    tool === 'fanseed'
      ? runMeasured(
          process.execPath,
          [FANSEED, 'download', torrent, '-o', out, '--no-dht', '--no-lsd', '--json'],
          timeFile,
          undefined,
          timeoutMs,
        )
      : runMeasured(
          ARIA2C,
          [
            '--no-conf=true',
            `--dir=${out}`,
            '--enable-dht=false',
            '--enable-dht6=false',
            '--bt-enable-lpd=false',
            '--enable-peer-exchange=false',
            '--seed-time=0',
            '--file-allocation=none',
            '--summary-interval=0',
            '--console-log-level=warn',
            torrent,
          ],
          timeFile,
          out,
          timeoutMs,
        );
  return await run;
};

const benchmark = async (dir: string, size: number, runs: number, rate: number, json: boolean) => {
  const data = join(dir, 'data');
  mkdirSync(data);
  const dataFile = join(data, FILE_NAME);
  makeWarmFile(dataFile, size);
  const mirrorPort = 20_000 + Math.floor(Math.random() * 20_000);
  const torrentFile = join(dir, 'film.torrent');
  await runMeasured(
    process.execPath,
    [
      FANSEED,
      'create',
      dataFile,
      '-o',
      torrentFile,
      '-f',
      'v1',
      '--piece-length',
      String(PIECE),
      '--web-seed',
      `http://${HOST}:${mirrorPort}/`,
    ],
    join(dir, 'create.time'),
  );
  const meta = await readTorrentFile(torrentFile);

  // ---- streaming
  const seeder = new TimedProcess(
    'fanseed seeder',
    process.execPath,
    [
      FANSEED,
      'seed',
      torrentFile,
      '-p',
      data,
      '--skip-check',
      '--upload-limit',
      String(rate),
      '--json',
      '--no-dht',
      '--no-lsd',
    ],
    join(dir, 'seeder.time'),
  );
  const listening = await seeder.waitForLine(
    (l) => l.json?.event === 'listening',
    60_000,
    'listening',
  );
  await seeder.waitForLine((l) => l.json?.event === 'seeding', 60_000, 'seeding');
  const streams: StreamRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await streamRun(meta, Number(listening.json?.port), join(dir, 'viewer'));
    progress(
      `  stream run ${i + 1}/${runs}: first byte ${fmt(r.firstByteS * 1000, 0)} ms, seek ${fmt(r.seekS * 1000, 0)} ms, wasted ${mb(r.wasted)} MB of ${mb(r.downloaded)} MB`,
    );
    streams.push(r);
  }
  seeder.signal('SIGTERM');
  await seeder.waitExit(30_000);

  // ---- web seeds
  const mirror = new TimedProcess(
    'fanseed mirror',
    process.execPath,
    [
      FANSEED,
      'mirror',
      torrentFile,
      '-p',
      data,
      '--skip-check',
      '--host',
      HOST,
      '--port',
      String(mirrorPort),
      '--json',
    ],
    join(dir, 'mirror.time'),
  );
  await mirror.waitForLine((l) => l.json?.event === 'listening', 30_000, 'listening');
  const web: Record<WebSeedTool, Measurement[]> = { fanseed: [], aria2: [] };
  for (let round = 0; round < runs; round++) {
    for (const tool of roundOrder<WebSeedTool>(['fanseed', 'aria2'], round)) {
      const out = join(dir, `web-${tool}`);
      // A download slower than 10 MB/s is broken, not slow: it fails the run.
      const m = await webSeedRun(
        tool,
        torrentFile,
        out,
        join(dir, `${tool}.time`),
        60_000 + size / 10_000,
      );
      if (!(await identical(dataFile, join(out, FILE_NAME))))
        throw new Error(`${tool}'s download differs from the source`);
      rmSync(out, { recursive: true, force: true });
      progress(
        `  web seed round ${round + 1}/${runs} ${tool}: ${fmt(m.wallSeconds, 3)} s wall, ${mb(size / m.wallSeconds)} MB/s, ${fmt(m.cpuSeconds, 2)} s CPU, ${mb(m.peakRssBytes)} MB RSS`,
      );
      web[tool].push(m);
    }
  }
  mirror.signal('SIGTERM');
  const mirrorDone = await mirror.waitExit(30_000);

  const best = (list: readonly Measurement[]): Measurement =>
    list.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
  const f = best(web.fanseed);
  const a = best(web.aria2);
  // The worst run counts: a viewer waits for every one of them.
  const firstByteS = Math.max(...streams.map((s) => s.firstByteS));
  const seekS = Math.max(...streams.map((s) => s.seekS));
  const wasted = Math.max(...streams.map((s) => s.wasted));
  const ratio = a.wallSeconds / f.wallSeconds;
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  log(
    `streaming a ${mb(size)} MB file (v1 torrent, 1 MiB pieces) from a fanseed seeder limited to ${mb(rate)} MB/s, ${runs} runs, the worst counts; viewer in this process`,
  );
  log(
    table(
      [
        [
          'run',
          'magnet -> first byte ms',
          'seek 75% -> first byte ms',
          'wasted MB',
          'downloaded MB',
        ],
        ...streams.map((s, i) => [
          String(i + 1),
          fmt(s.firstByteS * 1000, 0),
          fmt(s.seekS * 1000, 0),
          mb(s.wasted),
          mb(s.downloaded),
        ]),
      ],
      { left: new Set([0]) },
    ),
  );
  log('');
  log(
    `web seed only, from fanseed mirror on ${HOST}; best wall of ${runs} interleaved; mirror peak RSS ${mb(mirrorDone.measurement?.peakRssBytes)} MB`,
  );
  log(
    table(
      [
        ['client', 'wall s', 'MB/s', 'CPU s', 'peak RSS MB'],
        ...(['fanseed', 'aria2'] as const).map((tool) => {
          const m = best(web[tool]);
          return [
            tool,
            fmt(m.wallSeconds, 3),
            mb(size / m.wallSeconds),
            fmt(m.cpuSeconds, 2),
            mb(m.peakRssBytes),
          ];
        }),
      ],
      { left: new Set([0]) },
    ),
  );
  log('');
  log(`machine: ${JSON.stringify(machineBasics())}`);
  log(
    `first byte from a magnet: ${fmt(firstByteS * 1000, 0)} ms (target <= ${TARGETS.firstByteS * 1000} ms): ${verdict(firstByteS <= TARGETS.firstByteS)}`,
  );
  log(
    `first byte after a seek to 75%: ${fmt(seekS * 1000, 0)} ms (target <= ${TARGETS.seekS * 1000} ms): ${verdict(seekS <= TARGETS.seekS)}`,
  );
  log(`bytes wasted (worst run): ${mb(wasted)} MB`);
  log(
    `web-seed download, fanseed / aria2: ${fmt(ratio, 2)}x (target >= ${TARGETS.webSeedRatio}): ${verdict(ratio >= TARGETS.webSeedRatio)}`,
  );
  if (json)
    process.stdout.write(
      `${JSON.stringify({ size, rate, streams, web, firstByteS, seekS, wasted, webSeedRatio: ratio, machine: machineBasics() })}\n`,
    );
  return 0;
};

const main = async (argv: readonly string[]): Promise<number> => {
  const { values } = parseArgs({
    args: [...argv],
    options: { ...COMMON_OPTIONS, rate: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const common = commonOptions(values, { runs: 2, warmup: 0 });
  const rate = sizeArg(values.rate ?? '20M', '--rate');
  if (common.json) reportOnStderr();
  requireGnuTime();
  return inWorkFolder(killAllTimed, (dir) =>
    benchmark(dir, common.size, common.runs, rate, common.json),
  );
};

await runBenchmark('stream', () => main(process.argv.slice(2)));
