/**
 * A file of one entry per line (the allow-list of info-hashes, the passkeys), read at start and
 * re-read when it changes: fs.watch on its folder (editors and `mv` replace the file, which a
 * watch on the file itself would miss) plus a periodic stat as a fallback where fs.watch is
 * unreliable (network file systems, some containers). Bounded: a file over the size limit is
 * refused. A reload that fails keeps the entries already in force.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { FanseedError } from '../lib/errors.js';

export interface ParsedList<T> {
  readonly entries: T[];
  /** Lines that were not entries (1-based numbers, at most a few kept). */
  readonly badLines: number[];
  readonly badCount: number;
}

/** Splits `text` into entries: "#" starts a comment, blank lines are skipped, the first word
 * of a line is the entry; `parse` gives undefined for a malformed one. */
export const parseLines = <T>(
  text: string,
  parse: (word: string) => T | undefined,
): ParsedList<T> => {
  const entries: T[] = [];
  const badLines: number[] = [];
  let badCount = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/#.*$/, '').trim();
    if (line === '') continue;
    const word = line.split(/\s+/)[0] as string;
    const entry = parse(word);
    if (entry === undefined) {
      badCount++;
      if (badLines.length < 5) badLines.push(i + 1);
    } else entries.push(entry);
  }
  return { entries, badLines, badCount };
};

export interface ListFileOptions<T> {
  readonly path: string;
  /** What the file holds, for messages ("allow-list", "passkeys"). */
  readonly what: string;
  readonly parse: (word: string) => T | undefined;
  readonly apply: (entries: T[]) => void;
  readonly log: (line: string) => void;
  readonly maxBytes: number;
  /** Period of the stat fallback. */
  readonly pollMs: number;
}

interface Stamp {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

const sameStamp = (a: Stamp | undefined, b: Stamp): boolean =>
  a !== undefined && a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;

export class ListFile<T> {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private stamp: Stamp | undefined;
  private reloading: Promise<void> | undefined;
  private closed = false;
  /** Successful loads (for tests and /metrics). */
  loads = 0;

  constructor(private readonly options: ListFileOptions<T>) {}

  /** Reads the file now. Throws TRACKER_LIST_BAD when it cannot be read or is too large. */
  async load(): Promise<ParsedList<T>> {
    const o = this.options;
    let s: Stamp;
    let text: string;
    try {
      s = await stat(o.path);
      if (s.size > o.maxBytes) {
        throw new FanseedError(
          'TRACKER_LIST_BAD',
          `${o.what} file ${o.path} is larger than ${o.maxBytes} bytes`,
        );
      }
      text = await readFile(o.path, 'utf8');
    } catch (e) {
      if (e instanceof FanseedError) throw e;
      throw new FanseedError(
        'TRACKER_LIST_BAD',
        `cannot read the ${o.what} file ${o.path}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const parsed = parseLines(text, o.parse);
    this.stamp = { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
    o.apply(parsed.entries);
    this.loads++;
    const bad =
      parsed.badCount === 0
        ? ''
        : `; skipped ${parsed.badCount} malformed line(s): ${parsed.badLines.join(', ')}${parsed.badCount > parsed.badLines.length ? ', ...' : ''}`;
    o.log(`${o.what}: ${parsed.entries.length} entries from ${o.path}${bad}`);
    return parsed;
  }

  /** Starts watching for changes (after a successful load). */
  watch(): void {
    const o = this.options;
    try {
      this.watcher = watch(dirname(o.path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(o.path)) this.soon();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // fs.watch is unavailable here: the periodic stat alone notices changes.
    }
    this.poll = setInterval(() => void this.checkStamp(), o.pollMs);
    this.poll.unref();
  }

  private soon(): void {
    if (this.closed) return;
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.checkStamp();
    }, 50);
    this.debounce.unref();
  }

  private async checkStamp(): Promise<void> {
    if (this.closed || this.reloading !== undefined) return;
    try {
      const s = await stat(this.options.path);
      if (sameStamp(this.stamp, s)) return;
    } catch {
      return; // Gone for now (being replaced): keep the entries in force.
    }
    await this.reload();
  }

  /** Re-reads the file; a failure is logged and the previous entries stay in force. */
  reload(): Promise<void> {
    this.reloading ??= this.load()
      .then(
        () => undefined,
        (e: unknown) =>
          this.options.log(`${(e as Error).message}; keeping the previous ${this.options.what}`),
      )
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.poll !== undefined) clearInterval(this.poll);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
  }
}
