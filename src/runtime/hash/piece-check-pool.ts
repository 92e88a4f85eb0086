/**
 * Checks downloaded pieces (SHA-1, and the BEP 52 merkle root for v2 and hybrid torrents) on
 * worker threads, so hashing never stalls the event loop that serves peers.
 *
 * A piece's bytes go to the worker and come back by transfer, not by copy: the caller must use
 * the `data` returned by `check`, as the array it passed in may be detached. Only an array that
 * owns its whole ArrayBuffer is transferred; a view into a larger buffer (a Buffer from Node's
 * pool, a subarray of a socket chunk) is copied first, since moving its buffer would take the
 * bytes around it away from their other owners.
 *
 * Workers are unref'd while idle, so a pool left open never keeps the process alive, and ref'd
 * while a check is in flight, so a pending check is never cut short by the process exiting.
 */
import { Worker } from 'node:worker_threads';
import type { Metainfo, TorrentFile } from '../../core/metainfo/types.js';
import type { PieceVerdict } from '../../core/torrent/piece-check.js';
import { FanseedError } from '../../lib/errors.js';
import type {
  PieceCheckReply,
  PieceCheckRequest,
  PieceCheckWorkerData,
} from './piece-check-worker.js';

export interface PieceCheckPoolOptions {
  /** Worker threads (default 1). */
  readonly threads?: number;
}

export interface PieceCheckResult {
  readonly verdict: PieceVerdict;
  /** The piece's bytes, unchanged: the same contents as the array given to `check`. */
  readonly data: Uint8Array;
}

