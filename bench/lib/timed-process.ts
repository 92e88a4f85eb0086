/**
 * A long-running command under GNU time (see measure.ts) whose stdout is read line by line as it
 * runs, each line stamped with its arrival time: for peers that announce a port, then serve
 * until they are told to stop.
 *
 * GNU time ignores SIGINT but dies of SIGTERM without a report, so a stop signal goes to the
 * measured command itself (GNU time's only child, found through /proc), and GNU time then
 * reports its rusage. While the command runs, /proc/PID/stat and /proc/PID/status give its CPU
 * time so far (all threads) and its peak resident set (VmHWM): CPU seconds over a window is
 * the difference of two samples. Every process runs in its own process group; `killAllTimed`
 * kills the groups still alive (on error and on exit).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { type Measurement, parseTimeOutput, TIME_BIN, TIME_FORMAT } from './measure.js';

export interface Line {
  readonly text: string;
  /** The line parsed as a JSON object, when it is one. */
  readonly json: Record<string, unknown> | undefined;
  /** Seconds from spawn to the line's arrival here. */
  readonly at: number;
}

export interface ProcSample {
  /** utime + stime of all threads so far. */
  readonly cpuSeconds: number;
  /** VmHWM. */
  readonly peakRssBytes: number;
  /** VmRSS. */
  readonly rssBytes: number;
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** GNU time's report; undefined when GNU time itself was killed. */
  readonly measurement: Measurement | undefined;
  readonly lines: readonly Line[];
  readonly stderrTail: string;
}

const KEEP_STDERR = 16 * 1024;
const live = new Set<TimedProcess>();

let ticksPerSecond: number | undefined;
const clockTicks = (): number => {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
};

/** SIGKILLs the process group of every timed process still running. */
export const killAllTimed = (): void => {
  for (const p of live) p.kill();
};

interface Waiter {
  readonly match: (line: Line) => boolean;
  readonly resolve: (line: Line) => void;
  readonly reject: (e: Error) => void;
  readonly what: string;
}

export class TimedProcess {
  readonly lines: Line[] = [];
  /** Resolves once GNU time has exited (never rejects). */
  readonly finished: Promise<Finished>;
  private readonly child: ChildProcess;
  private readonly started = process.hrtime.bigint();
  private stderr = '';
  private pending = '';
  private waiters: Waiter[] = [];
  private exited = false;
  private commandPidCache: number | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    private readonly timeFile: string,
    cwd?: string,
  ) {
    rmSync(timeFile, { force: true });
    this.child = spawn(TIME_BIN, ['-o', timeFile, '-f', TIME_FORMAT, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(cwd === undefined ? {} : { cwd }),
    });
    live.add(this);
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-KEEP_STDERR);
    });
    this.finished = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        live.delete(this);
        if (this.pending !== '') this.addLine(this.pending);
        this.pending = '';
        const how = signal ?? `status ${code}`;
        for (const w of this.waiters) {
          w.reject(
            new Error(`${this.name} exited (${how}) before ${w.what}:\n${this.stderrTail()}`),
          );
        }
        this.waiters = [];
        let measurement: Measurement | undefined;
        try {
          const report = parseTimeOutput(readFileSync(this.timeFile, 'utf8'), this.timeFile);
          measurement = { wallSeconds: this.elapsed(), ...report };
        } catch {
          measurement = undefined;
        }
        resolve({
          code,
          signal,
          measurement,
          lines: this.lines,
          stderrTail: this.stderrTail(),
        });
      };
      this.child.on('error', (e) => {
        this.stderr += `\nspawn failed: ${e.message}`;
        done(null, null);
      });
      this.child.on('close', done);
    });
  }

  /** Seconds since spawn. */
  elapsed(): number {
    return Number(process.hrtime.bigint() - this.started) / 1e9;
  }

  get running(): boolean {
    return !this.exited;
  }

  stderrTail(chars = 2000): string {
    return this.stderr.trim().slice(-chars);
  }

  /** Resolves with the first line (seen so far or to come) that matches; rejects on time-out or exit. */
  waitForLine(match: (line: Line) => boolean, timeoutMs: number, what: string): Promise<Line> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.exited) {
      return Promise.reject(new Error(`${this.name} exited before ${what}:\n${this.stderrTail()}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no ${what} after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        what,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for the exit; on time-out kills the process group and rejects. */
  async waitExit(timeoutMs: number, what = 'exit'): Promise<Finished> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`${this.name}: no ${what} after ${timeoutMs / 1000} s (killed)`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The PID of the measured command: GNU time's child. */
  commandPid(): number | undefined {
    if (this.commandPidCache !== undefined) return this.commandPidCache;
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return undefined;
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      const first = Number(children.split(/\s+/)[0]);
      if (Number.isInteger(first) && first > 0) this.commandPidCache = first;
    } catch {
      // gone, or no /proc children file: no sample
    }
    return this.commandPidCache;
  }

  /** CPU time and peak RSS of the measured command so far, from /proc. */
  sample(): ProcSample | undefined {
    const pid = this.commandPid();
    if (pid === undefined) return undefined;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(rest[11]) + Number(rest[12]);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (key: string): number => {
        const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
        return m?.[1] === undefined ? Number.NaN : Number(m[1]) * 1024;
      };
      return {
        cpuSeconds: ticks / clockTicks(),
        peakRssBytes: kib('VmHWM'),
        rssBytes: kib('VmRSS'),
      };
    } catch {
      return undefined;
    }
  }

  /** Sends a signal to the measured command (not to GNU time); false when it is gone. */
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.commandPid();
    if (pid === undefined) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILLs the whole process group (GNU time and the command). */
  kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private onStdout(chunk: string): void {
    const text = this.pending + chunk;
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) this.addLine(part);
  }

  private addLine(raw: string): void {
    const text = raw.trim();
    if (text === '') return;
    let json: Record<string, unknown> | undefined;
    if (text.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          json = parsed as Record<string, unknown>;
        }
      } catch {
        json = undefined;
      }
    }
    const line: Line = { text, json, at: this.elapsed() };
    this.lines.push(line);
    const matched = this.waiters.filter((w) => w.match(line));
    this.waiters = this.waiters.filter((w) => !w.match(line));
    for (const w of matched) w.resolve(line);
  }
}
