/** Worker thread: told what to hash once (`init`), then hashes ranges of pieces on request. */
import { parentPort } from 'node:worker_threads';
import { type HashJobSpec, PieceHasher, PieceReadError } from './piece-hasher.js';

export type HashRequest =
  | { readonly type: 'init'; readonly spec: HashJobSpec }
  | { readonly type: 'range'; readonly first: number; readonly end: number };

export type HashReply =
  | {
      readonly first: number;
      readonly v1: Uint8Array | undefined;
      readonly v2: Uint8Array | undefined;
      readonly bytes: number;
    }
  | { readonly first: number; readonly error: { readonly code: string; readonly message: string } };

const port = parentPort;
let spec: HashJobSpec | undefined;
let hasher: PieceHasher | undefined;

port?.on('message', (request: HashRequest) => {
  if (request.type === 'init') {
    hasher?.close();
    spec = request.spec;
    hasher = new PieceHasher(spec);
    return;
  }
  if (spec === undefined || hasher === undefined) return;
  const count = request.end - request.first;
  const v1 = spec.needV1 ? new Uint8Array(count * 20) : undefined;
  const v2 = spec.needV2 ? new Uint8Array(count * 32) : undefined;
  try {
    const bytes = hasher.hashRange(request.first, request.end, v1, v2);
    const transfer = [v1?.buffer, v2?.buffer].filter(
      (b): b is ArrayBuffer => b instanceof ArrayBuffer,
    );
    port.postMessage({ first: request.first, v1, v2, bytes } satisfies HashReply, transfer);
  } catch (e) {
    const error =
      e instanceof PieceReadError ? e.value : { code: 'IO_FAILED', message: (e as Error).message };
    port.postMessage({ first: request.first, error } satisfies HashReply);
  }
});
port?.on('close', () => hasher?.close());
