/**
 * HTTP scrape responses (BEP 48), both directions: a "files" dictionary keyed by the 20-byte
 * info-hash, each with complete (seeders), downloaded (completed downloads, ever) and
 * incomplete (leechers), and an optional "flags" dictionary with min_request_interval.
 */
import { binaryToBytes, bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { encode } from '../bencode/encode.js';
import { type BEncodable, isDict } from '../bencode/types.js';
import { attempt } from './refusal.js';
import {
  badResponse,
  countField,
  DEFAULT_HTTP_RESPONSE_LIMITS,
  type HttpResponseLimits,
  readResponseDict,
} from './response-body.js';

export interface ScrapeFile {
  readonly infoHash: InfoHashV1;
  /** Seeders. */
  readonly complete: number;
  /** Downloads ever completed. */
  readonly downloaded: number;
  /** Leechers. */
  readonly incomplete: number;
}

export interface ScrapeResponse {
  /** In info-hash byte order (the order of a canonical dictionary). */
  readonly files: readonly ScrapeFile[];
  /** BEP 48 flags.min_request_interval: seconds a client should wait between scrapes. */
  readonly minRequestInterval?: number | undefined;
}

/**
 * Parses a scrape response body. Keys that are not 20 bytes are skipped (they cannot be a
 * torrent this client asked about); a count absent from an entry reads as 0; a count of the
 * wrong type fails the whole response with TRACKER_BAD_RESPONSE.
 */
export const parseScrapeResponse = (
  body: Uint8Array,
  limits?: Partial<HttpResponseLimits>,
): Result<ScrapeResponse, ErrorValue> =>
  attempt(() => {
    const l = { ...DEFAULT_HTTP_RESPONSE_LIMITS, ...limits };
    const top = readResponseDict(body, l);
    const files = top.get('files');
    if (!isDict(files)) return badResponse('files is missing or not a dictionary');
    if (files.size > l.maxFiles)
      badResponse(`${files.size} files is more than the limit of ${l.maxFiles}`);
    const out: ScrapeFile[] = [];
    for (const [key, entry] of files) {
      const infoHash = infoHashV1(binaryToBytes(key));
      if (infoHash === undefined) continue;
      if (!isDict(entry)) return badResponse('a files entry is not a dictionary');
      out.push({
        infoHash,
        complete: countField(entry, 'complete') ?? 0,
        downloaded: countField(entry, 'downloaded') ?? 0,
        incomplete: countField(entry, 'incomplete') ?? 0,
      });
    }
    const flags = top.get('flags');
    const interval = isDict(flags) ? countField(flags, 'min_request_interval') : undefined;
    return interval === undefined ? { files: out } : { files: out, minRequestInterval: interval };
  });

/** Encodes a scrape response; a torrent listed twice appears once (the last entry wins). */
export const encodeScrapeResponse = (response: ScrapeResponse): Result<Uint8Array, ErrorValue> => {
  const files = new Map<string, BEncodable>();
  for (const f of response.files) {
    files.set(bytesToBinary(f.infoHash), {
      complete: f.complete,
      downloaded: f.downloaded,
      incomplete: f.incomplete,
    });
  }
  const flags =
    response.minRequestInterval === undefined
      ? undefined
      : { min_request_interval: response.minRequestInterval };
  return encode({ files, flags });
};
