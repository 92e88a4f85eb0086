/**
 * Reading bencoded tracker responses (BEP 3, 48): the body must be one dictionary, a "failure
 * reason" becomes TRACKER_FAILURE, and every field read has its type checked. Internal to this
 * folder; the decoders using it catch its refusals with `attempt`.
 */
import { decodePrefix } from '../bencode/decode.js';
import { type BDict, type BValue, isBytes, isDict } from '../bencode/types.js';
import { refuse } from './refusal.js';
import { DEFAULT_MAX_PEERS } from './types.js';

export interface HttpResponseLimits {
  /** Largest response body accepted, in bytes. */
  readonly maxBytes: number;
  /** Most peers (peers and peers6 together) in an announce response. */
  readonly maxPeers: number;
  /** Most torrents in a scrape response. */
  readonly maxFiles: number;
}

export const DEFAULT_HTTP_RESPONSE_LIMITS: HttpResponseLimits = {
  maxBytes: 2 * 1024 * 1024,
  maxPeers: DEFAULT_MAX_PEERS,
  maxFiles: 10_000,
};

/** Deep enough for response -> peers -> peer and response -> files -> file -> field. */
const MAX_DEPTH = 8;

/** Tracker texts (reasons, warnings) are shown, not trusted: bad UTF-8 becomes U+FFFD. */
const lenientUtf8 = new TextDecoder('utf-8');

export const lenientText = (bytes: Uint8Array): string => lenientUtf8.decode(bytes);

export function badResponse(message: string): never {
  return refuse('TRACKER_BAD_RESPONSE', message);
}

const isWhitespace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * The top-level dictionary of a response. Trailing whitespace is tolerated (some trackers end
 * the body with a newline); anything else after the value is not. A "failure reason" ends the
 * parse as TRACKER_FAILURE with the tracker's text as the message.
 */
export const readResponseDict = (body: Uint8Array, limits: HttpResponseLimits): BDict => {
  if (body.length > limits.maxBytes) badResponse(`response larger than ${limits.maxBytes} bytes`);
  // Some trackers do not sort their keys; nothing here is hashed, so order is not enforced.
  const r = decodePrefix(body, 0, {
    maxInput: limits.maxBytes,
    maxDepth: MAX_DEPTH,
    requireSortedKeys: false,
  });
  if (!r.ok) return badResponse(`response is not valid bencode: ${r.error.message}`);
  for (let i = r.value.end; i < body.length; i++) {
    if (!isWhitespace(body[i] as number)) badResponse(`data after the response at byte ${i}`);
  }
  const top = r.value.value;
  if (!isDict(top)) return badResponse('response is not a dictionary');
  const reason = top.get('failure reason');
  if (reason !== undefined) {
    refuse('TRACKER_FAILURE', isBytes(reason) ? lenientText(reason) : 'failure without a reason');
  }
  return top;
};

/** A count or interval: absent, or a non-negative safe integer. */
export const countField = (dict: BDict, key: string): number | undefined => {
  const v: BValue | undefined = dict.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || v < 0) return badResponse(`${key} is not a non-negative integer`);
  return v;
};

export const bytesField = (dict: BDict, key: string): Uint8Array | undefined => {
  const v = dict.get(key);
  if (v === undefined || isBytes(v)) return v;
  return badResponse(`${key} is not a string`);
};
