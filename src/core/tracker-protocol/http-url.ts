/**
 * Client side of the HTTP tracker protocol: announce URLs (BEP 3, 7, 23) and scrape URLs
 * (BEP 48) built from the tracker URL of the metainfo, which may carry its own query (a private
 * tracker's passkey) that must be kept.
 */
import type { ErrorValue } from '../../lib/errors.js';
import type { InfoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { formatIp, type IpAddress } from './address.js';
import { percentEncode, percentEncodeText } from './query.js';
import { attempt, refuse } from './refusal.js';
import { type AnnounceEvent, INFO_HASH_BYTES, PEER_ID_BYTES } from './types.js';

/** What a client tells the tracker in an announce. */
export interface AnnounceParams {
  readonly infoHash: InfoHashV1;
  /** 20 bytes (BEP 20 conventions are the caller's business). */
  readonly peerId: Uint8Array;
  /** 1..65535. */
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  /** Default "none": no event parameter. */
  readonly event?: AnnounceEvent | undefined;
  /** Default true (BEP 23); false sends compact=0. */
  readonly compact?: boolean | undefined;
  /** no_peer_id=1: peer ids left out of a non-compact response. */
  readonly noPeerId?: boolean | undefined;
  readonly numwant?: number | undefined;
  /** The client's secret key, text (clients send 8 hex digits). */
  readonly key?: string | undefined;
  /** Echo of the "tracker id" of an earlier response (BEP 3). */
  readonly trackerId?: Uint8Array | undefined;
  /** Address to announce instead of the one the tracker sees; trackers usually ignore it. */
  readonly ip?: IpAddress | undefined;
}

const HTTP_URL = /^https?:\/\/[^/?#]+/i;

function badRequest(message: string): never {
  return refuse('TRACKER_BAD_REQUEST', message);
}

const counter = (name: string, value: number): string => {
  if (!Number.isSafeInteger(value) || value < 0) {
    badRequest(`${name} must be a non-negative integer, not ${value}`);
  }
  return `${name}=${value}`;
};

/** The URL without its fragment (never sent to a server), ready for more parameters. */
const withQuerySeparator = (url: string): string => {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  if (!base.includes('?')) return `${base}?`;
  return base.endsWith('?') || base.endsWith('&') ? base : `${base}&`;
};

/** Bytes of a binary field as %XX escapes; refuses the wrong length. */
const binary = (name: string, bytes: Uint8Array, length: number): string => {
  if (bytes.length !== length) badRequest(`${name} must be ${length} bytes, not ${bytes.length}`);
  return `${name}=${percentEncode(bytes)}`;
};

/**
 * The announce URL for `announceUrl` (http or https, any query kept) and `params`. Binary
 * values are percent-encoded byte by byte; unreserved characters stay as they are (BEP 3).
 */
export const buildAnnounceUrl = (
  announceUrl: string,
  params: AnnounceParams,
): Result<string, ErrorValue> =>
  attempt(() => {
    if (!HTTP_URL.test(announceUrl)) badRequest(`not an http(s) tracker URL: ${announceUrl}`);
    const { port } = params;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      badRequest(`port must be 1..65535, not ${port}`);
    }
    const parts = [
      binary('info_hash', params.infoHash, INFO_HASH_BYTES),
      binary('peer_id', params.peerId, PEER_ID_BYTES),
      `port=${port}`,
      counter('uploaded', params.uploaded),
      counter('downloaded', params.downloaded),
      counter('left', params.left),
    ];
    const event = params.event ?? 'none';
    if (event !== 'none') parts.push(`event=${event}`);
    parts.push(`compact=${params.compact === false ? 0 : 1}`);
    if (params.noPeerId === true) parts.push('no_peer_id=1');
    if (params.numwant !== undefined) parts.push(counter('numwant', params.numwant));
    if (params.key !== undefined) parts.push(`key=${percentEncodeText(params.key)}`);
    if (params.trackerId !== undefined) {
      parts.push(`trackerid=${percentEncode(params.trackerId)}`);
    }
    if (params.ip !== undefined) parts.push(`ip=${percentEncodeText(formatIp(params.ip))}`);
    return withQuerySeparator(announceUrl) + parts.join('&');
  });

/**
 * The scrape URL of an HTTP announce URL by the BEP 48 convention: the last path segment must
 * start with "announce", which becomes "scrape" ("/x/announce.php?passkey=1" gives
 * "/x/scrape.php?passkey=1"). Undefined when the tracker has no scrape by that convention.
 * Only the path is looked at, so a host named "announce.example" is not mistaken for one.
 */
export const scrapeUrlFor = (announceUrl: string): string | undefined => {
  const origin = HTTP_URL.exec(announceUrl);
  if (origin === null) return undefined;
  const rest = announceUrl.slice(origin[0].length);
  const queryAt = rest.search(/[?#]/);
  const path = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const slash = path.lastIndexOf('/');
  if (slash < 0 || !path.startsWith('announce', slash + 1)) return undefined;
  const scrapePath = `${path.slice(0, slash + 1)}scrape${path.slice(slash + 1 + 'announce'.length)}`;
  return origin[0] + scrapePath + (queryAt < 0 ? '' : rest.slice(queryAt));
};

/** A scrape URL asking for several torrents at once: one info_hash parameter each (BEP 48). */
export const buildScrapeUrl = (scrapeUrl: string, infoHashes: readonly InfoHashV1[]): string =>
  withQuerySeparator(scrapeUrl) + infoHashes.map((h) => `info_hash=${percentEncode(h)}`).join('&');
