/**
 * `npm run bench:tracker`: announces per second, latency, CPU and memory of `fanseed tracker`
 * against opentracker (Debian package), both on 127.0.0.1, loaded by one generator written
 * for this project (bench/lib/tracker-load*.ts), in the same run.
 *
 *   node dist/bench/tracker.js [--peers 1000000] [--torrents 100000] [--seconds 5] [--rounds 3]
 *                              [--only udp,http] [--servers opentracker,fanseed] [--quick] [--json]
 *
 * Each tracker is started in turn (opentracker first), waited for until it answers announces
 * of the benchmark's torrents, and populated: every one of --peers peers announces once over
 * UDP (event started), each from its own address and port (source addresses 127.0.0.2,
 * 127.0.0.3, ...; ports from 1024), into --torrents torrents (--peers / --torrents peers each,
 * one in five a seeder). Both then stay up, and --rounds rounds of steady-state measurements
 * follow, the trackers interleaved (the order rotates every round), one at a time:
 *   UDP   random peers of the population re-announce (no event) for --warmup + --seconds;
 *         only the last --seconds count;
 *   HTTP  the same over HTTP in each mode the tracker supports: opentracker closes every
 *         connection after one reply, so it is measured with a new connection per request;
 *         fanseed with keep-alive (its best) and with a new connection per request (the
 *         like-for-like mode of the ratio).
 * The best round of each counts. Finally each tracker is stopped (SIGTERM). The tracker's CPU
 * seconds in each counted window and its memory (VmRSS; VmHWM, the peak) come from
 * /proc/PID; the load generator's CPU share and that of every other process (/proc/stat) are
 * shown beside it, so that a run limited by the generator or by other work on the machine can
 * be told; "per srv CPU-s" (announces per second of tracker CPU) is the figure least moved by
 * either.
 *
 * Every reply is counted as ok, error/refusal, malformed or lost; one ok reply in
 * --check-every is decoded by the project's codecs and its peers checked to belong to the
 * requested torrent's swarm. Refusals, lost replies or failed checks are reported as problems
 * (exit status 1). opentracker's Debian build serves allow-listed info-hashes only: all of
 * them go in its white list. fanseed runs in open mode unless --fanseed-allow-list (then with
 * the same list, as a file).
 */

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  fmt,
  inWorkFolder,
  log,
  machineBasics,
  progress,
  reportOnStderr,
  roundOrder,
  runBenchmark,
} from './lib/cli.js';
import { requireGnuTime } from './lib/measure.js';
import { killAllTimed } from './lib/timed-process.js';
import { LoadPool } from './lib/tracker-load.js';
import { infoHashList, makeInfoHashes, population } from './lib/tracker-load-plan.js';
import {
  memoryTable,
  phaseTable,
  problems,
  RSS_LIMIT_BYTES,
  ratioLines,
  ratios,
  TARGET_RATIO,
  targets,
} from './lib/tracker-report.js';
import { type RunSettings, type ServerRecord, ServerSession } from './lib/tracker-run.js';
import {
  fanseedTrackerHelp,
  requireOpentracker,
  type ServerName,
  startFanseedTracker,
  startOpentracker,
} from './lib/tracker-servers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FANSEED = join(ROOT, 'bin', 'fanseed.js');

interface Options {
  readonly settings: RunSettings;
  readonly servers: readonly ServerName[];
  readonly fanseedAllowList: boolean;
  readonly pin: boolean;
  readonly cpuProfDir: string | undefined;
  readonly json: boolean;
}

const USAGE = `usage: node dist/bench/tracker.js [--peers N] [--torrents N] [--seconds S] [--warmup S]
                                  [--only udp,http] [--servers opentracker,fanseed] [--quick]
                                  [--workers N] [--udp-window N] [--http-connections N]
                                  [--rounds N] [--timeout MS] [--check-every N]
                                  [--fanseed-allow-list] [--pin] [--cpu-prof DIR] [--json]
  --peers N             peers announced before the measurements; default 1000000
  --torrents N          torrents they are spread over; default 100000
  --seconds S           counted seconds of each measurement; default 5
  --warmup S            uncounted seconds before each; default 1
  --rounds N            rounds of measurements (trackers interleaved, order rotating),
                        the best round of each counts; default 3
  --quick               a try-out: 100000 peers, 10000 torrents, 1 round of 3 s
  --only LIST           protocols measured after the population: udp, http; default both
  --servers LIST        trackers: opentracker, fanseed; default both
  --workers N           load generator threads; default 2
  --udp-window N        UDP requests in flight, all threads; default 128
  --http-connections N  HTTP requests (connections) in flight, all threads; default 64
  --timeout MS          a request without a reply after this is lost; default 1000
  --check-every N       decode and check one ok reply in N; default 997
  --fanseed-allow-list  run fanseed with --allow-list (the same list as opentracker's)
  --pin                 pin the tracker to CPU 0 and the load generator to the others
  --cpu-prof DIR        run fanseed tracker under node --cpu-prof, its profile into DIR
                        (slower than normal)
  --json                print one JSON object on stdout (the report goes to stderr)
`;

