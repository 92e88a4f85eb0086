/**
 * `npm run bench:create`: how fast `fanseed create` hashes a big file, against mktorrent and
 * libtorrent (Python binding), each run as its own process under GNU time.
 *
 *   node dist/bench/create.js [--size 1G] [--runs 3] [--warmup 1] [--json]
 *   node dist/bench/create.js --rss-check 4G [--json]
 *
 * Default mode: one file of pseudo-random bytes (--size, or BENCH_SIZE, default 1G) in a temp
 * folder, page cache warmed, `--warmup` uncounted rounds of every tool, then each tool `--runs`
 * times in interleaved order (the order rotates every round); the best wall time of each counts,
 * with that run's CPU time and peak RSS.
 * The torrents are then checked: fanseed's v1 `pieces` must be identical to mktorrent's, or the
 * figures are worthless and the exit status is 1. The speed target is reported, not enforced.
 *
 * --rss-check SIZE: fanseed alone on a file of SIZE (default piece length), peak RSS against
 * 150 MB; exit status 1 on FAIL.
 *
 * Units: MB = 10^6 bytes everywhere (throughput MB/s and RSS MB).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
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
  sizeArg,
  table,
} from './lib/cli.js';
import {
  killRunning,
  type MeasuredRun,
  type Measurement,
  requireGnuTime,
  runMeasured,
} from './lib/measure.js';
import { readTorrentFields, sameBytes, sameV2, type TorrentFields } from './lib/torrent-fields.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FANSEED = join(ROOT, 'bin', 'fanseed.js');
const LT_SCRIPT = join(ROOT, 'bench', 'py', 'lt_create.py');
const PYTHON = '/usr/bin/python3';
const MKTORRENT = 'mktorrent';
const PIECE_LENGTH = 1024 * 1024;
const RSS_LIMIT_BYTES = 150e6;

type Format = 'v1' | 'hybrid';

interface Options extends CommonOptions {
  readonly rssCheck: { readonly size: number; readonly text: string } | undefined;
}

interface Tool {
  readonly id: string;
  readonly tool: string;
  readonly format: Format;
  readonly command: string;
  readonly args: (file: string, out: string) => string[];
}

interface ToolResult {
  readonly id: string;
  readonly tool: string;
  readonly format: Format;
  readonly runs: readonly Measurement[];
  readonly best: Measurement;
  readonly mbPerSecond: number;
}

const USAGE = `usage: node dist/bench/create.js [--size 1G] [--runs 3] [--warmup 1] [--json]
       node dist/bench/create.js --rss-check 4G [--json]
  --size SIZE        test file size (e.g. 256M, 1G; also BENCH_SIZE), default 1G
  --runs N           runs of each tool, the best wall time counts; default 3
  --warmup N         uncounted rounds of every tool first (caches, CPU clocks); default 1
  --json             print one JSON object on stdout (the table goes to stderr)
  --rss-check SIZE   only measure fanseed's peak RSS on a SIZE file; limit 150 MB
`;

// ---------------------------------------------------------------------------------------------

const parseOptions = (argv: readonly string[]): Options | undefined => {
  const { values } = parseArgs({
    args: [...argv],
    options: { ...COMMON_OPTIONS, 'rss-check': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const common = commonOptions(values, { runs: 3, warmup: 1 });
  const rssText = values['rss-check'];
  return {
    ...common,
    rssCheck:
      rssText === undefined ? undefined : { size: sizeArg(rssText, '--rss-check'), text: rssText },
  };
};

// ---------------------------------------------------------------------------------------------

const versionOf = (command: string, args: readonly string[]): string => {
  try {
    const out = execFileSync(command, [...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.trim().split('\n')[0] ?? 'unknown';
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    return out.trim().split('\n')[0] ?? 'unknown';
  }
};

const checkPrerequisites = (): void => {
  requireGnuTime();
  const missing: string[] = [];
  try {
    execFileSync(MKTORRENT, ['-h'], { stdio: 'ignore' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      missing.push('mktorrent (apt-get install mktorrent)');
  }
  try {
    execFileSync(PYTHON, ['-c', 'import libtorrent'], { stdio: 'ignore' });
  } catch {
    missing.push(`libtorrent for ${PYTHON} (apt-get install python3-libtorrent)`);
  }
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')}`);
};

const machine = () => ({
  ...machineBasics(),
  openssl: process.versions.openssl,
  mktorrent: versionOf(MKTORRENT, ['-h']).split(' ').slice(0, 2).join(' '),
  libtorrent: versionOf(PYTHON, ['-c', 'import libtorrent; print(libtorrent.__version__)']),
});

// ---------------------------------------------------------------------------------------------

const fanseedTool = (format: Format, pieceLength?: string): Tool => ({
  id: `fanseed-${format}`,
  tool: 'fanseed',
  format,
  command: process.execPath,
  args: (file, out) => [
    FANSEED,
    'create',
    file,
    '-o',
    out,
    '-f',
    format,
    ...(pieceLength === undefined ? [] : ['-l', pieceLength]),
    '--no-date',
    '--force',
  ],
});

const tools = (threads: number): Tool[] => [
  fanseedTool('v1', '1M'),
  {
    id: 'mktorrent-v1',
    tool: 'mktorrent',
    format: 'v1',
    command: MKTORRENT,
    args: (file, out) => ['-t', String(threads), '-l', '20', '-o', out, file],
  },
  {
    id: 'libtorrent-v1',
    tool: 'libtorrent',
    format: 'v1',
    command: PYTHON,
    args: (file, out) => [LT_SCRIPT, file, out, 'v1', String(PIECE_LENGTH)],
  },
  fanseedTool('hybrid', '1M'),
  {
    id: 'libtorrent-hybrid',
    tool: 'libtorrent',
    format: 'hybrid',
    command: PYTHON,
    args: (file, out) => [LT_SCRIPT, file, out, 'hybrid', String(PIECE_LENGTH)],
  },
];

const stripOutput = ({ stdout: _o, stderr: _e, ...m }: MeasuredRun): Measurement => m;

const bestOf = (runs: readonly Measurement[]): Measurement =>
  runs.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));

const describeRun = (m: Measurement): string =>
  `${fmt(m.wallSeconds, 3)} s wall, ${fmt(m.cpuSeconds, 2)} s CPU, ${mb(m.peakRssBytes)} MB RSS`;

/** Process start-up cost alone (no hashing), best of `runs`. */
const startupCosts = async (work: string, runs: number) => {
  const timeFile = join(work, 'startup.time');
  const probes = {
    fanseed: [process.execPath, [FANSEED, '--version']] as const,
    libtorrent: [PYTHON, ['-c', 'import libtorrent']] as const,
  };
  const out: Record<string, Measurement> = {};
  for (const [name, [command, args]] of Object.entries(probes)) {
    const measured: Measurement[] = [];
    for (let i = 0; i < runs; i++) {
      measured.push(stripOutput(await runMeasured(command, args, timeFile)));
    }
    out[name] = bestOf(measured);
  }
  return out;
};

