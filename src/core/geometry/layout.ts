/**
 * How pieces map onto files. Two layouts exist:
 * - contiguous (v1, BEP 3): files follow each other and pieces cross file boundaries;
 * - aligned (v2 and hybrid, BEP 52/47): every file starts on a piece boundary, so each piece
 *   lies within one file; the gap to the next boundary is zeros (a padding file in v1 terms).
 */
export interface FileExtent {
  readonly length: number;
  /** Start in the piece stream (padding included). */
  readonly offset: number;
}

export interface Layout {
  readonly kind: 'contiguous' | 'aligned';
  readonly pieceLength: number;
  readonly files: readonly FileExtent[];
  readonly pieceCount: number;
  /** Length of the whole piece stream, padding included. */
  readonly streamLength: number;
}

export interface Span {
  readonly file: number;
  readonly fileOffset: number;
  readonly length: number;
}

export interface PieceSpans {
  readonly spans: readonly Span[];
  /** Bytes of file data in the piece. */
  readonly dataLength: number;
  /** Zero bytes after the data inside the piece (padding), aligned layout only. */
  readonly zeroPad: number;
}

export const contiguousLayout = (lengths: readonly number[], pieceLength: number): Layout => {
  let offset = 0;
  const files = lengths.map((length) => {
    const f = { length, offset };
    offset += length;
    return f;
  });
  return {
    kind: 'contiguous',
    pieceLength,
    files,
    pieceCount: Math.ceil(offset / pieceLength),
    streamLength: offset,
  };
};

/**
 * Aligned layout. `padLast` pads the last file to a whole piece as well (libtorrent does; it
 * changes the last v1 piece hash, never the v2 hashes).
 */
export const alignedLayout = (
  lengths: readonly number[],
  pieceLength: number,
  padLast = false,
): Layout => {
  let offset = 0;
  let lastDataEnd = 0;
  const files = lengths.map((length) => {
    const f = { length, offset };
    if (length > 0) lastDataEnd = offset + length;
    offset += Math.ceil(length / pieceLength) * pieceLength;
    return f;
  });
  const streamLength = padLast ? offset : lastDataEnd;
  return {
    kind: 'aligned',
    pieceLength,
    files,
    pieceCount: Math.ceil(streamLength / pieceLength),
    streamLength,
  };
};

/** Index of the last file whose offset is ≤ `at` and which has data there. */
const fileAt = (files: readonly FileExtent[], at: number): number => {
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((files[mid] as FileExtent).offset <= at) lo = mid;
    else hi = mid - 1;
  }
  // Skip empty files sitting at the same offset.
  while (
    lo < files.length - 1 &&
    (files[lo] as FileExtent).offset + (files[lo] as FileExtent).length <= at
  )
    lo++;
  return lo;
};

/** The file ranges that make up piece `index`. */
export const pieceSpans = (layout: Layout, index: number): PieceSpans => {
  const start = index * layout.pieceLength;
  const end = Math.min(start + layout.pieceLength, layout.streamLength);
  const spans: Span[] = [];
  let at = start;
  let file = fileAt(layout.files, at);
  while (at < end && file < layout.files.length) {
    const f = layout.files[file] as FileExtent;
    const fileEnd = f.offset + f.length;
    if (fileEnd > at && f.offset <= at) {
      const length = Math.min(fileEnd, end) - at;
      spans.push({ file, fileOffset: at - f.offset, length });
      at += length;
    }
    if (layout.kind === 'aligned') break; // a piece never crosses files here
    file++;
  }
  const dataLength = spans.reduce((n, s) => n + s.length, 0);
  return { spans, dataLength, zeroPad: end - start - dataLength };
};

/** The file ranges that hold bytes [offset, offset + length) of piece `index` (no padding). */
export const rangeSpans = (
  layout: Layout,
  index: number,
  offset: number,
  length: number,
): Span[] => {
  const out: Span[] = [];
  let skip = offset;
  let want = length;
  for (const span of pieceSpans(layout, index).spans) {
    if (want === 0) break;
    if (skip >= span.length) {
      skip -= span.length;
      continue;
    }
    const take = Math.min(span.length - skip, want);
    out.push({ file: span.file, fileOffset: span.fileOffset + skip, length: take });
    want -= take;
    skip = 0;
  }
  return out;
};

/** First piece of each file and how many pieces it touches. */
export const filePieceRange = (layout: Layout, file: number): { first: number; count: number } => {
  const f = layout.files[file] as FileExtent;
  if (f.length === 0) return { first: Math.floor(f.offset / layout.pieceLength), count: 0 };
  const first = Math.floor(f.offset / layout.pieceLength);
  const last = Math.floor((f.offset + f.length - 1) / layout.pieceLength);
  return { first, count: last - first + 1 };
};
