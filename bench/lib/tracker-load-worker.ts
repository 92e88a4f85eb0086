/**
 * One load worker thread. It lives for the whole benchmark (its code is loaded once) and runs
 * one job per phase: on 'job' it builds the UDP or HTTP load and opens its sockets, then says
 * 'ready'; on 'go' (the schedule in epoch milliseconds, the same clock on every thread) it runs
 * the job and posts its counts. A failure is posted as one 'failed' message.
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { type HttpJob, HttpLoad } from './tracker-load-http.js';
import type { LoadCounts } from './tracker-load-stats.js';
import { type UdpJob, UdpLoad, type Window } from './tracker-load-udp.js';

export type WorkerJob = UdpJob | HttpJob;

/** The schedule as the main thread sends it: epoch milliseconds. */
export interface Go {
  readonly type: 'go';
  /** Sending starts: the warm-up runs from here to countFrom. */
  readonly startAt: number;
  readonly countFrom: number;
  readonly countUntil: number;
  readonly stopAt: number;
}

export type ToWorker = { readonly type: 'job'; readonly job: WorkerJob } | Go;

export type WorkerMessage =
  | { readonly type: 'loaded' }
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly counts: LoadCounts; readonly finishedAt: number }
  | { readonly type: 'failed'; readonly message: string };

const epochNow = (): number => performance.timeOrigin + performance.now();
const local = (epochMs: number): number => epochMs - performance.timeOrigin;

const port = parentPort;
if (port === null) throw new Error('tracker-load-worker runs as a worker thread only');
const post = (m: WorkerMessage): void => port.postMessage(m);

let load: UdpLoad | HttpLoad | undefined;
let stage = 'idle';

const prepare = async (job: WorkerJob): Promise<void> => {
  stage = 'opening sockets';
  const next = job.protocol === 'udp' ? new UdpLoad(job) : new HttpLoad(job);
  load = next;
  if (next instanceof UdpLoad) await next.open();
  stage = 'waiting for go';
  post({ type: 'ready' });
};

const run = async (go: Go): Promise<void> => {
  const current = load;
  if (current === undefined) throw new Error('go without a job');
  const window: Window = {
    countFrom: local(go.countFrom),
    countUntil: local(go.countUntil),
    stopAt: local(go.stopAt),
  };
  stage = 'waiting for the start';
  const wait = local(go.startAt) - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  stage = 'running';
  await current.run(window);
  const finishedAt = epochNow();
  current.close();
  load = undefined;
  stage = 'idle';
  post({ type: 'done', counts: current.counts, finishedAt });
};

const fail = (e: unknown): void => {
  load?.close();
  load = undefined;
  stage = 'idle';
  post({ type: 'failed', message: (e as Error).message });
};

port.on('message', (m: ToWorker) => {
  if (m.type === 'job') prepare(m.job).catch(fail);
  else run(m).catch(fail);
});
// A thread whose event loop runs dry in the middle of a job would end silently: say where.
process.once('exit', () => {
  if (stage !== 'idle') post({ type: 'failed', message: `thread ended while ${stage}` });
});
post({ type: 'loaded' });
