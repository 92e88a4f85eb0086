/** Storage in memory, for tests and the simulator. Same contract as the disk storage. */
import { type Layout, rangeSpans } from '../../core/geometry/layout.js';
import { FanseedError } from '../../lib/errors.js';
import type { Storage } from './storage.js';

export class MemoryStorage implements Storage {
  private readonly files: Array<Uint8Array | undefined>;
  private readonly written: Array<Uint8Array | undefined>;

  /** `pad[i]` marks layout file i as BEP 47 padding: zeros, never stored. */
  constructor(
    private readonly layout: Layout,
    private readonly pad: readonly boolean[] = [],
  ) {
    this.files = layout.files.map(() => undefined);
    this.written = layout.files.map(() => undefined);
  }

  async write(piece: number, offset: number, data: Uint8Array): Promise<void> {
    let at = 0;
    for (const span of this.spans(piece, offset, data.length)) {
      if (this.pad[span.file]) {
        at += span.length;
        continue;
      }
      const file = this.file(span.file);
      file.set(data.subarray(at, at + span.length), span.fileOffset);
      (this.written[span.file] as Uint8Array).fill(
        1,
        span.fileOffset,
        span.fileOffset + span.length,
      );
      at += span.length;
    }
  }

  async read(piece: number, offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let at = 0;
    for (const span of this.spans(piece, offset, length)) {
      if (this.pad[span.file]) {
        at += span.length;
        continue;
      }
      const marks = this.written[span.file];
      if (
        marks === undefined ||
        marks.subarray(span.fileOffset, span.fileOffset + span.length).includes(0)
      ) {
        throw new FanseedError(
          'IO_FAILED',
          `piece ${piece} bytes ${offset}+${length} were never written`,
        );
      }
      out.set(
        (this.files[span.file] as Uint8Array).subarray(
          span.fileOffset,
          span.fileOffset + span.length,
        ),
        at,
      );
      at += span.length;
    }
    return out;
  }

  async close(): Promise<void> {}

  private spans(piece: number, offset: number, length: number) {
    const spans = rangeSpans(this.layout, piece, offset, length);
    const covered = spans.reduce((n, s) => n + s.length, 0);
    if (covered !== length) {
      throw new FanseedError(
        'IO_FAILED',
        `piece ${piece} bytes ${offset}+${length} lie outside the torrent's data`,
      );
    }
    return spans;
  }

  private file(index: number): Uint8Array {
    let f = this.files[index];
    if (f === undefined) {
      const length = this.layout.files[index]?.length ?? 0;
      f = new Uint8Array(length);
      this.files[index] = f;
      this.written[index] = new Uint8Array(length);
    }
    return f;
  }
}
