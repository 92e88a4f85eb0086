/**
 * `npm run bench:throughput`: how fast fanseed moves a torrent over TCP on 127.0.0.1, as a
 * leecher and as a seeder, against libtorrent 2.0 (Python binding) on both ends.
 *
 *   node dist/bench/throughput.js [--size 1G] [--runs 2] [--warmup 0] [--only A,B,C] [--json]
 *                                 [--timeout SECONDS] [--cpu-prof DIR]
 *
 * One file of pseudo-random bytes (--size, or BENCH_SIZE, default 1G) in a temp folder, page
 * cache warmed, a v1 torrent of it with 1 MiB pieces made by `fanseed create`. Three scenarios,
 * each run --runs times after --warmup uncounted rounds, interleaved (the order rotates every
 * round):
 *
 *   A  libtorrent seeder -> libtorrent leecher   (the anchor)
 *   B  libtorrent seeder -> fanseed leecher      (`fanseed download T -o DIR --peer ... --json`)
 *   C  fanseed seeder    -> libtorrent leecher   (`fanseed seed T -p DATA --skip-check --json`)
 *
 * Each run: the seeder starts (libtorrent checks the data first, fanseed skips the check) and
 * announces its port; the leecher starts, dials it, downloads every piece into an empty folder
 * and exits. Both run under GNU time, each in its own process group. Figures:
 *
 *   wall s      leecher spawn -> leecher exit (start-up and shut-down included); the best of
 *               the runs counts, and MB/s = size / wall s
 *   xfer s      the leecher's "connected" line -> its "done" line (pure transfer; informational)
 *   leecher     CPU s (user + system, whole process) and peak RSS, from GNU time
 *   seeder      CPU s during the transfer window (two /proc/PID/stat samples: leecher spawn and
 *               leecher exit), CPU s of its whole life and peak RSS (GNU time, after SIGTERM)
 *
 * Every download is compared byte for byte with the source (cmp) and then deleted; a mismatch
 * or a failed process ends the benchmark with exit status 1. The targets (B/A and C/A
 * throughput >= 0.8, fanseed's peak RSS <= 200 MB) are reported as PASS/FAIL, not enforced.
 * --cpu-prof DIR runs the fanseed processes under `node --cpu-prof` (profiles in DIR; the
 * figures of such a run are slower than normal). --only runs a subset (ratios need A).
 *
 * Units: MB = 10^6 bytes everywhere (throughput MB/s and RSS MB).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  COMMON_OPTIONS,
  type CommonOptions,
  commonOptions,
  fmt,
  gib,
  inWorkFolder,
  log,
  MB,
  machineBasics,
  makeWarmFile,
  mb,
  progress,
  reportOnStderr,
  roundOrder,
  runBenchmark,
  table,
} from './lib/cli.js';
import { freeBytes, warmPageCache } from './lib/data.js';
import { type Measurement, requireGnuTime } from './lib/measure.js';
import { type Finished, killAllTimed, type Line, TimedProcess } from './lib/timed-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FANSEED = join(ROOT, 'bin', 'fanseed.js');
const LT_SEED = join(ROOT, 'bench', 'py', 'lt_bench_seed.py');
const LT_LEECH = join(ROOT, 'bench', 'py', 'lt_bench_leech.py');
const PYTHON = '/usr/bin/python3';
const FILE_NAME = 'film.bin';
/** What a libtorrent helper does before it can dial: import, and a loopback-only session. */
const LT_STARTUP =
  'import libtorrent as lt; lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, ' +
  '"enable_lsd": False, "enable_upnp": False, "enable_natpmp": False})';
const TARGET_RATIO = 0.8;
const RSS_LIMIT_BYTES = 200e6;
const EXIT_TIMEOUT_MS = 30_000;

type Tool = 'libtorrent' | 'fanseed';
type ScenarioId = 'A' | 'B' | 'C';

interface Scenario {
  readonly id: ScenarioId;
  readonly seeder: Tool;
  readonly leecher: Tool;
}

const SCENARIOS: readonly Scenario[] = [
  { id: 'A', seeder: 'libtorrent', leecher: 'libtorrent' },
  { id: 'B', seeder: 'libtorrent', leecher: 'fanseed' },
  { id: 'C', seeder: 'fanseed', leecher: 'libtorrent' },
];

