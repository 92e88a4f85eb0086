/**
 * The read-ahead windows of a torrent's open read streams, turned into piece priorities and
 * deadlines for the swarm: every window's pieces are urgent, and they are asked for in deadline
 * order, the nth piece of each window before the n+1th of any (see file-stream.ts).
 */
import { DEFAULT_PRIORITY } from '../core/picker/piece-picker.js';
import { MAX_PRIORITY } from '../core/picker/rarity-index.js';
import type { Swarm } from '../core/torrent/swarm.js';
import type { Bitfield } from '../lib/bitfield.js';

export class StreamWindows {
  private readonly readers = new Map<object, readonly number[]>();
  /** Pieces in some window: MAX_PRIORITY while there. */
  private urgent = new Set<number>();
  /** Readers that have had a window: one that comes back (its window emptied a while) is no
   * new reader. */
  private readonly seen = new WeakSet<object>();
  /** A reader appeared since the last apply (a stream opened: a start or a seek). */
  private started = false;

  /** A reader's window, soonest first; an empty one lets its pieces go. */
  set(reader: object, pieces: readonly number[]): void {
    if (pieces.length === 0) {
      this.readers.delete(reader);
      return;
    }
    if (!this.readers.has(reader) && !this.seen.has(reader)) this.started = true;
    this.seen.add(reader);
    this.readers.set(reader, pieces);
  }

  /** The pieces to ask for first, most urgent first. */
  deadlines(): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    const windows = [...this.readers.values()];
    const longest = Math.max(0, ...windows.map((w) => w.length));
    for (let rank = 0; rank < longest; rank++) {
      for (const w of windows) {
        const piece = w[rank];
        if (piece === undefined || seen.has(piece)) continue;
        seen.add(piece);
        out.push(piece);
      }
    }
    return out;
  }

  /** Sets priorities and deadlines on the swarm (once it exists; call again then). Pieces that
   * left every window go back to their file's priority (`wanted`: selected for download). */
  apply(swarm: Swarm | undefined, wanted: Bitfield): void {
    const deadlines = this.deadlines();
    const now = new Set(deadlines);
    if (swarm === undefined) {
      this.urgent = now;
      return;
    }
    const changes: Array<readonly [number, number]> = [];
    for (const piece of this.urgent)
      if (!now.has(piece)) changes.push([piece, wanted.has(piece) ? DEFAULT_PRIORITY : 0]);
    for (const piece of now) changes.push([piece, MAX_PRIORITY]);
    swarm.setPriorities(changes);
    this.urgent = now;
    swarm.setDeadlines(deadlines, this.started);
    this.started = false;
  }
}
