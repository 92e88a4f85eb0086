/** Worker thread: hashes ranges of pieces on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { type HashJobSpec, PieceHasher, PieceReadError } from './piece-hasher.js';

export interface HashRequest {
  readonly id: number;
  readonly first: number;
  readonly end: number;
}

export type HashReply =
  | {
      readonly id: number;
      readonly v1: Uint8Array | undefined;
      readonly v2: Uint8Array | undefined;
      readonly bytes: number;
    }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

const spec = workerData as HashJobSpec;
const hasher = new PieceHasher(spec);
const port = parentPort;

port?.on('message', (request: HashRequest) => {
  const count = request.end - request.first;
  const v1 = spec.needV1 ? new Uint8Array(count * 20) : undefined;
  const v2 = spec.needV2 ? new Uint8Array(count * 32) : undefined;
  try {
    const bytes = hasher.hashRange(request.first, request.end, v1, v2);
    const transfer = [v1?.buffer, v2?.buffer].filter(
      (b): b is ArrayBuffer => b instanceof ArrayBuffer,
    );
    port.postMessage({ id: request.id, v1, v2, bytes } satisfies HashReply, transfer);
  } catch (e) {
    const error =
      e instanceof PieceReadError ? e.value : { code: 'IO_FAILED', message: (e as Error).message };
    port.postMessage({ id: request.id, error } satisfies HashReply);
  }
});
port?.on('close', () => hasher.close());
