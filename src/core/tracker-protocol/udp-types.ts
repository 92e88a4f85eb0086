/** BEP 15 packet types and constants, shared by the UDP request and response codecs. */
import type { InfoHashV1 } from '../../lib/ids.js';
import type { Ipv4Address, PeerAddress } from './address.js';
import { DEFAULT_MAX_PEERS, type UdpAnnounceEvent } from './types.js';

/** The magic connection_id of a connect request (BEP 15). */
export const UDP_PROTOCOL_ID = 0x41727101980n;

/** BEP 15 action numbers. */
export const UDP_ACTIONS = { connect: 0, announce: 1, scrape: 2, error: 3 } as const;
export type UdpAction = keyof typeof UDP_ACTIONS;

/** BEP 15 event numbers. */
export const UDP_EVENTS: Readonly<Record<UdpAnnounceEvent, number>> = {
  none: 0,
  completed: 1,
  started: 2,
  stopped: 3,
};

export const UDP_CONNECT_REQUEST_BYTES = 16;
export const UDP_CONNECT_RESPONSE_BYTES = 16;
/** The fixed part of an announce request; BEP 41 options may follow. */
export const UDP_ANNOUNCE_REQUEST_BYTES = 98;
export const UDP_ANNOUNCE_RESPONSE_HEADER_BYTES = 20;
export const UDP_SCRAPE_REQUEST_HEADER_BYTES = 16;
export const UDP_SCRAPE_RESPONSE_HEADER_BYTES = 8;
export const UDP_SCRAPE_ENTRY_BYTES = 12;
export const UDP_ERROR_HEADER_BYTES = 8;
/** "Up to about 74 torrents can be scraped at once" (BEP 15): 16 + 74 * 20 fits 1500 bytes. */
export const UDP_MAX_SCRAPE_HASHES = 74;

export interface UdpLimits {
  /** Most info-hashes in a scrape request. */
  readonly maxScrapeHashes: number;
  /** Most peers in an announce response. */
  readonly maxPeers: number;
  /** Most bytes of BEP 41 URLData in an announce request. */
  readonly maxUrlData: number;
}

export const DEFAULT_UDP_LIMITS: UdpLimits = {
  maxScrapeHashes: UDP_MAX_SCRAPE_HASHES,
  maxPeers: DEFAULT_MAX_PEERS,
  maxUrlData: 1024,
};

export interface UdpConnectRequest {
  readonly action: 'connect';
  readonly transactionId: number;
}

export interface UdpAnnounceRequest {
  readonly action: 'announce';
  /** 64 bits, as the tracker gave it in the connect response. */
  readonly connectionId: bigint;
  readonly transactionId: number;
  readonly infoHash: InfoHashV1;
  readonly peerId: Uint8Array;
  readonly downloaded: number;
  readonly left: number;
  readonly uploaded: number;
  readonly event: UdpAnnounceEvent;
  /** An IPv4 address to announce instead of the sender's; absent (0 on the wire) for that. */
  readonly ip?: Ipv4Address | undefined;
  readonly key: number;
  /** -1 asks for the tracker's default. */
  readonly numWant: number;
  readonly port: number;
  /** BEP 41 URLData: the path and query of the tracker URL ("/announce?passkey=..."), as a
   * binary string (one char per byte). */
  readonly urlData?: string | undefined;
}

export interface UdpScrapeRequest {
  readonly action: 'scrape';
  readonly connectionId: bigint;
  readonly transactionId: number;
  readonly infoHashes: readonly InfoHashV1[];
}

export type UdpRequest = UdpConnectRequest | UdpAnnounceRequest | UdpScrapeRequest;

export interface UdpConnectResponse {
  readonly action: 'connect';
  readonly transactionId: number;
  readonly connectionId: bigint;
}

export interface UdpAnnounceResponse {
  readonly action: 'announce';
  readonly transactionId: number;
  readonly interval: number;
  readonly leechers: number;
  readonly seeders: number;
  /** 6-byte IPv4 peers, or 18-byte IPv6 peers when the request came over IPv6 (BEP 15). */
  readonly peers: readonly PeerAddress[];
}

/** One torrent of a scrape response, in the order the request listed them. */
export interface UdpScrapeStats {
  readonly seeders: number;
  readonly completed: number;
  readonly leechers: number;
}

export interface UdpScrapeResponse {
  readonly action: 'scrape';
  readonly transactionId: number;
  readonly files: readonly UdpScrapeStats[];
}

export interface UdpErrorResponse {
  readonly action: 'error';
  readonly transactionId: number;
  readonly message: string;
}

export type UdpResponse =
  | UdpConnectResponse
  | UdpAnnounceResponse
  | UdpScrapeResponse
  | UdpErrorResponse;

/** A DataView over exactly these bytes, for big-endian reads without a copy. */
export const viewOf = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Encoders take validated values; this keeps a bad one from throwing in BigInt(). */
export const int64 = (n: number): bigint => (Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n);