interface Pending {
  readonly piece: number;
  readonly resolve: (result: PieceCheckResult) => void;
  readonly reject: (error: FanseedError) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** A copy that owns its buffer (`new Uint8Array(view)`: a Buffer's own `slice` would not copy). */
const own = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

/**
 * The fields `checkPiece` and `torrentLayout` read, each array copied to a buffer of its own:
 * structured clone copies a view's whole underlying buffer (often the entire .torrent file), and
 * whatever else a caller may have hung on the object (a Buffer subclass, a getter) stays behind.
 */
const checkingMetainfo = (meta: Metainfo): Metainfo => ({
  version: meta.version,
  name: meta.name,
  infoHashV1: undefined,
  infoHashV2: undefined,
  pieceLength: meta.pieceLength,
  pieceCount: meta.pieceCount,
  length: meta.length,
  multiFile: meta.multiFile,
  files: meta.files.map(
    (f): TorrentFile => ({
      path: [],
      length: f.length,
      offset: f.offset,
      pad: f.pad,
      piecesRoot: f.piecesRoot === undefined ? undefined : own(f.piecesRoot),
    }),
  ),
  pieces: meta.pieces === undefined ? undefined : own(meta.pieces),
  pieceLayers: new Map([...meta.pieceLayers].map(([root, layer]) => [root, own(layer)])),
  announce: [],
  urlList: [],
  private: meta.private,
  comment: undefined,
  createdBy: undefined,
  creationDate: undefined,
  info: new Uint8Array(0),
});

/** True when moving `data.buffer` to another thread takes exactly `data` and nothing else. */
const ownsItsBuffer = (data: Uint8Array): boolean =>
  data.buffer instanceof ArrayBuffer &&
  data.byteOffset === 0 &&
  data.byteLength === data.buffer.byteLength;

export class PieceCheckPool {
  private readonly slots: Array<Slot | undefined>;
  private readonly workerData: PieceCheckWorkerData;
  private readonly pieceCount: number;
  private nextId = 0;
  private cursor = 0;
  private closed = false;

  constructor(meta: Metainfo, options: PieceCheckPoolOptions = {}) {
    const threads = Math.max(1, Math.floor(options.threads ?? 1));
    this.workerData = { meta: checkingMetainfo(meta) };
    this.pieceCount = meta.pieceCount;
    // Started now: a worker takes tens of milliseconds to boot, better spent before the first
    // piece completes than after.
    this.slots = Array.from({ length: threads }, () => this.spawn());
  }

  /** Pieces sent to workers and not answered yet. */
  get inFlight(): number {
    return this.slots.reduce((n, s) => n + (s?.pending.size ?? 0), 0);
  }

  /**
   * Checks one piece's data (as requested: padding left out). Resolves with the verdict and the
   * bytes; rejects with HASH_POOL_CLOSED once the pool is closed, HASH_WORKER_FAILED if the
   * worker dies. A piece index outside the torrent is 'bad', as `checkPiece` would find it.
   */
  check(piece: number, data: Uint8Array): Promise<PieceCheckResult> {
    if (this.closed) return Promise.reject(closedError(piece));
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount)
      return Promise.resolve({ verdict: 'bad', data });
    const index = this.leastBusy();
    const slot = this.slots[index] ?? this.respawn(index);
    const id = this.nextId++;
    return new Promise<PieceCheckResult>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { piece, resolve, reject });
      try {
        post(slot.worker, { id, piece, data: ownsItsBuffer(data) ? data : own(data) });
      } catch (e) {
        this.settle(slot, id);
        reject(
          new FanseedError('HASH_WORKER_FAILED', `cannot send piece ${piece} to a check worker`, {
            cause: e,
          }),
        );
      }
    });
  }

  /** Ends the workers. Checks still pending reject with HASH_POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) if (slot !== undefined) rejectAll(slot, closedError);
    await Promise.all(slots.map((slot) => slot?.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./piece-check-worker.js', import.meta.url), {
      workerData: this.workerData,
    });
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (reply: PieceCheckReply) => this.onReply(slot, reply));
    const fail = (why: string, cause?: unknown): void => this.onCrash(slot, why, cause);
    worker.on('error', (e) => fail(`failed: ${e.message}`, e));
    worker.on('messageerror', (e) =>
      fail(`sent a message that could not be read: ${e.message}`, e),
    );
    worker.on('exit', (code) => fail(`exited (code ${code})`));
    return slot;
  }

  private respawn(index: number): Slot {
    const slot = this.spawn();
    this.slots[index] = slot;
    return slot;
  }

  /** The slot with the fewest checks in flight; ties go round-robin. */
  private leastBusy(): number {
    const n = this.slots.length;
    let best = this.cursor % n;
    for (let k = 1; k < n; k++) {
      const i = (this.cursor + k) % n;
      if ((this.slots[i]?.pending.size ?? 0) < (this.slots[best]?.pending.size ?? 0)) best = i;
    }
    this.cursor = (best + 1) % n;
    return best;
  }

  private onReply(slot: Slot, reply: PieceCheckReply): void {
    const pending = this.settle(slot, reply.id);
    if (pending === undefined) return;
    if ('error' in reply) {
      pending.reject(
        new FanseedError(
          'HASH_WORKER_FAILED',
          `checking piece ${pending.piece} failed in a check worker: ${reply.error}`,
        ),
      );
    } else pending.resolve({ verdict: reply.verdict, data: reply.data });
  }

  /** Takes a check off its worker's books; the worker goes back to not holding the process. */
  private settle(slot: Slot, id: number): Pending | undefined {
    const pending = slot.pending.get(id);
    slot.pending.delete(id);
    if (pending !== undefined && slot.pending.size === 0) slot.worker.unref();
    return pending;
  }

  /** A worker died: its checks fail now (never hang), and its place is refilled on demand. */
  private onCrash(slot: Slot, why: string, cause: unknown): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return; // closed, or already replaced
    this.slots[index] = undefined;
    rejectAll(
      slot,
      (piece) =>
        new FanseedError('HASH_WORKER_FAILED', `the worker checking piece ${piece} ${why}`, {
          cause,
        }),
    );
    void slot.worker.terminate();
  }
}

const closedError = (piece: number): FanseedError =>
  new FanseedError(
    'HASH_POOL_CLOSED',
    `the piece checker closed before piece ${piece} was checked`,
  );

const rejectAll = (slot: Slot, error: (piece: number) => FanseedError): void => {
  const pending = [...slot.pending.values()];
  slot.pending.clear();
  slot.worker.unref();
  for (const p of pending) p.reject(error(p.piece));
};

/** Posts a request, moving the piece's buffer. Node 20 quietly copies a buffer it cannot move
 * (marked untransferable); later versions throw instead, so copy and try once more. */
const post = (worker: Worker, request: PieceCheckRequest): void => {
  try {
    worker.postMessage(request, [request.data.buffer as ArrayBuffer]);
  } catch (e) {
    if ((e as { name?: unknown } | undefined)?.name !== 'DataCloneError') throw e;
    const data = own(request.data);
    worker.postMessage({ ...request, data } satisfies PieceCheckRequest, [
      data.buffer as ArrayBuffer,
    ]);
  }
};
