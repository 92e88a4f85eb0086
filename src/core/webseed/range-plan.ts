/**
 * Turning block requests into HTTP byte ranges for a web seed (BEP 19): blocks that follow
 * each other in the piece stream are fetched in one run, and a run is cut into one range per
 * file it crosses. Padding (BEP 47) is never fetched: blocks never cover it.
 */
import { type Layout, rangeSpans } from '../geometry/layout.js';
import type { BlockRef } from '../geometry/pieces.js';

/** Bytes [start, end) of one file (a layout file index). */
export interface FileRange {
  readonly file: number;
  readonly start: number;
  readonly end: number;
}

export interface RangeBatch {
  /** The blocks, in stream order: the fetched bytes, concatenated, are these blocks. */
  readonly blocks: readonly BlockRef[];
  readonly ranges: readonly FileRange[];
  readonly bytes: number;
}

const streamOffset = (layout: Layout, ref: BlockRef): number =>
  ref.index * layout.pieceLength + ref.begin;

/**
 * One batch from the pending requests: the oldest pending block, then the blocks that follow
 * it in the stream (and those just before it), up to `maxBytes`. Taken blocks are removed from
 * `pending`.
 */
export const takeBatch = (
  pending: BlockRef[],
  layout: Layout,
  pad: readonly boolean[],
  maxBytes: number,
): RangeBatch | undefined => {
  const first = pending[0];
  if (first === undefined) return undefined;
  const byStart = new Map<number, number>();
  const byEnd = new Map<number, number>();
  pending.forEach((ref, i) => {
    const at = streamOffset(layout, ref);
    byStart.set(at, i);
    byEnd.set(at + ref.length, i);
  });
  const taken = new Set<number>([0]);
  let lo = streamOffset(layout, first);
  let hi = lo + first.length;
  let bytes = first.length;
  for (;;) {
    const next = byStart.get(hi);
    const ref = next === undefined ? undefined : pending[next];
    if (next === undefined || ref === undefined || bytes + ref.length > maxBytes) break;
    taken.add(next);
    hi += ref.length;
    bytes += ref.length;
  }
  for (;;) {
    const prev = byEnd.get(lo);
    const ref = prev === undefined ? undefined : pending[prev];
    if (prev === undefined || ref === undefined || taken.has(prev)) break;
    if (bytes + ref.length > maxBytes) break;
    taken.add(prev);
    lo -= ref.length;
    bytes += ref.length;
  }
  const blocks = [...taken]
    .map((i) => pending[i] as BlockRef)
    .sort((a, b) => streamOffset(layout, a) - streamOffset(layout, b));
  const keep = pending.filter((_, i) => !taken.has(i));
  pending.length = 0;
  pending.push(...keep);
  return { blocks, ranges: fileRanges(blocks, layout, pad), bytes };
};

/** The file ranges holding some blocks, neighbours in one file merged. */
export const fileRanges = (
  blocks: readonly BlockRef[],
  layout: Layout,
  pad: readonly boolean[],
): FileRange[] => {
  const out: FileRange[] = [];
  for (const ref of blocks) {
    for (const span of rangeSpans(layout, ref.index, ref.begin, ref.length)) {
      if (pad[span.file] === true) continue;
      const last = out[out.length - 1];
      if (last !== undefined && last.file === span.file && last.end === span.fileOffset) {
        out[out.length - 1] = { ...last, end: span.fileOffset + span.length };
      } else {
        out.push({ file: span.file, start: span.fileOffset, end: span.fileOffset + span.length });
      }
    }
  }
  return out;
};
