/**
 * HTTP announce responses (BEP 3, 7, 23, 24, 31), both directions: the client parses them, the
 * tracker encodes them. Peers come compact (BEP 23 "peers" string, BEP 7 "peers6" string) or as
 * a list of dictionaries (BEP 3), and are bounded in number.
 */
import { bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import { encode } from '../bencode/encode.js';
import {
  type BDict,
  type BEncodable,
  type BList,
  isBytes,
  isDict,
  isList,
} from '../bencode/types.js';
import { formatIp, type IpAddress, ipFromBytes, parseIp } from './address.js';
import { decodeCompactPeers, encodeCompactPeers } from './compact.js';
import { attempt } from './refusal.js';
import {
  badResponse,
  bytesField,
  countField,
  DEFAULT_HTTP_RESPONSE_LIMITS,
  type HttpResponseLimits,
  lenientText,
  readResponseDict,
} from './response-body.js';
import { PEER_ID_BYTES, type TrackerPeer } from './types.js';

/** A successful announce response. Absent fields are left out, never set to undefined. */
export interface AnnounceResponse {
  /** Seconds to wait before the next regular announce. */
  readonly interval?: number | undefined;
  readonly minInterval?: number | undefined;
  /** To send back as trackerid in later announces. */
  readonly trackerId?: Uint8Array | undefined;
  /** Seeders. */
  readonly complete?: number | undefined;
  /** Leechers. */
  readonly incomplete?: number | undefined;
  readonly warning?: string | undefined;
  /** BEP 24: the client's address as the tracker sees it. */
  readonly externalIp?: IpAddress | undefined;
  /** IPv4 peers first, then IPv6 ones (BEP 7). */
  readonly peers: readonly TrackerPeer[];
}

/** Reads one peer dictionary; undefined for an entry that cannot be used (DNS name, bad port). */
const dictPeer = (entry: BDict): TrackerPeer | undefined => {
  const ipValue = entry.get('ip');
  const port = entry.get('port');
  if (!isBytes(ipValue) || typeof port !== 'number' || port < 0 || port > 65535) return undefined;
  // BEP 3 allows a DNS name here; the pure core resolves nothing, so such peers are dropped.
  const ip = parseIp(bytesToBinary(ipValue));
  if (ip === undefined) return undefined;
  const peerId = entry.get('peer id');
  return isBytes(peerId) && peerId.length === PEER_ID_BYTES ? { ip, port, peerId } : { ip, port };
};

const listPeers = (list: BList, maxPeers: number): TrackerPeer[] => {
  if (list.length > maxPeers)
    badResponse(`${list.length} peers is more than the limit of ${maxPeers}`);
  const peers: TrackerPeer[] = [];
  for (const entry of list) {
    const peer = isDict(entry) ? dictPeer(entry) : undefined;
    if (peer !== undefined) peers.push(peer);
  }
  return peers;
};

const compactPeers = (
  bytes: Uint8Array,
  family: 'ipv4' | 'ipv6',
  maxPeers: number,
): TrackerPeer[] => {
  const r = decodeCompactPeers(bytes, family, maxPeers);
  return r.ok ? r.value : badResponse(r.error.message);
};

const readPeers = (top: BDict, maxPeers: number): TrackerPeer[] => {
  const v4 = top.get('peers');
  let peers: TrackerPeer[];
  if (v4 === undefined) peers = [];
  else if (isBytes(v4)) peers = compactPeers(v4, 'ipv4', maxPeers);
  else if (isList(v4)) peers = listPeers(v4, maxPeers);
  else return badResponse('peers is neither a string nor a list');
  const v6 = bytesField(top, 'peers6');
  if (v6 !== undefined) peers = peers.concat(compactPeers(v6, 'ipv6', maxPeers - peers.length));
  return peers;
};

/**
 * Parses an announce response body. A "failure reason" gives TRACKER_FAILURE with the
 * tracker's text; a malformed body, TRACKER_BAD_RESPONSE.
 */
export const parseAnnounceResponse = (
  body: Uint8Array,
  limits?: Partial<HttpResponseLimits>,
): Result<AnnounceResponse, ErrorValue> =>
  attempt(() => {
    const l = { ...DEFAULT_HTTP_RESPONSE_LIMITS, ...limits };
    const top = readResponseDict(body, l);
    const out: { -readonly [K in keyof AnnounceResponse]: AnnounceResponse[K] } = {
      peers: readPeers(top, l.maxPeers),
    };
    const set = <K extends keyof AnnounceResponse>(key: K, value: AnnounceResponse[K]): void => {
      if (value !== undefined) out[key] = value;
    };
    set('interval', countField(top, 'interval'));
    set('minInterval', countField(top, 'min interval'));
    set('trackerId', bytesField(top, 'tracker id'));
    set('complete', countField(top, 'complete'));
    set('incomplete', countField(top, 'incomplete'));
    const warning = bytesField(top, 'warning message');
    set('warning', warning === undefined ? undefined : lenientText(warning));
    // BEP 24 is a hint: a malformed one is ignored rather than failing the announce.
    const external = top.get('external ip');
    set('externalIp', isBytes(external) ? ipFromBytes(external) : undefined);
    return out;
  });

export interface AnnounceEncodeOptions {
  /** BEP 23: peers as strings of 6 (and BEP 7 peers6 of 18) bytes. */
  readonly compact: boolean;
  /** Leave peer ids out of the non-compact form. */
  readonly noPeerId: boolean;
}

const peerDict = (peer: TrackerPeer, noPeerId: boolean): Record<string, BEncodable> => {
  const d: Record<string, BEncodable> = { ip: formatIp(peer.ip), port: peer.port };
  if (!noPeerId && peer.peerId !== undefined) d['peer id'] = peer.peerId;
  return d;
};

/**
 * Encodes an announce response. Compact: IPv4 peers in "peers", IPv6 ones in "peers6" (left
 * out when there are none), no peer ids. Otherwise one list of dictionaries for both families.
 * Fails (BENCODE_UNENCODABLE) only for numbers that are not safe integers.
 */
export const encodeAnnounceResponse = (
  response: AnnounceResponse,
  options: AnnounceEncodeOptions,
): Result<Uint8Array, ErrorValue> => {
  const d: Record<string, BEncodable | undefined> = {
    interval: response.interval,
    'min interval': response.minInterval,
    'tracker id': response.trackerId,
    complete: response.complete,
    incomplete: response.incomplete,
    'warning message': response.warning,
    'external ip': response.externalIp?.bytes,
  };
  if (options.compact) {
    d.peers = encodeCompactPeers(response.peers, 'ipv4');
    const peers6 = encodeCompactPeers(response.peers, 'ipv6');
    if (peers6.length > 0) d.peers6 = peers6;
  } else {
    d.peers = response.peers.map((p) => peerDict(p, options.noPeerId));
  }
  return encode(d);
};

/**
 * A failure response (BEP 3 "failure reason"), with BEP 31 "retry in" when given: minutes
 * before trying again, or "never".
 */
export const encodeFailureResponse = (
  reason: string,
  retryIn?: number | 'never',
): Result<Uint8Array, ErrorValue> => encode({ 'failure reason': reason, 'retry in': retryIn });
