/**
 * Reading one file of a torrent as a stream while it downloads: each piece is waited for until
 * it is verified. The pieces just ahead of the reader (a window as long as a few seconds of its
 * rate) are asked for first, in order; a reader that seeks is a new stream with a new window.
 * Streaming to a player builds on this.
 */
import { Readable } from 'node:stream';
import type { Layout } from '../core/geometry/layout.js';
import { FanseedError } from '../lib/errors.js';

export interface PieceSource {
  readonly layout: Layout;
  has(piece: number): boolean;
  /** Resolves when the piece is verified; rejects if the torrent closes first. */
  waitFor(piece: number): Promise<void>;
  read(piece: number, offset: number, length: number): Promise<Uint8Array>;
  /** The pieces this reader needs next, soonest first; an empty list lets them go. */
  window(reader: object, pieces: readonly number[]): void;
}

export interface FileStreamOptions {
  /** First byte, from 0 (default 0). */
  readonly start?: number;
  /** Last byte, inclusive as in fs.createReadStream (default the file's last byte). */
  readonly end?: number;
  /** Pieces ahead of the reader to ask for first, at least (default 4). */
  readonly readAhead?: number;
  /** Seconds of the reader's rate to keep asked for ahead of it (default 10). */
  readonly readAheadSeconds?: number;
  /** Most bytes the read-ahead window covers (default 64 MiB). */
  readonly maxReadAhead?: number;
}

/** Readers waiting for pieces to be verified. */
export class PieceWaiters {
  private readonly waiting = new Map<number, Array<{ ok: () => void; no: (e: Error) => void }>>();

  wait(piece: number): Promise<void> {
    return new Promise((ok, no) => {
      const list = this.waiting.get(piece) ?? [];
      list.push({ ok, no });
      this.waiting.set(piece, list);
    });
  }

  settle(piece: number): void {
    const list = this.waiting.get(piece);
    this.waiting.delete(piece);
    for (const w of list ?? []) w.ok();
  }

  failAll(error: Error): void {
    for (const list of this.waiting.values()) for (const w of list) w.no(error);
    this.waiting.clear();
  }
}

/** Largest chunk pushed at once. */
const CHUNK = 256 * 1024;

/** Bytes per second a reader takes, smoothed (a player reads in bursts). */
class ReaderRate {
  private rate = 0;
  private last = Date.now();
  private bytes = 0;

  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    if (dt < 0.25) return;
    const weight = Math.min(1, dt / 4);
    this.rate = this.rate * (1 - weight) + (this.bytes / dt) * weight;
    this.bytes = 0;
    this.last = now;
  }

  get bytesPerSecond(): number {
    return this.rate;
  }
}

export const createFileStream = (
  source: PieceSource,
  file: number,
  options: FileStreamOptions = {},
): Readable => {
  const extent = source.layout.files[file];
  if (extent === undefined) throw new FanseedError('API_BAD_ARGUMENT', `there is no file ${file}`);
  const start = options.start ?? 0;
  const end = Math.min(options.end ?? extent.length - 1, extent.length - 1);
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(end)) {
    throw new FanseedError('API_BAD_ARGUMENT', `bad byte range ${start}-${end}`);
  }
  const { pieceLength } = source.layout;
  const minAhead = Math.max(1, options.readAhead ?? 4);
  const maxAhead = Math.max(
    minAhead,
    Math.ceil((options.maxReadAhead ?? 64 * 2 ** 20) / pieceLength),
  );
  const seconds = options.readAheadSeconds ?? 10;
  const lastPiece = Math.floor((extent.offset + Math.max(end, start)) / pieceLength);
  const rate = new ReaderRate();
  const reader = {};
  let at = start;
  let shown = '';

  /** Asks for the pieces from `piece` on: as many as the reader takes in `seconds`. */
  const windowFrom = (piece: number): void => {
    const ahead = Math.min(
      maxAhead,
      Math.max(minAhead, Math.ceil((rate.bytesPerSecond * seconds) / pieceLength)),
    );
    const want: number[] = [];
    for (let p = piece; p <= Math.min(lastPiece, piece + ahead - 1); p++)
      if (!source.has(p)) want.push(p);
    const key = want.join(',');
    if (key === shown) return;
    shown = key;
    source.window(reader, want);
  };

  return new Readable({
    highWaterMark: CHUNK,
    read(): void {
      if (at > end) {
        this.push(null);
        return;
      }
      const pos = extent.offset + at;
      const piece = Math.floor(pos / pieceLength);
      const offset = pos - piece * pieceLength;
      const length = Math.min(CHUNK, pieceLength - offset, end - at + 1);
      windowFrom(piece);
      const ready = source.has(piece) ? Promise.resolve() : source.waitFor(piece);
      ready
        .then(() => source.read(piece, offset, length))
        .then(
          (bytes) => {
            at += bytes.length;
            rate.add(bytes.length);
            this.push(bytes);
          },
          (e: unknown) => this.destroy(e as Error),
        );
    },
    destroy(error, callback): void {
      if (shown !== '') source.window(reader, []);
      shown = '';
      callback(error);
    },
  });
};