interface Options extends CommonOptions {
  readonly only: readonly ScenarioId[];
  /** Seconds a transfer may take. */
  readonly timeoutSeconds: number;
  readonly cpuProfDir: string | undefined;
}

interface RunResult {
  readonly scenario: ScenarioId;
  readonly round: number;
  /** Leecher spawn -> exit. */
  readonly wallSeconds: number;
  readonly mbPerSecond: number;
  /** Leecher spawn -> its connected line (start-up, dial, handshake). */
  readonly connectSeconds: number | undefined;
  /** Leecher's connected line -> done line. */
  readonly transferSeconds: number | undefined;
  readonly leecher: Measurement;
  readonly seeder: Measurement;
  /** Seeder CPU seconds between leecher spawn and leecher exit. */
  readonly seederTransferCpuSeconds: number | undefined;
  /** Seeder's VmHWM just before it was stopped. */
  readonly seederVmHwmBytes: number | undefined;
  readonly verified: boolean;
}

interface ScenarioResult extends Scenario {
  readonly runs: readonly RunResult[];
  readonly best: RunResult;
}

const USAGE = `usage: node dist/bench/throughput.js [--size 1G] [--runs 2] [--warmup 0] [--json]
                                     [--only A,B,C] [--timeout SECONDS] [--cpu-prof DIR]
  --size SIZE        test file size (e.g. 256M, 1G; also BENCH_SIZE), default 1G
  --runs N           runs of each scenario, the best leecher wall time counts; default 2
  --warmup N         uncounted rounds of every scenario first; default 0
  --only LIST        scenarios to run, of A (libtorrent -> libtorrent), B (libtorrent ->
                     fanseed leecher), C (fanseed seeder -> libtorrent); default A,B,C
  --timeout SECONDS  longest a transfer may take; default 60 + 1 s per 5 MB
  --cpu-prof DIR     run the fanseed processes under node --cpu-prof, profiles into DIR
  --json             print one JSON object on stdout (the table goes to stderr)
`;

// ---------------------------------------------------------------------------------------------

const parseOptions = (argv: readonly string[]): Options | undefined => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...COMMON_OPTIONS,
      only: { type: 'string' },
      timeout: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const common = commonOptions(values, { runs: 2, warmup: 0 });
  const { size } = common;
  const only = (values.only ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase());
  for (const id of only) {
    if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`--only: no scenario ${id}`);
  }
  const timeoutSeconds = Number(values.timeout ?? String(Math.ceil(60 + size / (5 * MB))));
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new Error('--timeout takes a number of seconds');
  }
  const prof = values['cpu-prof'];
  return {
    ...common,
    only: [...new Set(only)] as ScenarioId[],
    timeoutSeconds,
    cpuProfDir: prof === undefined ? undefined : resolve(prof),
  };
};

// ---------------------------------------------------------------------------------------------

