/**
 * Storage in files below a download folder. Files are created when first written (sparse),
 * written and read with positional I/O (never buffered whole), and kept open in a small
 * least-recently-used set of handles.
 */
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { type Layout, rangeSpans } from '../../core/geometry/layout.js';
import { FanseedError } from '../../lib/errors.js';
import type { Storage } from './storage.js';

export interface DiskStorageOptions {
  /** Most files kept open at once. */
  readonly maxOpenFiles?: number;
}

/** Where each file of a torrent goes: `root/name` for one file, `root/name/path...` for a folder. */
export const filePaths = (
  root: string,
  name: string,
  multiFile: boolean,
  paths: readonly (readonly string[])[],
): string[] => {
  const base = resolve(root);
  return paths.map((path) => {
    const full = resolve(base, ...(multiFile ? [name, ...path] : [name]));
    // Metainfo parsing refuses escaping names already; this is the second lock on the door.
    const rel = relative(base, full);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(base, rel) !== full) {
      throw new FanseedError(
        'META_PATH_ESCAPE',
        `${path.join('/')} would be written outside ${base}`,
      );
    }
    return full;
  });
};

interface OpenFile {
  readonly handle: Promise<FileHandle>;
  busy: number;
}

export class DiskStorage implements Storage {
  /** Open files in least-recently-used order (Map order). */
  private readonly open = new Map<number, OpenFile>();
  private readonly maxOpen: number;
  /** Per file, the end of the writes queued to it (see inTurn). */
  private readonly writing = new Map<number, Promise<void>>();

  /** `paths[i]` is where file i of the layout lives (see filePaths); padding files are skipped. */
  constructor(
    private readonly layout: Layout,
    private readonly paths: readonly string[],
    private readonly pad: readonly boolean[],
    options: DiskStorageOptions = {},
  ) {
    this.maxOpen = options.maxOpenFiles ?? 64;
  }

  /** Where file i of the layout lives. */
  pathOf(file: number): string {
    return this.paths[file] as string;
  }

  async write(piece: number, offset: number, data: Uint8Array): Promise<void> {
    let at = 0;
    for (const span of this.spans(piece, offset, data.length)) {
      const from = at;
      if (!this.pad[span.file]) {
        await this.inTurn(span.file, () =>
          this.withFile(span.file, true, async (handle) => {
            for (let done = 0; done < span.length; ) {
              const { bytesWritten } = await handle.write(
                data,
                from + done,
                span.length - done,
                span.fileOffset + done,
              );
              done += bytesWritten;
            }
          }),
        );
      }
      at += span.length;
    }
  }

  async read(piece: number, offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let at = 0;
    for (const span of this.spans(piece, offset, length)) {
      const into = at;
      if (!this.pad[span.file]) {
        await this.withFile(span.file, false, async (handle) => {
          for (let done = 0; done < span.length; ) {
            const { bytesRead } = await handle.read(
              out,
              into + done,
              span.length - done,
              span.fileOffset + done,
            );
            if (bytesRead === 0) {
              throw new FanseedError(
                'IO_FAILED',
                `${this.paths[span.file]} ends before byte ${span.fileOffset + span.length}`,
              );
            }
            done += bytesRead;
          }
        });
      }
      at += span.length;
    }
    return out;
  }

  async close(): Promise<void> {
    const files = [...this.open.values()];
    this.open.clear();
    await Promise.all(
      files.map((f) =>
        f.handle.then(
          (h) => h.close(),
          () => undefined,
        ),
      ),
    );
  }

  private spans(piece: number, offset: number, length: number) {
    const spans = rangeSpans(this.layout, piece, offset, length);
    if (spans.reduce((n, s) => n + s.length, 0) !== length) {
      throw new FanseedError(
        'IO_FAILED',
        `piece ${piece} bytes ${offset}+${length} lie outside the torrent's data`,
      );
    }
    return spans;
  }

  /**
   * Runs the writes to one file one after the other. The kernel takes a file's lock for each
   * buffered write (ext4's inode lock), so a second write in flight to the same file only spins
   * on it, burning a core: measured at 8% of a download's CPU with libuv's four threads.
   */
  private inTurn(file: number, write: () => Promise<void>): Promise<void> {
    const run = (this.writing.get(file) ?? Promise.resolve()).then(write);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(file, tail);
    void tail.then(() => {
      if (this.writing.get(file) === tail) this.writing.delete(file);
    });
    return run;
  }

  /** Runs `use` with the file open; a file in use is never closed under it. */
  private async withFile<T>(
    file: number,
    forWriting: boolean,
    use: (h: FileHandle) => Promise<T>,
  ): Promise<T> {
    let entry = this.open.get(file);
    if (entry === undefined) {
      entry = { handle: this.openFile(file, forWriting), busy: 0 };
      this.open.set(file, entry);
      this.evict();
    } else {
      this.open.delete(file);
      this.open.set(file, entry);
    }
    entry.busy++;
    try {
      const handle = await entry.handle.catch((e: unknown) => {
        if (this.open.get(file) === entry) this.open.delete(file);
        throw e;
      });
      return await use(handle);
    } finally {
      entry.busy--;
    }
  }

  private evict(): void {
    for (const [file, entry] of this.open) {
      if (this.open.size <= this.maxOpen) return;
      if (entry.busy > 0) continue;
      this.open.delete(file);
      void entry.handle.then(
        (h) => h.close(),
        () => undefined,
      );
    }
  }

  private async openFile(file: number, forWriting: boolean): Promise<FileHandle> {
    const path = this.paths[file] as string;
    try {
      return await open(path, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(path, e);
      if (!forWriting)
        throw new FanseedError('IO_FAILED', `${path} does not exist yet`, { cause: e });
    }
    try {
      await mkdir(dirname(path), { recursive: true });
      return await open(path, 'w+');
    } catch (e) {
      throw ioError(path, e);
    }
  }
}

const ioError = (path: string, e: unknown): FanseedError =>
  new FanseedError('IO_FAILED', `${path}: ${(e as Error).message}`, { cause: e });
