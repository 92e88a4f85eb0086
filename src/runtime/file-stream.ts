/**
 * Reading one file of a torrent as a stream while it downloads: each piece is waited for until
 * it is verified, and the pieces just ahead of the reader are made urgent so they come first.
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
  /** Marks pieces urgent (true) or releases them (false); calls are counted per piece. */
  urgent(pieces: readonly number[], on: boolean): void;
}

export interface FileStreamOptions {
  /** First byte, from 0 (default 0). */
  readonly start?: number;
  /** Last byte, inclusive as in fs.createReadStream (default the file's last byte). */
  readonly end?: number;
  /** Pieces ahead of the reader to make urgent (default 4). */
  readonly readAhead?: number;
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
  const readAhead = Math.max(1, options.readAhead ?? 4);
  const lastPiece = Math.floor((extent.offset + Math.max(end, start)) / pieceLength);
  let at = start;
  let held: number[] = [];

  /** Keeps the pieces from `piece` on, `readAhead` of them, marked urgent. */
  const holdFrom = (piece: number): void => {
    const want: number[] = [];
    for (let p = piece; p <= Math.min(lastPiece, piece + readAhead - 1); p++)
      if (!source.has(p)) want.push(p);
    const keep = new Set(want);
    const drop = held.filter((p) => !keep.has(p));
    const add = want.filter((p) => !held.includes(p));
    if (drop.length > 0) source.urgent(drop, false);
    if (add.length > 0) source.urgent(add, true);
    held = want;
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
      holdFrom(piece);
      const ready = source.has(piece) ? Promise.resolve() : source.waitFor(piece);
      ready
        .then(() => source.read(piece, offset, length))
        .then(
          (bytes) => {
            at += bytes.length;
            this.push(bytes);
          },
          (e: unknown) => this.destroy(e as Error),
        );
    },
    destroy(error, callback): void {
      if (held.length > 0) source.urgent(held, false);
      held = [];
      callback(error);
    },
  });
};