const checkPrerequisites = (): void => {
  requireGnuTime();
  const missing: string[] = [];
  try {
    execFileSync(PYTHON, ['-c', 'import libtorrent'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    missing.push(`libtorrent for ${PYTHON} (apt-get install python3-libtorrent)`);
  }
  try {
    execFileSync('cmp', ['--version'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    missing.push('cmp (apt-get install diffutils)');
  }
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')}`);
};

const machine = () => ({
  ...machineBasics(),
  libtorrent: (() => {
    try {
      return execFileSync(PYTHON, ['-c', 'import libtorrent; print(libtorrent.__version__)'], {
        encoding: 'utf8',
        timeout: 30_000,
      }).trim();
    } catch {
      return 'unknown';
    }
  })(),
});

/** Byte-for-byte comparison with cmp; resolves to true when identical. */
const identical = (a: string, b: string, timeoutMs: number): Promise<boolean> =>
  new Promise((resolvePromise, reject) => {
    execFile('cmp', ['--silent', a, b], { timeout: timeoutMs }, (error) => {
      if (error === null) return resolvePromise(true);
      const code = (error as { code?: unknown }).code;
      if (code === 1) return resolvePromise(false);
      reject(new Error(`cmp ${a} ${b} failed: ${error.message}`));
    });
  });

// ---------------------------------------------------------------------------------------------

interface Work {
  readonly dir: string;
  readonly dataDir: string;
  readonly dataFile: string;
  readonly torrent: string;
  readonly timeFile: (name: string) => string;
}

const nodeArgs = (options: Options, role: string): string[] =>
  options.cpuProfDir === undefined
    ? []
    : [
        '--cpu-prof',
        `--cpu-prof-dir=${options.cpuProfDir}`,
        `--cpu-prof-name=fanseed-${role}-${Date.now()}.cpuprofile`,
      ];

const event = (name: string) => (line: Line) => line.json?.event === name;

/** Starts a seeder and resolves with it and its port once it serves the torrent. */
const startSeeder = async (
  tool: Tool,
  work: Work,
  options: Options,
): Promise<{ process: TimedProcess; port: number }> => {
  const readyMs = Math.ceil(60_000 + (options.size / (50 * MB)) * 1000);
  if (tool === 'libtorrent') {
    const p = new TimedProcess(
      'libtorrent seeder',
      PYTHON,
      [LT_SEED, work.torrent, work.dataDir, '--ready-timeout', String(readyMs / 1000)],
      work.timeFile('seeder'),
    );
    const ready = await p.waitForLine(
      (l) => l.json?.event === 'ready' || l.json?.event === 'error',
      readyMs + 10_000,
      'ready line',
    );
    if (ready.json?.event === 'error') {
      throw new Error(`libtorrent seeder: ${String(ready.json.error)}`);
    }
    return { process: p, port: Number(ready.json?.port) };
  }
  const p = new TimedProcess(
    'fanseed seeder',
    process.execPath,
    [
      ...nodeArgs(options, 'seed'),
      FANSEED,
      'seed',
      work.torrent,
      '-p',
      work.dataDir,
      '--skip-check',
      '--json',
      '--no-dht',
      '--no-lsd',
    ],
    work.timeFile('seeder'),
  );
  const listening = await p.waitForLine(event('listening'), readyMs, 'listening line');
  await p.waitForLine(event('seeding'), readyMs, 'seeding line');
  return { process: p, port: Number(listening.json?.port) };
};

const startLeecher = (
  tool: Tool,
  port: number,
  downloadDir: string,
  work: Work,
  options: Options,
): TimedProcess =>
  tool === 'libtorrent'
    ? new TimedProcess(
        'libtorrent leecher',
        PYTHON,
        [
          LT_LEECH,
          work.torrent,
          downloadDir,
          `127.0.0.1:${port}`,
          '--timeout',
          String(options.timeoutSeconds),
        ],
        work.timeFile('leecher'),
      )
    : new TimedProcess(
        'fanseed leecher',
        process.execPath,
        [
          ...nodeArgs(options, 'download'),
          FANSEED,
          'download',
          work.torrent,
          '-o',
          downloadDir,
          '--peer',
          `127.0.0.1:${port}`,
          '--json',
          '--no-dht',
          '--no-lsd',
        ],
        work.timeFile('leecher'),
      );

const describeExit = (f: Finished): string => f.signal ?? `status ${f.code}`;

/** The last lines of stdout (the helpers report errors there) and the tail of stderr. */
const outputTail = (f: Finished): string =>
  [
    ...f.lines
      .filter((l) => l.json?.event !== 'progress')
      .slice(-5)
      .map((l) => l.text),
    f.stderrTail,
  ]
    .filter((s) => s !== '')
    .join('\n');

const runScenario = async (
  scenario: Scenario,
  round: number,
  work: Work,
  options: Options,
): Promise<RunResult> => {
  const downloadDir = join(work.dir, `download-${scenario.id}`);
  rmSync(downloadDir, { recursive: true, force: true });
  mkdirSync(downloadDir);
  const seeder = await startSeeder(scenario.seeder, work, options);
  try {
    if (!Number.isInteger(seeder.port) || seeder.port <= 0) {
      throw new Error(`${seeder.process.name} announced no port`);
    }
    const before = seeder.process.sample();
    const leecher = startLeecher(scenario.leecher, seeder.port, downloadDir, work, options);
    const done = await leecher.waitExit(
      options.timeoutSeconds * 1000 + 10_000,
      'complete download',
    );
    const after = seeder.process.sample();
    if (done.code !== 0 || done.measurement === undefined) {
      throw new Error(`${leecher.name} failed (${describeExit(done)}):\n${outputTail(done)}`);
    }
    if (!seeder.process.signal('SIGTERM')) {
      throw new Error(`${seeder.process.name} was gone before it was stopped`);
    }
    const stopped = await seeder.process.waitExit(EXIT_TIMEOUT_MS, 'exit after SIGTERM');
    if (stopped.code !== 0 || stopped.measurement === undefined) {
      throw new Error(
        `${seeder.process.name} did not stop cleanly (${describeExit(stopped)}):\n${outputTail(stopped)}`,
      );
    }

    // Correctness: a benchmark that moves wrong bytes is worthless.
    const got = join(downloadDir, FILE_NAME);
    let size = -1;
    try {
      size = statSync(got).size;
    } catch {
      // missing: size stays -1
    }
    const verified =
      size === options.size &&
      (await identical(work.dataFile, got, 5 * 60_000 + Math.ceil(options.size / MB)));
    if (!verified) {
      throw new Error(
        `scenario ${scenario.id}: ${got} differs from the source (${size} of ${options.size} bytes): the figures are worthless`,
      );
    }
    const connected = done.lines.find((l) => l.json?.event === 'connected')?.at;
    const peerConnect = done.lines.find((l) => l.json?.event === 'peer-connect')?.at;
    const first = connected ?? peerConnect;
    const finished = done.lines.find((l) => l.json?.event === 'done')?.at;
    const wallSeconds = done.measurement.wallSeconds;
    return {
      scenario: scenario.id,
      round,
      wallSeconds,
      mbPerSecond: options.size / MB / wallSeconds,
      connectSeconds: first,
      transferSeconds: first !== undefined && finished !== undefined ? finished - first : undefined,
      leecher: done.measurement,
      seeder: stopped.measurement,
      seederTransferCpuSeconds:
        before !== undefined && after !== undefined
          ? after.cpuSeconds - before.cpuSeconds
          : undefined,
      seederVmHwmBytes: after?.peakRssBytes,
      verified,
    };
  } finally {
    seeder.process.kill();
    rmSync(downloadDir, { recursive: true, force: true });
  }
};

/** Process start-up alone, best of 3: what the wall times include besides the transfer. */
const startupCosts = async (work: Work) => {
  const probes = {
    fanseed: [process.execPath, [FANSEED, '--version']] as const,
    libtorrent: [PYTHON, ['-c', LT_STARTUP]] as const,
  };
  const out: Record<string, number> = {};
  for (const [name, [command, args]] of Object.entries(probes)) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const p = new TimedProcess(`${name} start-up`, command, args, work.timeFile('startup'));
      const f = await p.waitExit(30_000);
      if (f.code === 0 && f.measurement !== undefined) {
        best = Math.min(best, f.measurement.wallSeconds);
      }
    }
    out[name] = best;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------

const benchmark = async (options: Options, dir: string): Promise<number> => {
  const about = machine();
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const work: Work = {
    dir,
    dataDir,
    dataFile: join(dataDir, FILE_NAME),
    torrent: join(dir, `${FILE_NAME}.torrent`),
    timeFile: (name) => join(dir, `${name}.time`),
  };
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });

  const { warmSeconds } = makeWarmFile(work.dataFile, options.size);
  execFileSync(
    process.execPath,
    [FANSEED, 'create', work.dataFile, '-o', work.torrent, '-f', 'v1', '-l', '1M', '--no-date'],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10 * 60_000 },
  );
  const startup = await startupCosts(work);

  const list = SCENARIOS.filter((s) => options.only.includes(s.id));
  for (let round = 0; round < options.warmup; round++) {
    for (const scenario of list) {
      warmPageCache(work.dataFile);
      const r = await runScenario(scenario, 0, work, options);
      progress(
        `  warm-up ${round + 1}/${options.warmup} ${scenario.id} ${scenario.seeder} -> ${scenario.leecher}: ${fmt(r.wallSeconds, 3)} s wall, ${fmt(r.mbPerSecond, 0)} MB/s (not counted)`,
      );
    }
  }
  const measured = new Map<ScenarioId, RunResult[]>(list.map((s) => [s.id, []]));
  for (let round = 0; round < options.runs; round++) {
    const order = roundOrder(list, round);
    for (const scenario of order) {
      // Keep the source in the page cache: the previous download may have pushed it out.
      warmPageCache(work.dataFile);
      const r = await runScenario(scenario, round + 1, work, options);
      measured.get(scenario.id)?.push(r);
      progress(
        `  round ${round + 1}/${options.runs} ${scenario.id} ${scenario.seeder} -> ${scenario.leecher}: ${fmt(r.wallSeconds, 3)} s wall, ${fmt(r.mbPerSecond, 0)} MB/s; leecher ${fmt(r.leecher.cpuSeconds, 2)} s CPU, ${mb(r.leecher.peakRssBytes)} MB RSS; seeder ${fmt(r.seederTransferCpuSeconds, 2)} s CPU in transfer, ${mb(r.seeder.peakRssBytes)} MB RSS; bytes identical`,
      );
    }
  }

  const results: ScenarioResult[] = list.map((s) => {
    const runs = measured.get(s.id) ?? [];
    const best = runs.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
    return { ...s, runs, best };
  });
  const bestOf = (id: ScenarioId): RunResult | undefined => results.find((r) => r.id === id)?.best;
  const ratio = (ours: ScenarioId): number | undefined => {
    const a = bestOf('A');
    const x = bestOf(ours);
    return a === undefined || x === undefined ? undefined : x.mbPerSecond / a.mbPerSecond;
  };
  /** On the transfer alone (handshake done -> complete), best transfer time of each scenario. */
  const bestTransfer = (id: ScenarioId): number | undefined => {
    const times = (results.find((r) => r.id === id)?.runs ?? [])
      .map((run) => run.transferSeconds)
      .filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  };
  const transferRatio = (ours: ScenarioId): number | undefined => {
    const a = bestTransfer('A');
    const x = bestTransfer(ours);
    return a === undefined || x === undefined ? undefined : a / x;
  };
  const ratios = {
    fanseedLeecherBOverA: ratio('B'),
    fanseedSeederCOverA: ratio('C'),
    transferOnly: {
      fanseedLeecherBOverA: transferRatio('B'),
      fanseedSeederCOverA: transferRatio('C'),
    },
  };
  const fanseedPeaks = results.flatMap((r) =>
    r.runs.flatMap((run) => [
      ...(r.leecher === 'fanseed' ? [run.leecher.peakRssBytes] : []),
      ...(r.seeder === 'fanseed' ? [run.seeder.peakRssBytes] : []),
    ]),
  );
  const fanseedPeakRss = fanseedPeaks.length === 0 ? undefined : Math.max(...fanseedPeaks);
  const peakOf = (id: ScenarioId, side: 'leecher' | 'seeder'): number | undefined => {
    const r = results.find((x) => x.id === id);
    return r === undefined ? undefined : Math.max(...r.runs.map((run) => run[side].peakRssBytes));
  };
  const verdict = (v: number | undefined, ok: (n: number) => boolean): 'PASS' | 'FAIL' | 'n/a' =>
    v === undefined ? 'n/a' : ok(v) ? 'PASS' : 'FAIL';
  const targets = {
    leecherBOverA: verdict(ratios.fanseedLeecherBOverA, (n) => n >= TARGET_RATIO),
    seederCOverA: verdict(ratios.fanseedSeederCOverA, (n) => n >= TARGET_RATIO),
    fanseedPeakRss: verdict(fanseedPeakRss, (n) => n <= RSS_LIMIT_BYTES),
  };

  const lines: string[] = [];
  lines.push(
    `transfer over TCP on 127.0.0.1: one ${gib(options.size)} file (${mb(options.size)} MB), v1 torrent, 1 MiB pieces, source in the page cache; best leecher wall time of ${options.runs} interleaved run(s) after ${options.warmup} uncounted round(s); every download byte-identical (cmp)`,
  );
  lines.push(
    `machine: ${about.cpus} CPUs (${about.cpuModel}), Node ${about.node}, libtorrent ${about.libtorrent} (default settings, uTP off)${options.cpuProfDir === undefined ? '' : `; fanseed under --cpu-prof (${options.cpuProfDir}): slower than normal`}`,
  );
  lines.push(
    'units: MB = 10^6 bytes; wall s = leecher spawn -> exit, MB/s = size / wall s; connect s = leecher spawn -> handshake done; xfer s = handshake done -> every piece verified; CPU s = user + sys; seeder CPU "xfer" = during the leecher\'s life, "all" = its whole life (libtorrent: includes its check of the data); libtorrent\'s RSS includes the file pages it memory-maps',
  );
  lines.push('');
  const header = [
    'scenario',
    'seeder -> leecher',
    'wall s',
    'MB/s',
    'connect s',
    'xfer s',
    'xfer MB/s',
    'leech CPU s',
    'leech RSS MB',
    'seed CPU xfer',
    'seed CPU all',
    'seed RSS MB',
    'all walls s',
  ];
  const rows = results.map((r) => [
    r.id,
    `${r.seeder} -> ${r.leecher}`,
    fmt(r.best.wallSeconds, 3),
    fmt(r.best.mbPerSecond, 0),
    fmt(r.best.connectSeconds, 3),
    fmt(r.best.transferSeconds, 3),
    fmt(
      r.best.transferSeconds === undefined ? undefined : options.size / MB / r.best.transferSeconds,
      0,
    ),
    fmt(r.best.leecher.cpuSeconds, 2),
    mb(r.best.leecher.peakRssBytes),
    fmt(r.best.seederTransferCpuSeconds, 2),
    fmt(r.best.seeder.cpuSeconds, 2),
    mb(r.best.seeder.peakRssBytes),
    r.runs.map((m) => fmt(m.wallSeconds, 3)).join(' '),
  ]);
  lines.push(table([header, ...rows], { left: new Set([0, 1, 12]) }));
  lines.push('');
  lines.push(
    `process start-up alone (included in wall s): node + fanseed --version ${fmt(startup.fanseed, 3)} s, python3 + libtorrent session ${fmt(startup.libtorrent, 3)} s`,
  );
  lines.push(
    `fanseed leecher (B) / libtorrent leecher (A), throughput: ${fmt(ratios.fanseedLeecherBOverA, 2)}x (target >= ${TARGET_RATIO}): ${targets.leecherBOverA}`,
  );
  lines.push(
    `fanseed seeder (C) / libtorrent seeder (A), throughput:   ${fmt(ratios.fanseedSeederCOverA, 2)}x (target >= ${TARGET_RATIO}): ${targets.seederCOverA}`,
  );
  lines.push(
    `fanseed peak RSS (all runs; leecher ${mb(peakOf('B', 'leecher'))} MB, seeder ${mb(peakOf('C', 'seeder'))} MB): ${mb(fanseedPeakRss)} MB (limit ${RSS_LIMIT_BYTES / MB} MB): ${targets.fanseedPeakRss}`,
  );
  lines.push(
    `informational, on the transfer alone (best xfer s, handshake done -> complete): B/A ${fmt(ratios.transferOnly.fanseedLeecherBOverA, 2)}x, C/A ${fmt(ratios.transferOnly.fanseedSeederCOverA, 2)}x`,
  );
  log(lines.join('\n'));

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'throughput',
        units: { throughput: 'MB/s, MB = 10^6 bytes', rss: 'bytes', time: 'seconds' },
        sizeBytes: options.size,
        pieceLength: 1024 * 1024,
        runsPerScenario: options.runs,
        warmupRounds: options.warmup,
        warmReadSeconds: warmSeconds,
        machine: about,
        cpuProfile: options.cpuProfDir ?? null,
        startupSeconds: startup,
        scenarios: results,
        ratios,
        fanseedPeakRssBytes: fanseedPeakRss ?? null,
        targets: {
          leecherBOverA: { min: TARGET_RATIO, result: targets.leecherBOverA },
          seederCOverA: { min: TARGET_RATIO, result: targets.seederCOverA },
          fanseedPeakRss: { maxBytes: RSS_LIMIT_BYTES, result: targets.fanseedPeakRss },
        },
        verified: results.every((r) => r.runs.every((run) => run.verified)),
      })}\n`,
    );
  }
  return 0;
};

// ---------------------------------------------------------------------------------------------

const main = async (argv: readonly string[]): Promise<number> => {
  const options = parseOptions(argv);
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.json) reportOnStderr();
  checkPrerequisites();

  process.once('exit', killAllTimed);
  return inWorkFolder(killAllTimed, async (dir) => {
    const need = options.size * 2 + 256 * MB;
    if (freeBytes(dir) < need) {
      throw new Error(`need ${mb(need)} MB free in ${dir} (source and one download)`);
    }
    return benchmark(options, dir);
  });
};

await runBenchmark('throughput', () => main(process.argv.slice(2)));
