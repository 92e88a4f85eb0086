/**
 * Hashes every piece of a torrent being created on worker threads (one per core by default).
 * Work goes out in ranges of about 8 MiB, two ranges in flight per worker so none waits.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PieceHashes } from '../../core/metainfo/create.js';
import { type ErrorCode, FanseedError } from '../../lib/errors.js';
import type { HashReply } from './hash-worker.js';
import type { HashJobSpec } from './piece-hasher.js';

export interface HashPoolOptions {
  readonly threads?: number;
  /** Called with the bytes hashed so far. */
  readonly onProgress?: (bytesDone: number) => void;
}

const RANGE_BYTES = 8 * 1024 * 1024;
const IN_FLIGHT_PER_WORKER = 2;

export const hashPieces = (
  spec: HashJobSpec,
  options: HashPoolOptions = {},
): Promise<PieceHashes> => {
  const { layout } = spec;
  const total = layout.pieceCount;
  const perRange = Math.max(1, Math.floor(RANGE_BYTES / layout.pieceLength));
  const v1 = spec.needV1 ? new Uint8Array(total * 20) : undefined;
  const v2 = spec.needV2 ? new Uint8Array(total * 32) : undefined;
  if (total === 0) return Promise.resolve({ v1, v2 });
  const threads = Math.max(
    1,
    Math.min(options.threads ?? availableParallelism(), Math.ceil(total / perRange)),
  );

  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let outstanding = 0;
    let bytesDone = 0;
    let finished = false;

    const stop = (): void => {
      finished = true;
      for (const w of workers) void w.terminate();
    };
    const failWith = (error: FanseedError): void => {
      if (finished) return;
      stop();
      reject(error);
    };
    const feed = (worker: Worker): void => {
      if (next >= total) return;
      const first = next;
      const end = Math.min(total, first + perRange);
      next = end;
      outstanding++;
      worker.postMessage({ id: first, first, end });
    };
    const onReply = (worker: Worker, reply: HashReply): void => {
      if (finished) return;
      outstanding--;
      if ('error' in reply) {
        failWith(new FanseedError(reply.error.code as ErrorCode, reply.error.message));
        return;
      }
      if (reply.v1 !== undefined) v1?.set(reply.v1, reply.id * 20);
      if (reply.v2 !== undefined) v2?.set(reply.v2, reply.id * 32);
      bytesDone += reply.bytes;
      options.onProgress?.(bytesDone);
      feed(worker);
      if (outstanding === 0 && next >= total) {
        stop();
        resolve({ v1, v2 });
      }
    };

    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: spec });
      workers.push(worker);
      worker.on('message', (reply: HashReply) => onReply(worker, reply));
      worker.on('error', (e) =>
        failWith(new FanseedError('IO_FAILED', `hash worker failed: ${e.message}`, { cause: e })),
      );
      for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) feed(worker);
    }
  });
};