const count = (text: string | undefined, fallback: number, flag: string, max: number): number => {
  const n = Number(text ?? String(fallback));
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`${flag} takes a whole number from 1 to ${max}`);
  }
  return n;
};

const seconds = (text: string | undefined, fallback: number, flag: string): number => {
  const n = Number(text ?? String(fallback));
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new Error(`${flag} takes 0 to 600 seconds`);
  return n;
};

const list = <T extends string>(text: string, allowed: readonly T[], flag: string): T[] => {
  const items = text.split(',').map((s) => s.trim().toLowerCase());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`${flag}: unknown ${item}`);
  }
  return [...new Set(items)] as T[];
};

const parseOptions = (argv: readonly string[]): Options | undefined => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      peers: { type: 'string' },
      torrents: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      servers: { type: 'string' },
      workers: { type: 'string' },
      'udp-window': { type: 'string' },
      'http-connections': { type: 'string' },
      timeout: { type: 'string' },
      'check-every': { type: 'string' },
      'fanseed-allow-list': { type: 'boolean', default: false },
      rounds: { type: 'string' },
      pin: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const quick = values.quick;
  const peers = count(values.peers, quick ? 100_000 : 1_000_000, '--peers', 50_000_000);
  const torrents = count(values.torrents, quick ? 10_000 : 100_000, '--torrents', peers);
  const settings: RunSettings = {
    pop: population(peers, torrents),
    hashes: new Uint8Array(0),
    seconds: Math.max(0.1, seconds(values.seconds, quick ? 3 : 5, '--seconds')),
    warmupSeconds: seconds(values.warmup, 1, '--warmup'),
    workers: count(values.workers, 2, '--workers', 64),
    udpWindow: count(values['udp-window'], 128, '--udp-window', 16_384),
    httpLanes: count(values['http-connections'], 64, '--http-connections', 4096),
    timeoutMs: count(values.timeout, 1000, '--timeout', 60_000),
    checkEvery: count(values['check-every'], 997, '--check-every', 1_000_000),
    rounds: count(values.rounds, quick ? 1 : 3, '--rounds', 20),
    protocols: list(values.only ?? 'udp,http', ['udp', 'http'] as const, '--only'),
  };
  return {
    settings,
    servers: list(
      values.servers ?? 'opentracker,fanseed',
      ['opentracker', 'fanseed'] as const,
      '--servers',
    ),
    fanseedAllowList: values['fanseed-allow-list'],
    pin: values.pin && availableParallelism() >= 2,
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    json: values.json,
  };
};

/** Pins this process (and the worker threads it starts later) to every CPU but 0. */
const pinGenerator = (): string => {
  const cpus = `1-${availableParallelism() - 1}`;
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
  return cpus;
};

