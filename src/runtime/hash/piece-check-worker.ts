/**
 * Worker thread of the PieceCheckPool: given the torrent once (`workerData`), checks downloaded
 * pieces on request and hands each piece's bytes back (transferred, not copied) with the verdict.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Metainfo } from '../../core/metainfo/types.js';
import { checkPiece, type PieceVerdict } from '../../core/torrent/piece-check.js';
import { torrentLayout } from '../../core/torrent/torrent-layout.js';
import { nodeHash } from '../node-hash.js';

export interface PieceCheckWorkerData {
  readonly meta: Metainfo;
}

/** `data` owns its whole ArrayBuffer: the pool transfers it. */
export interface PieceCheckRequest {
  readonly id: number;
  readonly piece: number;
  readonly data: Uint8Array;
}

export type PieceCheckReply =
  | { readonly id: number; readonly verdict: PieceVerdict; readonly data: Uint8Array }
  | { readonly id: number; readonly error: string; readonly data: Uint8Array };

const port = parentPort;
const { meta } = workerData as PieceCheckWorkerData;
const layout = torrentLayout(meta);

/** The buffer to hand back, when it can be moved rather than copied. */
const transferable = (data: Uint8Array): ArrayBuffer[] =>
  data.buffer instanceof ArrayBuffer ? [data.buffer] : [];

port?.on('message', ({ id, piece, data }: PieceCheckRequest) => {
  let reply: PieceCheckReply;
  try {
    reply = { id, verdict: checkPiece(meta, layout, piece, data, nodeHash), data };
  } catch (e) {
    reply = { id, error: e instanceof Error ? e.message : String(e), data };
  }
  port.postMessage(reply, transferable(data));
});
