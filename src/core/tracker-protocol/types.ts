/** Types shared by the HTTP (BEP 3) and UDP (BEP 15) tracker codecs. */
import type { PeerAddress } from './address.js';

/**
 * Why a client announces. "none" is a regular, periodic announce (no event parameter in HTTP,
 * 0 in UDP). "paused" is BEP 21: a partial seed sends it on every announce; BEP 15 has no
 * number for it.
 */
export type AnnounceEvent = 'none' | 'started' | 'completed' | 'stopped' | 'paused';

/** The events BEP 15 can carry. */
export type UdpAnnounceEvent = Exclude<AnnounceEvent, 'paused'>;

/** A peer in an announce response; only the non-compact form (BEP 3) carries its id. */
export interface TrackerPeer extends PeerAddress {
  readonly peerId?: Uint8Array;
}

/** The most peers any decoder here accepts in one response (a bound, not a wish). */
export const DEFAULT_MAX_PEERS = 10_000;

export const INFO_HASH_BYTES = 20;
export const PEER_ID_BYTES = 20;
