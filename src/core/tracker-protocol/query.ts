/**
 * Percent-encoding of raw bytes for tracker URLs (BEP 3: info_hash and peer_id are 20 binary
 * bytes, every byte outside the RFC 3986 unreserved set written as %XX) and a bounded splitter
 * of query strings.
 */
import { bytesToBinary, utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';

const HEX = '0123456789ABCDEF';

/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

/** Every byte but the unreserved ones as %XX (upper-case hex, RFC 3986 §2.1). */
export const percentEncode = (bytes: Uint8Array): string => {
  let out = '';
  for (const b of bytes) {
    out += UNRESERVED[b] === 1 ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
};

/** Text as its UTF-8 bytes, percent-encoded. */
export const percentEncodeText = (text: string): string => percentEncode(utf8(text));

const hexValue = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
};

/**
 * Strict percent-decoding to bytes: "%" must be followed by two hex digits. Other characters
 * stand for their own code as one byte (the query as the runtime reads it, one char per byte);
 * a char above 0xff cannot be a byte and is refused. "+" is a literal "+", not a space: BEP 3
 * escapes binary values per RFC 3986, not as an HTML form. Undefined when malformed.
 */
export const percentDecode = (text: string): Uint8Array | undefined => {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x25) i += 2;
    length++;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      out[at++] = (hi << 4) | lo;
      i += 2;
    } else {
      if (c > 0xff) return undefined;
      out[at++] = c;
    }
  }
  return out;
};

/** One name=value pair of a query string; the value is still percent-encoded. */
export interface QueryParam {
  /** The percent-decoded name as a binary string (one char per byte). */
  readonly name: string;
  readonly rawValue: string;
}

/** A name without "%" and without chars above 0xff is its own decoding (the common case:
 * "info_hash", "peer_id", ... are checked on every announce). */
const isPlain = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 || c > 0xff) return false;
  }
  return true;
};

const decodeName = (text: string): string | undefined => {
  const bytes = percentDecode(text);
  return bytes === undefined ? undefined : bytesToBinary(bytes);
};

const badRequest = (message: string): Result<never, ErrorValue> =>
  err({ code: 'TRACKER_BAD_REQUEST', message });

/**
 * Splits a query string ("a=1&b=2", with or without its leading "?") into its parameters, in
 * order, skipping empty segments. Refuses (TRACKER_BAD_REQUEST) more than `maxParams` of them
 * and names that are malformed percent-encoding.
 */
export const splitQuery = (query: string, maxParams: number): Result<QueryParam[], ErrorValue> => {
  const text = query.startsWith('?') ? query.slice(1) : query;
  const params: QueryParam[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      if (params.length >= maxParams) return badRequest(`more than ${maxParams} parameters`);
      const segment = text.slice(start, end);
      const eq = segment.indexOf('=');
      const rawName = eq < 0 ? segment : segment.slice(0, eq);
      const name = isPlain(rawName) ? rawName : decodeName(rawName);
      if (name === undefined) return badRequest('invalid percent-encoding in a parameter name');
      params.push({ name, rawValue: eq < 0 ? '' : segment.slice(eq + 1) });
    }
    start = end + 1;
  }
  return ok(params);
};
