/**
 * HTTP byte ranges (RFC 9110 §14) for one representation of a known size: parsing `Range`,
 * the conditional headers (`If-None-Match`, `If-Modified-Since`, `If-Range`) and the status
 * that follows. Pure: the servers do the I/O.
 */

/** Bytes [start, end] inclusive, as in Content-Range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export type RangeAnswer =
  | { readonly kind: 'full' }
  | ({ readonly kind: 'partial' } & ByteRange)
  | { readonly kind: 'unsatisfiable' };

const SINGLE = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i;
const MAX_DIGITS = 16;

/**
 * What to send for a `Range` header. A header that is not one well-formed byte range (another
 * unit, several ranges, garbage) is ignored, as the RFC allows: the whole body goes out. A
 * range that starts past the end, or ends before it starts, is unsatisfiable (416).
 */
export const parseRange = (header: string | undefined, size: number): RangeAnswer => {
  if (header === undefined || header.length > 200) return { kind: 'full' };
  const m = SINGLE.exec(header);
  if (m === null) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a.length > MAX_DIGITS || b.length > MAX_DIGITS) return { kind: 'unsatisfiable' };
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    // Suffix: the last n bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
};

export interface Validators {
  /** A strong entity tag, quoted. */
  readonly etag: string;
  readonly lastModified?: Date | undefined;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** True when the client's copy is current (answer 304 Not Modified). */
export const notModified = (h: Headers, v: Validators): boolean => {
  const inm = header(h, 'if-none-match');
  if (inm !== undefined) {
    return (
      inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === v.etag)
    );
  }
  const ims = header(h, 'if-modified-since');
  if (ims === undefined || v.lastModified === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && seconds(v.lastModified) <= Math.floor(since / 1000);
};

/** `If-Range`: the range applies only if the validator still matches (else send it all). */
export const rangeStillValid = (h: Headers, v: Validators): boolean => {
  const ir = header(h, 'if-range');
  if (ir === undefined) return true;
  if (ir.trim().startsWith('"')) return ir.trim() === v.etag;
  const at = Date.parse(ir);
  return (
    v.lastModified !== undefined &&
    Number.isFinite(at) &&
    seconds(v.lastModified) === Math.floor(at / 1000)
  );
};

/** The answer to a GET or HEAD of a body of `size` bytes, headers included. */
export interface Plan {
  readonly status: 200 | 206 | 304 | 416;
  readonly headers: Record<string, string>;
  /** Bytes to send, inclusive; undefined for no body. */
  readonly range: ByteRange | undefined;
}

export const planResponse = (
  h: Headers,
  size: number,
  v: Validators,
  contentType: string,
): Plan => {
  const base: Record<string, string> = {
    'accept-ranges': 'bytes',
    etag: v.etag,
    ...(v.lastModified === undefined ? {} : { 'last-modified': v.lastModified.toUTCString() }),
  };
  if (notModified(h, v)) return { status: 304, headers: base, range: undefined };
  const answer = rangeStillValid(h, v)
    ? parseRange(header(h, 'range'), size)
    : { kind: 'full' as const };
  if (answer.kind === 'unsatisfiable')
    return {
      status: 416,
      headers: { ...base, 'content-range': `bytes */${size}`, 'content-length': '0' },
      range: undefined,
    };
  const typed = { ...base, 'content-type': contentType };
  if (answer.kind === 'full')
    return {
      status: 200,
      headers: { ...typed, 'content-length': String(size) },
      range: size === 0 ? undefined : { start: 0, end: size - 1 },
    };
  return {
    status: 206,
    headers: {
      ...typed,
      'content-length': String(answer.end - answer.start + 1),
      'content-range': `bytes ${answer.start}-${answer.end}/${size}`,
    },
    range: { start: answer.start, end: answer.end },
  };
};
