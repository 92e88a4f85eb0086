/**
 * The main-thread side of the load generator: a pool of worker threads, one job each per
 * phase; it waits until every worker has its sockets open, gives them one common schedule (start, counting window,
 * stop; epoch milliseconds), calls the caller back at the window's edges (to sample the
 * server's CPU time and memory from /proc), and adds up what the workers counted.
 *
 * The schedule: populate jobs send at once and run until every peer has an answer; steady jobs
 * send from `startAt`, count from `startAt + warm-up` for `measure` ms, then stop sending and
 * wait for the replies still due (up to the time-out).
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { type LoadCounts, mergeCounts, percentile } from './tracker-load-stats.js';
import type { ToWorker, WorkerJob, WorkerMessage } from './tracker-load-worker.js';

const WORKER = new URL('./tracker-load-worker.js', import.meta.url);
const READY_TIMEOUT_MS = 30_000;

export interface Schedule {
  /** Steady jobs: uncounted warm-up and counted window; undefined for populate jobs. */
  readonly warmupMs?: number | undefined;
  readonly measureMs?: number | undefined;
  /** Longest the whole phase may take after the start; the workers are stopped then. */
  readonly deadlineMs: number;
}

export interface WindowEdge {
  /** Epoch ms of the edge as scheduled, and as this thread saw it. */
  readonly at: number;
  /** CPU time of this process (all load workers and this thread) so far, seconds. */
  readonly clientCpuSeconds: number;
}

export interface PhaseResult {
  readonly counts: LoadCounts;
  /** Counted window: steady, the scheduled window; populate, start to the last worker's end. */
  readonly seconds: number;
  /** Ok replies in the window per second. */
  readonly perSecond: number;
  readonly p50Micros: number | undefined;
  readonly p99Micros: number | undefined;
  readonly maxBucketMicros: number | undefined;
  /** CPU seconds of the load generator (this whole process) in the window. */
  readonly clientCpuSeconds: number;
  readonly workers: number;
}

const epochNow = (): number => performance.timeOrigin + performance.now();
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (e: Error) => void;
}

const deferred = <T>(): Deferred<T> => {
  let resolve: (value: T) => void = () => {};
  let reject: (e: Error) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // It may be left unawaited after a failure elsewhere: keep it from being "unhandled".
  promise.catch(() => {});
  return { promise, resolve, reject };
};

interface Finished {
  readonly counts: LoadCounts;
  readonly finishedAt: number;
}

/** One worker thread and what the main thread is waiting for from it. */
class PoolWorker {
  private readonly worker: Worker;
  private waiting: { readonly type: WorkerMessage['type']; readonly d: Deferred<unknown> }[] = [];
  private dead: Error | undefined;

  constructor() {
    this.worker = new Worker(WORKER);
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'failed') {
        this.failAll(new Error(`load worker: ${m.message}`));
        return;
      }
      const i = this.waiting.findIndex((w) => w.type === m.type);
      const [w] = i < 0 ? [] : this.waiting.splice(i, 1);
      w?.d.resolve(m);
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', (code) => {
      this.dead = new Error(`load worker exited (status ${code})`);
      this.failAll(this.dead);
    });
  }

  /** Resolves with the next message of this type from the worker. */
  expect<T extends WorkerMessage>(type: T['type']): Promise<T> {
    const d = deferred<unknown>();
    if (this.dead !== undefined) d.reject(this.dead);
    else this.waiting.push({ type, d });
    return d.promise as Promise<T>;
  }

  send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private failAll(e: Error): void {
    const all = this.waiting;
    this.waiting = [];
    for (const w of all) w.d.reject(e);
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
};

/**
 * The load generator's threads, started once (their code loads once: the project's dist/ may be
 * rebuilt by someone else during a long run) and given one job each per phase.
 */
export class LoadPool {
  private readonly workers: PoolWorker[];
  private readonly loaded: Promise<unknown>;

  constructor(readonly size: number) {
    this.workers = Array.from({ length: size }, () => new PoolWorker());
    this.loaded = Promise.all(this.workers.map((w) => w.expect('loaded')));
  }

  close(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }

  /**
   * Runs `jobs` (one a worker) on one schedule. `onEdge` is called at the start and at the
   * end of the counting window (populate: when sending starts and when the last job is done).
   */
  async runPhase(
    jobs: readonly WorkerJob[],
    schedule: Schedule,
    onEdge: (edge: 'start' | 'end') => void,
  ): Promise<PhaseResult> {
    if (jobs.length > this.workers.length) throw new Error('more jobs than load workers');
    await withTimeout(this.loaded, READY_TIMEOUT_MS, 'load workers starting');
    const used = this.workers.slice(0, jobs.length);
    const ready = used.map((w) => w.expect('ready'));
    used.forEach((w, i) => {
      const job = jobs[i];
      if (job !== undefined) w.send({ type: 'job', job });
    });
    await withTimeout(Promise.all(ready), READY_TIMEOUT_MS, 'load workers opening their sockets');
    const steady = schedule.measureMs !== undefined;
    const startAt = epochNow() + 50;
    const countFrom = startAt + (schedule.warmupMs ?? 0);
    const countUntil = steady ? countFrom + (schedule.measureMs ?? 0) : Infinity;
    const done = used.map((w) => w.expect<Extract<WorkerMessage, { type: 'done' }>>('done'));
    for (const w of used)
      w.send({ type: 'go', startAt, countFrom, countUntil, stopAt: countUntil });

    const edges: WindowEdge[] = [];
    const edge = (which: 'start' | 'end', at: number): void => {
      onEdge(which);
      edges.push({ at, clientCpuSeconds: cpuSeconds() });
    };
    const timers: NodeJS.Timeout[] = [];
    const edgeAt = (which: 'start' | 'end', at: number): Promise<void> =>
      new Promise((resolve) => {
        timers.push(
          setTimeout(
            () => {
              edge(which, at);
              resolve();
            },
            Math.max(0, at - epochNow()),
          ),
        );
      });
    let results: Finished[];
    try {
      const edgesDone = Promise.all([
        edgeAt('start', countFrom),
        ...(steady ? [edgeAt('end', countUntil)] : []),
      ]);
      results = await withTimeout(Promise.all(done), schedule.deadlineMs, 'load phase');
      await edgesDone;
    } finally {
      for (const t of timers) clearTimeout(t);
    }
    if (!steady) edge('end', Math.max(...results.map((r) => r.finishedAt)));
    const [first, last] = [edges[0], edges[edges.length - 1]];
    if (first === undefined || last === undefined || edges.length !== 2) {
      throw new Error('load phase ended before its counting window');
    }
    const counts = mergeCounts(results.map((r) => r.counts));
    const seconds = (last.at - first.at) / 1000;
    return {
      counts,
      seconds,
      perSecond: (steady ? counts.okInWindow : counts.ok) / seconds,
      p50Micros: percentile(counts.latency, 0.5),
      p99Micros: percentile(counts.latency, 0.99),
      maxBucketMicros: percentile(counts.latency, 1),
      clientCpuSeconds: last.clientCpuSeconds - first.clientCpuSeconds,
      workers: jobs.length,
    };
  }
}
