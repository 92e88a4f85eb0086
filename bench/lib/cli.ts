/**
 * What the benchmark commands share: their common options (--size, --runs, --warmup, --json),
 * report output (the table on stdout, or on stderr under --json), number formats and tables,
 * the test file, the interleaved order of rounds and the temp work folder, removed on exit and
 * on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '../../src/cli/format.js';
import { freeBytes, makeRandomFile, warmPageCache } from './data.js';

/** MB = 10^6 bytes everywhere (throughput MB/s and RSS MB). */
export const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// Options.

/** The parseArgs options every benchmark takes; spread them into its own. */
export const COMMON_OPTIONS = {
  size: { type: 'string' },
  runs: { type: 'string' },
  warmup: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface CommonOptions {
  readonly size: number;
  readonly sizeText: string;
  readonly runs: number;
  readonly warmup: number;
  readonly json: boolean;
}

/** A size option (256M, 1G, ...): bytes, or throws naming `flag`. */
export const sizeArg = (text: string, flag: string): number => {
  const n = parseByteSize(text);
  if (n === undefined || n <= 0) throw new Error(`${flag} ${text} is not a size (e.g. 256M, 1G)`);
  return n;
};

/** The common options, checked: --size (or BENCH_SIZE, default 1G), --runs, --warmup, --json. */
export const commonOptions = (
  values: {
    readonly size?: string;
    readonly runs?: string;
    readonly warmup?: string;
    readonly json: boolean;
  },
  defaults: { readonly runs: number; readonly warmup: number },
): CommonOptions => {
  const sizeText = values.size ?? process.env.BENCH_SIZE ?? '1G';
  const size = sizeArg(sizeText, '--size');
  const runs = Number(values.runs ?? String(defaults.runs));
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    throw new Error('--runs takes a whole number from 1 to 50');
  }
  const warmup = Number(values.warmup ?? String(defaults.warmup));
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > 10) {
    throw new Error('--warmup takes a whole number from 0 to 10');
  }
  return { size, sizeText, runs, warmup, json: values.json };
};

// ---------------------------------------------------------------------------------------------
// Output.

let reportToStderr = false;
/** Under --json the report goes to stderr, so that stdout holds the JSON object alone. */
export const reportOnStderr = (): void => {
  reportToStderr = true;
};
/** The report: stdout, or stderr after reportOnStderr(). */
export const log = (line: string): void => {
  (reportToStderr ? process.stderr : process.stdout).write(`${line}\n`);
};
/** Progress lines, always on stderr. */
export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** `n` with `digits` decimals; '-' for a figure that is missing or not finite. */
export const fmt = (n: number | undefined, digits: number): string =>
  n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
export const mb = (bytes: number | undefined): string =>
  bytes === undefined ? '-' : fmt(bytes / MB, 1);
export const gib = (bytes: number): string => `${fmt(bytes / 1024 ** 3, 2)} GiB`;

/**
 * Rows as text columns two spaces apart. Columns are left-aligned except those in `right`;
 * or right-aligned except those in `left`.
 */
export const table = (
  rows: readonly (readonly string[])[],
  align: { readonly right: ReadonlySet<number> } | { readonly left: ReadonlySet<number> },
): string => {
  const rightAligned = (i: number): boolean =>
    'right' in align ? align.right.has(i) : !align.left.has(i);
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          rightAligned(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** What every report says of the machine; each benchmark adds its tools' versions. */
export const machineBasics = () => ({
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
});

// ---------------------------------------------------------------------------------------------
// Runs.

/** Writes `size` pseudo-random bytes to `file` and warms the page cache, saying so on stderr. */
export const makeWarmFile = (file: string, size: number): { warmSeconds: number } => {
  progress(`making ${gib(size)} of pseudo-random data in ${file} ...`);
  const started = process.hrtime.bigint();
  makeRandomFile(file, size);
  const made = Number(process.hrtime.bigint() - started) / 1e9;
  const warmSeconds = warmPageCache(file);
  progress(
    `  written and flushed in ${fmt(made, 1)} s; warm read in ${fmt(warmSeconds, 2)} s (${mb(size / warmSeconds)} MB/s)`,
  );
  return { warmSeconds };
};

/** The order of one round: `list` rotated by the round number, so that no item always goes first. */
export const roundOrder = <T>(list: readonly T[], round: number): T[] => [
  ...list.slice(round % list.length),
  ...list.slice(0, round % list.length),
];

/**
 * Runs `body` in a fresh temp folder (its free space on stderr first). `kill` stops what is
 * still running; then the folder goes: when `body` ends, and on SIGINT or SIGTERM (exit 130 or
 * 143).
 */
export const inWorkFolder = async (
  kill: () => void,
  body: (dir: string) => Promise<number>,
): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'fanseed-bench-'));
  const cleanup = (): void => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanup();
    process.stderr.write(`interrupted (${signal}); removed ${dir}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress(`work folder ${dir} (${mb(freeBytes(dir))} MB free)`);
    return await body(dir);
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};

/** Runs a benchmark's main: its result is the exit status; an error, one line and status 1. */
export const runBenchmark = async (name: string, main: () => Promise<number>): Promise<void> => {
  try {
    process.exitCode = await main();
  } catch (e) {
    process.stderr.write(`bench:${name}: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
};
