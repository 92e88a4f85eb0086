/**
 * Runs a command as a child process under GNU time (`/usr/bin/time`, Debian package `time`) and
 * reports its wall time, CPU time (user + system, children included) and peak resident set.
 *
 * Node cannot read a child's rusage directly; GNU time calls wait4() and prints it, which also
 * covers all threads of the child (fanseed's hash workers, mktorrent's and libtorrent's threads).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

export const TIME_BIN = '/usr/bin/time';

export interface Measurement {
  /** Wall time from spawn to exit, measured here with a monotonic clock (seconds). */
  readonly wallSeconds: number;
  /** Wall time as GNU time saw it (seconds, 10 ms resolution). */
  readonly timeWallSeconds: number;
  readonly userSeconds: number;
  readonly systemSeconds: number;
  /** User + system. */
  readonly cpuSeconds: number;
  /** Peak resident set size (ru_maxrss), bytes. */
  readonly peakRssBytes: number;
}

export interface MeasuredRun extends Measurement {
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws a readable error when GNU time is not installed. */
export const requireGnuTime = (): void => {
  if (!existsSync(TIME_BIN)) {
    throw new Error(
      `${TIME_BIN} is missing: this benchmark measures CPU time and peak RSS with GNU time. ` +
        'Install it with `apt-get install time` (Debian/Ubuntu) and run again.',
    );
  }
};

export const TIME_FORMAT = '%e %U %S %M';
const running = new Set<ChildProcess>();

/**
 * Kills the measured commands still running (on Ctrl-C, before the temp folder goes): each runs
 * in its own process group (GNU time and the command under it), killed as a whole.
 */
export const killRunning = (): void => {
  for (const child of running) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};
const KEEP_OUTPUT = 64 * 1024;

export const parseTimeOutput = (text: string, file: string): Omit<Measurement, 'wallSeconds'> => {
  // GNU time may put "Command exited with non-zero status N" or signal lines first.
  const line = text.trim().split('\n').at(-1) ?? '';
  const fields = line.trim().split(/\s+/).map(Number);
  const [elapsed, user, system, maxRssKiB] = fields;
  if (
    fields.length !== 4 ||
    elapsed === undefined ||
    user === undefined ||
    system === undefined ||
    maxRssKiB === undefined ||
    fields.some((n) => !Number.isFinite(n))
  ) {
    throw new Error(`cannot read GNU time's output in ${file}: ${JSON.stringify(text)}`);
  }
  return {
    timeWallSeconds: elapsed,
    userSeconds: user,
    systemSeconds: system,
    cpuSeconds: Math.round((user + system) * 100) / 100,
    peakRssBytes: maxRssKiB * 1024,
  };
};

/**
 * Runs `command args` under GNU time; resolves when it exits with status 0, rejects otherwise
 * (with the tail of its stderr). `timeFile` is a scratch file for GNU time's report. Past
 * `timeoutMs` (if given) its process group is killed and the run rejected: a hung tool fails
 * the benchmark rather than stalling it.
 */
export const runMeasured = (
  command: string,
  args: readonly string[],
  timeFile: string,
  cwd?: string,
  timeoutMs?: number,
): Promise<MeasuredRun> =>
  new Promise((resolve, reject) => {
    rmSync(timeFile, { force: true });
    const started = process.hrtime.bigint();
    const child = spawn(TIME_BIN, ['-o', timeFile, '-f', TIME_FORMAT, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(cwd === undefined ? {} : { cwd }),
    });
    running.add(child);
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length < KEEP_OUTPUT) stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-KEEP_OUTPUT);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `${command} ${args.join(' ')}: still running after ${timeoutMs} ms (killed):\n${stderr.trim().slice(-2000)}`,
          ),
        );
        return;
      }
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        const how = signal === null ? `status ${code}` : `signal ${signal}`;
        reject(
          new Error(`${command} ${args.join(' ')} failed (${how}):\n${stderr.trim().slice(-2000)}`),
        );
        return;
      }
      try {
        const report = parseTimeOutput(readFileSync(timeFile, 'utf8'), timeFile);
        resolve({ wallSeconds, ...report, stdout, stderr });
      } catch (e) {
        reject(e);
      }
    });
  });
