/**
 * Hashes every piece of a torrent being created, on worker threads and optionally on the
 * calling thread too. Work goes out in ranges of about 8 MiB from one shared cursor; each
 * worker keeps two ranges in flight so it never waits for the next.
 *
 * Workers take tens of milliseconds to start, so a command that knows it will hash can start
 * them first (`prestartHashWorkers`) and let them boot while it loads and walks the files.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { PieceHashes } from '../../core/metainfo/create.js';
import { type ErrorCode, FanseedError } from '../../lib/errors.js';
import type { HashReply, HashRequest } from './hash-worker.js';
import { type HashJobSpec, PieceHasher, PieceReadError } from './piece-hasher.js';

export interface HashPoolOptions {
  /** Threads hashing in all, the calling thread included when `mainThread` (default: one per core). */
  readonly threads?: number;
  /** Hash on the calling thread as well, in short slices between event-loop turns. For the
   * CLI; a server should leave its event loop to the workers. */
  readonly mainThread?: boolean;
  /** Called with the bytes hashed so far. */
  readonly onProgress?: (bytesDone: number) => void;
}

const RANGE_BYTES = 8 * 1024 * 1024;
const IN_FLIGHT_PER_WORKER = 2;

const spawnWorker = (): Worker => {
  const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
  worker.unref(); // an idle prestarted worker must not keep the process alive
  return worker;
};

const prestarted: Worker[] = [];

/** Starts hash workers ahead of need (default: one per core but the calling one). */
export const prestartHashWorkers = (count = availableParallelism() - 1): void => {
  while (prestarted.length < count) prestarted.push(spawnWorker());
};

/** Ends prestarted workers that were never used. */
export const stopPrestartedHashWorkers = async (): Promise<void> => {
  await Promise.all(prestarted.splice(0).map((w) => w.terminate()));
};

export const hashPieces = async (
  spec: HashJobSpec,
  options: HashPoolOptions = {},
): Promise<PieceHashes> => {
  const { layout } = spec;
  const total = layout.pieceCount;
  const perRange = Math.max(1, Math.floor(RANGE_BYTES / layout.pieceLength));
  const v1 = spec.needV1 ? new Uint8Array(total * 20) : undefined;
  const v2 = spec.needV2 ? new Uint8Array(total * 32) : undefined;
  const ranges = Math.ceil(total / perRange);
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), ranges));
  const workerCount = options.mainThread ? threads - 1 : threads;

  let next = 0;
  let bytesDone = 0;
  const take = (): { first: number; end: number } | undefined => {
    if (next >= total) return undefined;
    const first = next;
    next = Math.min(total, first + perRange);
    return { first, end: next };
  };
  const record = (
    first: number,
    h1: Uint8Array | undefined,
    h2: Uint8Array | undefined,
    bytes: number,
  ): void => {
    if (h1 !== undefined) v1?.set(h1, first * 20);
    if (h2 !== undefined) v2?.set(h2, first * 32);
    bytesDone += bytes;
    options.onProgress?.(bytesDone);
  };

  const workers = Array.from({ length: workerCount }, () => prestarted.pop() ?? spawnWorker());
  let failure: FanseedError | undefined;
  const workersDone = workers.map(
    (worker) =>
      new Promise<void>((resolve) => {
        let outstanding = 0;
        const feed = (): void => {
          const range = failure === undefined ? take() : undefined;
          if (range === undefined) {
            if (outstanding === 0) resolve();
            return;
          }
          outstanding++;
          worker.postMessage({ type: 'range', ...range } satisfies HashRequest);
        };
        worker.on('message', (reply: HashReply) => {
          outstanding--;
          if ('error' in reply)
            failure ??= new FanseedError(reply.error.code as ErrorCode, reply.error.message);
          else record(reply.first, reply.v1, reply.v2, reply.bytes);
          feed();
        });
        worker.on('error', (e) => {
          failure ??= new FanseedError('IO_FAILED', `hash worker failed: ${e.message}`, {
            cause: e,
          });
          resolve();
        });
        worker.postMessage({ type: 'init', spec } satisfies HashRequest);
        for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) feed();
      }),
  );

  try {
    if (options.mainThread) await hashOnThisThread(spec, take, record, () => failure !== undefined);
  } catch (e) {
    failure ??=
      e instanceof PieceReadError
        ? new FanseedError(e.value.code, e.value.message)
        : (e as FanseedError);
  } finally {
    await Promise.all(workersDone);
    await Promise.all(workers.map((w) => w.terminate()));
    await stopPrestartedHashWorkers();
  }
  if (failure !== undefined) throw failure;
  return { v1, v2 };
};

/** The calling thread's share: one range at a time, yielding to the event loop in between so
 * worker replies are taken in. */
const hashOnThisThread = async (
  spec: HashJobSpec,
  take: () => { first: number; end: number } | undefined,
  record: (
    first: number,
    v1: Uint8Array | undefined,
    v2: Uint8Array | undefined,
    bytes: number,
  ) => void,
  failed: () => boolean,
): Promise<void> => {
  const hasher = new PieceHasher(spec);
  try {
    for (let range = take(); range !== undefined && !failed(); range = take()) {
      const count = range.end - range.first;
      const h1 = spec.needV1 ? new Uint8Array(count * 20) : undefined;
      const h2 = spec.needV2 ? new Uint8Array(count * 32) : undefined;
      record(range.first, h1, h2, hasher.hashRange(range.first, range.end, h1, h2));
      await yieldToLoop();
    }
  } finally {
    hasher.close();
  }
};