const benchmark = async (options: Options, dir: string): Promise<number> => {
  const basics = machineBasics();
  const loadBefore = loadavg();
  const hashes = makeInfoHashes(options.settings.pop.torrents);
  const settings: RunSettings = { ...options.settings, hashes };
  const listFile = join(dir, 'allow-list.txt');
  const hashList = infoHashList(hashes);
  writeFileSync(listFile, hashList);
  const serverPrefix = options.pin ? ['taskset', '-c', '0'] : [];
  const generatorCpus = options.pin ? pinGenerator() : 'any';
  const { pop } = settings;
  progress(
    `${pop.peers} peers over ${pop.torrents} torrents from ${pop.addresses} source addresses; ` +
      `tracker on CPU ${options.pin ? '0' : 'any'}, load generator (${settings.workers} threads) on CPU ${generatorCpus}`,
  );

  const sessions: ServerSession[] = [];
  const skipped: string[] = [];
  const pool = new LoadPool(settings.workers);
  try {
    for (const name of options.servers) {
      const help = name === 'fanseed' ? fanseedTrackerHelp(FANSEED) : '';
      if (help === undefined) {
        skipped.push('fanseed: this build has no `fanseed tracker` command');
        progress('fanseed: no `fanseed tracker` command in this build: skipped');
        continue;
      }
      const timeFile = join(dir, `${name}.time`);
      const server =
        name === 'opentracker'
          ? await startOpentracker(dir, hashList, timeFile, serverPrefix)
          : await startFanseedTracker(
              FANSEED,
              help,
              options.fanseedAllowList ? listFile : undefined,
              timeFile,
              serverPrefix,
              options.cpuProfDir === undefined
                ? []
                : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`],
            );
      progress(`${name}: ${server.command}`);
      const session = new ServerSession(server, settings, pool);
      sessions.push(session);
      await session.populate();
    }
    for (let round = 1; round <= settings.rounds; round++) {
      for (const session of roundOrder(sessions, round - 1)) await session.measureRound(round);
    }
  } catch (e) {
    killAllTimed();
    throw e;
  } finally {
    await pool.close();
  }
  const records: ServerRecord[] = [];
  for (const session of sessions) records.push(await session.stop());

  const about = {
    ...basics,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    pinned: options.pin ? { tracker: '0', generator: generatorCpus } : null,
  };
  const load = (l: readonly number[]): string => l.map((n) => fmt(n, 2)).join(' ');
  const found = problems(records);
  const r = ratios(records);
  const t = targets(records, r);
  const lines = [
    `tracker announces on 127.0.0.1: ${pop.peers} peers (${pop.peers / pop.torrents} per torrent, one in five seeding) announced over UDP first, then random re-announces of those peers; best of ${settings.rounds} round(s) (trackers interleaved) of ${settings.seconds} s counted after ${settings.warmupSeconds} s of warm-up; numwant 50, compact replies`,
    `machine: ${about.cpus} CPUs (${about.cpuModel}), Node ${about.node}; tracker pinned to CPU ${options.pin ? '0' : 'any'}, load generator (${settings.workers} threads, ${settings.udpWindow} UDP requests / ${settings.httpLanes} HTTP connections in flight) on CPU ${generatorCpus}; load average before ${load(about.loadAverageBefore)}, after ${load(about.loadAverageAfter)} (other processes share the CPUs: see "other CPU")${options.cpuProfDir === undefined ? '' : `; fanseed under --cpu-prof (${options.cpuProfDir}): slower than normal`}`,
    "units: MB = 10^6 bytes; srv CPU = tracker CPU time in the counted window / its length (100 % = one core); per srv CPU-s = ok announces per second of tracker CPU; generator CPU = the load generator's (all threads); other CPU = every other process; lost = timed out or connection failed; checked = sampled replies decoded by the project's codecs, peers all of the requested swarm",
    '',
    phaseTable(records),
    '',
    memoryTable(records),
    '',
    ...ratioLines(records),
    ...skipped.map((s) => `skipped: ${s}`),
    ...(found.length === 0
      ? ['correctness: no refusals, no unreadable replies, every checked reply valid']
      : found.map((p) => `PROBLEM: ${p}`)),
  ];
  log(lines.join('\n'));
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'tracker',
        units: {
          rate: 'announces per second',
          latency: 'microseconds',
          rss: 'bytes',
          cpu: 'seconds',
        },
        population: pop,
        settings: { ...settings, hashes: undefined },
        machine: about,
        servers: records.map((s) => ({
          ...s,
          phases: s.phases.map((p) => ({
            ...p,
            load: { ...p.load, counts: { ...p.load.counts, latency: undefined } },
          })),
        })),
        ratios: r,
        targets: {
          udp: { min: TARGET_RATIO, result: t.udp },
          http: { min: TARGET_RATIO, result: t.http },
          udpPerTrackerCpuSecond: { min: TARGET_RATIO, result: t.udpPerCpu },
          httpPerTrackerCpuSecond: { min: TARGET_RATIO, result: t.httpPerCpu },
          fanseedRss: { maxBytes: RSS_LIMIT_BYTES, result: t.fanseedRss },
        },
        skipped,
        problems: found,
      })}\n`,
    );
  }
  progress(`done: ${fmt(records.length, 0)} tracker(s) measured`);
  return found.length === 0 ? 0 : 1;
};

const main = async (argv: readonly string[]): Promise<number> => {
  const options = parseOptions(argv);
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.json) reportOnStderr();
  requireGnuTime();
  if (options.servers.includes('opentracker')) requireOpentracker();
  process.once('exit', killAllTimed);
  return inWorkFolder(killAllTimed, (dir) => benchmark(options, dir));
};

await runBenchmark('tracker', () => main(process.argv.slice(2)));
