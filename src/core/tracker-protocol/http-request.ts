/**
 * Server side of HTTP announce and scrape requests (BEP 3, 7, 23, 48): a query string in, a
 * typed request out, or TRACKER_BAD_REQUEST with a message fit to send back as the BEP 3
 * "failure reason". Bounded: the query length, the number of parameters, each value's size and
 * the number of scraped hashes all have limits.
 */
import { binaryToBytes, bytesToBinary, decodeUtf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { type IpAddress, parseIp } from './address.js';
import { percentDecode, type QueryParam, splitQuery } from './query.js';
import { attempt, refuse } from './refusal.js';
import { type AnnounceEvent, INFO_HASH_BYTES, PEER_ID_BYTES } from './types.js';

/** An announce as the tracker reads it. */
export interface AnnounceRequest {
  readonly infoHash: InfoHashV1;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event: AnnounceEvent;
  /** True unless the client sent compact=0 (BEP 23 lets trackers answer compactly anyway). */
  readonly compact: boolean;
  readonly noPeerId: boolean;
  /** What the client asked for, or the default, capped at the limit. */
  readonly numwant: number;
  /** As sent: clients (aria2) send random bytes, not text (BEP 3 says nothing of its form). */
  readonly key?: Uint8Array;
  readonly trackerId?: Uint8Array;
  /** The "ip" parameter, only when the limits trust it; otherwise never read. */
  readonly ip?: IpAddress;
}

export interface HttpRequestLimits {
  /** Longest query string, in characters. */
  readonly maxQueryLength: number;
  /** Most parameters in one query. */
  readonly maxParams: number;
  /** Longest decoded value of a parameter this parser reads (key, trackerid, ...). */
  readonly maxValueBytes: number;
  /** numwant when the client sends none (BEP 3 suggests 50). */
  readonly defaultNumwant: number;
  /** numwant above this is lowered to it. */
  readonly maxNumwant: number;
  /** Read the "ip" parameter. Off by default: it lets anyone announce someone else. */
  readonly trustIp: boolean;
  /** Most info_hash parameters in one scrape. */
  readonly maxScrapeHashes: number;
}

export const DEFAULT_HTTP_REQUEST_LIMITS: HttpRequestLimits = {
  maxQueryLength: 8192,
  maxParams: 128,
  maxValueBytes: 256,
  defaultNumwant: 50,
  maxNumwant: 200,
  trustIp: false,
  maxScrapeHashes: 64,
};

/** Parameters read by the announce parser; each may appear once. Others are ignored. */
const ANNOUNCE_PARAMS = new Set([
  'info_hash',
  'peer_id',
  'port',
  'uploaded',
  'downloaded',
  'left',
  'event',
  'compact',
  'no_peer_id',
  'numwant',
  'key',
  'trackerid',
  'ip',
]);

const EVENTS: ReadonlyMap<string, AnnounceEvent> = new Map([
  ['', 'none'],
  ['started', 'started'],
  ['completed', 'completed'],
  ['stopped', 'stopped'],
  ['paused', 'paused'],
]);

function bad(message: string): never {
  return refuse('TRACKER_BAD_REQUEST', message);
}

const splitBounded = (query: string, limits: HttpRequestLimits): QueryParam[] => {
  if (query.length > limits.maxQueryLength) {
    bad(`request longer than ${limits.maxQueryLength} characters`);
  }
  const split = splitQuery(query, limits.maxParams);
  if (!split.ok) return refuse(split.error.code, split.error.message);
  return split.value;
};

/** A value that is plain ASCII without "%" decodes to itself: kept as the string (most
 * values of an announce are numbers and words; decoding them to bytes and back is waste). */
type Value = Uint8Array | string;

const isPlainAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 || c > 0x7f) return false;
  }
  return true;
};

const decodeValue = (name: string, raw: string, limits: HttpRequestLimits): Value => {
  if (isPlainAscii(raw)) {
    if (raw.length > limits.maxValueBytes) bad(`${name} is too long`);
    return raw;
  }
  const bytes = percentDecode(raw);
  if (bytes === undefined) return bad(`invalid percent-encoding in ${name}`);
  if (bytes.length > limits.maxValueBytes) bad(`${name} is too long`);
  return bytes;
};

const asBytes = (v: Value): Uint8Array => (typeof v === 'string' ? binaryToBytes(v) : v);