const prepareFile = (work: string, size: number): { file: string; warmSeconds: number } => {
  const file = join(work, 'data', 'film.bin');
  mkdirSync(join(work, 'data'));
  return { file, ...makeWarmFile(file, size) };
};

// ---------------------------------------------------------------------------------------------

const benchmark = async (options: Options, work: string): Promise<number> => {
  const threads = availableParallelism();
  const about = machine();
  const { file, warmSeconds } = prepareFile(work, options.size);
  const outDir = join(work, 'out');
  mkdirSync(outDir);
  const timeFile = join(work, 'run.time');
  const list = tools(threads);
  const outOf = (tool: Tool): string => join(outDir, `${tool.id}.torrent`);

  const startup = await startupCosts(work, options.runs);
  for (let round = 0; round < options.warmup; round++) {
    for (const tool of list) {
      const out = outOf(tool);
      rmSync(out, { force: true });
      const run = await runMeasured(tool.command, tool.args(file, out), timeFile, work);
      progress(
        `  warm-up ${round + 1}/${options.warmup} ${tool.id.padEnd(18)} ${describeRun(run)}`,
      );
    }
  }
  const measured = new Map<string, Measurement[]>(list.map((t) => [t.id, []]));
  for (let round = 0; round < options.runs; round++) {
    const order = roundOrder(list, round);
    for (const tool of order) {
      const out = outOf(tool);
      rmSync(out, { force: true });
      const run = await runMeasured(tool.command, tool.args(file, out), timeFile, work);
      measured.get(tool.id)?.push(stripOutput(run));
      progress(`  round ${round + 1}/${options.runs} ${tool.id.padEnd(18)} ${describeRun(run)}`);
    }
  }

  const results: ToolResult[] = list.map((tool) => {
    const runs = measured.get(tool.id) ?? [];
    const best = bestOf(runs);
    return {
      id: tool.id,
      tool: tool.tool,
      format: tool.format,
      runs,
      best,
      mbPerSecond: options.size / MB / best.wallSeconds,
    };
  });
  const byId = (id: string): ToolResult => {
    const r = results.find((x) => x.id === id);
    if (r === undefined) throw new Error(`no result for ${id}`);
    return r;
  };
  const ratio = (ours: string, theirs: string): number =>
    byId(ours).mbPerSecond / byId(theirs).mbPerSecond;
  const ratios = {
    fanseedV1VsMktorrent: ratio('fanseed-v1', 'mktorrent-v1'),
    fanseedV1VsLibtorrentV1: ratio('fanseed-v1', 'libtorrent-v1'),
    fanseedHybridVsLibtorrentHybrid: ratio('fanseed-hybrid', 'libtorrent-hybrid'),
  };

  // Correctness: a benchmark that hashes wrong is worthless.
  const fields = new Map<string, TorrentFields>(
    list.map((t) => [t.id, readTorrentFields(outOf(t))]),
  );
  const f = (id: string): TorrentFields => {
    const x = fields.get(id);
    if (x === undefined) throw new Error(`no torrent for ${id}`);
    return x;
  };
  const expectedPieces = Math.ceil(options.size / PIECE_LENGTH);
  const verification = {
    piecesIdenticalToMktorrent:
      sameBytes(f('fanseed-v1').pieces, f('mktorrent-v1').pieces) &&
      f('fanseed-v1').pieces?.length === expectedPieces * 20,
    piecesIdenticalToLibtorrentV1: sameBytes(f('fanseed-v1').pieces, f('libtorrent-v1').pieces),
    hybridPiecesIdenticalToMktorrent: sameBytes(
      f('fanseed-hybrid').pieces,
      f('mktorrent-v1').pieces,
    ),
    hybridV2HashesIdenticalToLibtorrent: sameV2(f('fanseed-hybrid'), f('libtorrent-hybrid')),
    infoHashV1SameAsMktorrent: f('fanseed-v1').infoHashV1 === f('mktorrent-v1').infoHashV1,
    infoHashV1SameAsLibtorrent: f('fanseed-v1').infoHashV1 === f('libtorrent-v1').infoHashV1,
    hybridInfoHashesSameAsLibtorrent:
      f('fanseed-hybrid').infoHashV1 === f('libtorrent-hybrid').infoHashV1 &&
      f('fanseed-hybrid').infoHashV2 === f('libtorrent-hybrid').infoHashV2,
  };
  const pass = ratios.fanseedV1VsMktorrent >= 1.0;

  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  const lines: string[] = [];
  lines.push(
    `torrent creation: one ${gib(options.size)} file (${mb(options.size)} MB), 1 MiB pieces, page cache warm, best wall time of ${options.runs} interleaved runs after ${options.warmup} uncounted round(s)`,
  );
  lines.push(
    `machine: ${about.cpus} CPUs (${about.cpuModel}), Node ${about.node} (OpenSSL ${about.openssl}), ${about.mktorrent}, libtorrent ${about.libtorrent}`,
  );
  lines.push(
    `threads: fanseed one per core (${threads}), mktorrent -t ${threads}, libtorrent set_piece_hashes defaults`,
  );
  lines.push(
    'units: MB = 10^6 bytes; MB/s = file size / best wall time (process start to exit); CPU s = user + sys and peak RSS of that best run',
  );
  lines.push('');
  const header = ['tool', 'format', 'wall s', 'MB/s', 'CPU s', 'peak RSS MB', 'all walls s'];
  const rows = results.map((r) => [
    r.tool,
    r.format,
    fmt(r.best.wallSeconds, 3),
    fmt(r.mbPerSecond, 0),
    fmt(r.best.cpuSeconds, 2),
    mb(r.best.peakRssBytes),
    r.runs.map((m) => fmt(m.wallSeconds, 3)).join(' '),
  ]);
  lines.push(table([header, ...rows], { right: new Set([2, 3, 4, 5]) }));
  lines.push('');
  lines.push(
    `process start-up alone: node + fanseed --version ${fmt(startup.fanseed?.wallSeconds ?? Number.NaN, 3)} s, python3 + import libtorrent ${fmt(startup.libtorrent?.wallSeconds ?? Number.NaN, 3)} s (included in the figures above)`,
  );
  lines.push(`fanseed v1 / mktorrent:            ${fmt(ratios.fanseedV1VsMktorrent, 2)}x`);
  lines.push(`fanseed v1 / libtorrent v1:        ${fmt(ratios.fanseedV1VsLibtorrentV1, 2)}x`);
  lines.push(
    `fanseed hybrid / libtorrent hybrid: ${fmt(ratios.fanseedHybridVsLibtorrentHybrid, 2)}x`,
  );
  lines.push('(ratios of throughput: above 1 means fanseed is faster)');
  lines.push('');
  lines.push(`pieces identical to mktorrent: ${yes(verification.piecesIdenticalToMktorrent)}`);
  lines.push(
    `pieces identical to libtorrent v1: ${yes(verification.piecesIdenticalToLibtorrentV1)}; hybrid's v1 pieces identical to mktorrent: ${yes(verification.hybridPiecesIdenticalToMktorrent)}; hybrid's v2 pieces roots and piece layers identical to libtorrent: ${yes(verification.hybridV2HashesIdenticalToLibtorrent)}`,
  );
  lines.push(
    `info-hashes equal (informational): v1 vs mktorrent ${yes(verification.infoHashV1SameAsMktorrent)}, v1 vs libtorrent ${yes(verification.infoHashV1SameAsLibtorrent)}, hybrid v1+v2 vs libtorrent ${yes(verification.hybridInfoHashesSameAsLibtorrent)}`,
  );
  lines.push(`target: fanseed v1 >= 1.0x mktorrent: ${pass ? 'PASS' : 'FAIL'}`);
  log(lines.join('\n'));

  const hashesOk =
    verification.piecesIdenticalToMktorrent &&
    verification.piecesIdenticalToLibtorrentV1 &&
    verification.hybridPiecesIdenticalToMktorrent &&
    verification.hybridV2HashesIdenticalToLibtorrent;
  if (!hashesOk) log('HASHES DIFFER: these figures are not valid');

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'create',
        units: { throughput: 'MB/s, MB = 10^6 bytes', rss: 'bytes', time: 'seconds' },
        sizeBytes: options.size,
        pieceLength: PIECE_LENGTH,
        runsPerTool: options.runs,
        warmupRounds: options.warmup,
        warmReadSeconds: warmSeconds,
        machine: about,
        threads,
        startup,
        results,
        ratios,
        verification,
        target: { name: 'fanseed v1 >= 1.0x mktorrent', pass },
      })}\n`,
    );
  }
  return hashesOk ? 0 : 1;
};

// ---------------------------------------------------------------------------------------------

const rssCheck = async (
  options: Options & { rssCheck: { size: number; text: string } },
  work: string,
): Promise<number> => {
  const { size } = options.rssCheck;
  const { file } = prepareFile(work, size);
  const timeFile = join(work, 'run.time');
  const checks: { format: Format; run: Measurement; pass: boolean; mbPerSecond: number }[] = [];
  for (const format of ['v1', 'hybrid'] as const) {
    const tool = fanseedTool(format);
    const out = join(work, `fanseed-${format}.torrent`);
    const run = stripOutput(await runMeasured(tool.command, tool.args(file, out), timeFile, work));
    progress(`  fanseed ${format}: ${describeRun(run)}`);
    checks.push({
      format,
      run,
      pass: run.peakRssBytes <= RSS_LIMIT_BYTES,
      mbPerSecond: size / MB / run.wallSeconds,
    });
  }
  const pieceLength = readTorrentFields(join(work, 'fanseed-v1.torrent')).pieceLength ?? 0;
  const lines = [
    `fanseed create on one ${gib(size)} file (default piece length: ${pieceLength / 1024 ** 2} MiB), page cache warm; MB = 10^6 bytes`,
    ...checks.map(
      (c) =>
        `${c.format === 'v1' ? 'peak RSS' : 'peak RSS (hybrid, informational)'}: ${mb(c.run.peakRssBytes)} MB (limit ${RSS_LIMIT_BYTES / MB} MB): ${c.pass ? 'PASS' : 'FAIL'}  [${fmt(c.run.wallSeconds, 2)} s wall, ${fmt(c.mbPerSecond, 0)} MB/s, ${fmt(c.run.cpuSeconds, 2)} s CPU]`,
    ),
  ];
  log(lines.join('\n'));
  const v1 = checks.find((c) => c.format === 'v1');
  const pass = v1?.pass === true;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'create-rss',
        sizeBytes: size,
        pieceLength,
        limitBytes: RSS_LIMIT_BYTES,
        checks,
        pass,
      })}\n`,
    );
  }
  return pass ? 0 : 1;
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
  return inWorkFolder(killRunning, (work) => {
    const { rssCheck: rss } = options;
    return rss === undefined
      ? benchmark(options, work)
      : rssCheck({ ...options, rssCheck: rss }, work);
  });
};

await runBenchmark('create', () => main(process.argv.slice(2)));