/** Known parameters by name, decoded; a repeated one is refused. */
const collect = (params: readonly QueryParam[], limits: HttpRequestLimits) => {
  const values = new Map<string, Value>();
  for (const { name, rawValue } of params) {
    if (!ANNOUNCE_PARAMS.has(name)) continue;
    if (values.has(name)) bad(`duplicate parameter ${name}`);
    values.set(name, decodeValue(name, rawValue, limits));
  }
  const text = (name: string): string | undefined => {
    const v = values.get(name);
    if (v === undefined || typeof v === 'string') return v;
    const t = decodeUtf8(v);
    return t ?? bad(`${name} is not valid UTF-8`);
  };
  const bytes = (name: string): Uint8Array | undefined => {
    const v = values.get(name);
    return v === undefined ? undefined : asBytes(v);
  };
  const required = (name: string): Uint8Array => bytes(name) ?? bad(`missing ${name}`);
  return { bytes, text, required };
};

/** Decimal digits only: no sign, no point, no exponent, at most a safe integer. */
const nonNegative = (name: string, text: string): number => {
  if (!/^\d{1,16}$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) {
    bad(`${name} must be a non-negative integer`);
  }
  return Number(text);
};

const portOf = (text: string | undefined): number => {
  if (text === undefined) return bad('missing port');
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (port < 1 || port > 65535) bad('port must be an integer from 1 to 65535');
  return port;
};

const flag = (name: string, text: string | undefined, absent: boolean): boolean => {
  if (text === undefined) return absent;
  if (text === '0' || text === '1') return text === '1';
  return bad(`${name} must be 0 or 1`);
};

const exactBytes = (name: string, bytes: Uint8Array, length: number): Uint8Array => {
  if (bytes.length !== length) bad(`${name} must be ${length} bytes, not ${bytes.length}`);
  return bytes;
};

const infoHashOf = (bytes: Uint8Array): InfoHashV1 =>
  infoHashV1(bytes) ?? bad(`info_hash must be ${INFO_HASH_BYTES} bytes, not ${bytes.length}`);

/** Parses an announce query string ("info_hash=...&peer_id=...", "?" optional). */
export const parseAnnounceQuery = (
  query: string,
  limits?: Partial<HttpRequestLimits>,
): Result<AnnounceRequest, ErrorValue> =>
  attempt(() => {
    const l = { ...DEFAULT_HTTP_REQUEST_LIMITS, ...limits };
    const { bytes, text, required } = collect(splitBounded(query, l), l);
    const infoHash = infoHashOf(required('info_hash'));
    const peerId = exactBytes('peer_id', required('peer_id'), PEER_ID_BYTES);
    const number = (name: string): number =>
      nonNegative(name, text(name) ?? bad(`missing ${name}`));
    const port = portOf(text('port'));
    const event =
      EVENTS.get(text('event') ?? '') ??
      bad('event must be started, completed, stopped, paused or empty');
    const numwantText = text('numwant');
    const numwant =
      numwantText === undefined ? l.defaultNumwant : nonNegative('numwant', numwantText);
    const request: AnnounceRequest = {
      infoHash,
      peerId,
      port,
      uploaded: number('uploaded'),
      downloaded: number('downloaded'),
      left: number('left'),
      event,
      compact: flag('compact', text('compact'), true),
      noPeerId: flag('no_peer_id', text('no_peer_id'), false),
      numwant: Math.min(numwant, l.maxNumwant),
    };
    const key = bytes('key');
    const trackerId = bytes('trackerid');
    const ipText = l.trustIp ? text('ip') : undefined;
    const ip =
      ipText === undefined ? undefined : (parseIp(ipText) ?? bad('ip is not an IP address'));
    return {
      ...request,
      ...(key === undefined ? {} : { key }),
      ...(trackerId === undefined ? {} : { trackerId }),
      ...(ip === undefined ? {} : { ip }),
    };
  });

export interface ScrapeRequest {
  /** In the order asked, without repeats. Empty asks for every torrent (BEP 48), which a
   * tracker may refuse. */
  readonly infoHashes: readonly InfoHashV1[];
}

/** Parses a scrape query string: any number (up to the limit) of info_hash parameters. */
export const parseScrapeQuery = (
  query: string,
  limits?: Partial<HttpRequestLimits>,
): Result<ScrapeRequest, ErrorValue> =>
  attempt(() => {
    const l = { ...DEFAULT_HTTP_REQUEST_LIMITS, ...limits };
    const infoHashes: InfoHashV1[] = [];
    const seen = new Set<string>();
    let count = 0;
    for (const { name, rawValue } of splitBounded(query, l)) {
      if (name !== 'info_hash') continue;
      if (++count > l.maxScrapeHashes) bad(`more than ${l.maxScrapeHashes} info_hash parameters`);
      const hash = infoHashOf(asBytes(decodeValue(name, rawValue, l)));
      const id = bytesToBinary(hash);
      if (seen.has(id)) continue;
      seen.add(id);
      infoHashes.push(hash);
    }
    return { infoHashes };
  });
