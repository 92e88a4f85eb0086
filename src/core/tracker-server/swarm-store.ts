/**
 * Swarm state behind an interface: which peers each torrent has, its seeder and leecher counts
 * and its completed downloads. The announce path (tracker-core.ts) talks only to this, so a
 * store shared by several tracker nodes can replace the in-memory one later. Calls are
 * synchronous on purpose: a tracker answers from memory, and a shared store is best built as a
 * local replica that exchanges changes in the background (the runtime's job), not as a
 * round-trip per announce.
 */

import type { IpAddress } from '../tracker-protocol/address.js';
import type { AnnounceEvent } from '../tracker-protocol/types.js';
import type { PeerFamilies, PeerSelection } from './peer-table.js';

declare const torrentKeyBrand: unique symbol;
/** A 20-byte info-hash (v1, or v2 truncated: BEP 52) as a binary string, one char per byte. */
export type TorrentKey = string & { readonly [torrentKeyBrand]: true };

export const TORRENT_KEY_BYTES = 20;

/** The key of a 20-byte info-hash; undefined for any other length. */
export const torrentKey = (infoHash: Uint8Array): TorrentKey | undefined => {
  if (infoHash.length !== TORRENT_KEY_BYTES) return undefined;
  // One call makes a flat string (concatenation would make a rope, flattened again by every
  // Map lookup): this runs once per announce.
  return String.fromCharCode.apply(null, infoHash as unknown as number[]) as TorrentKey;
};

export const torrentKeyBytes = (key: TorrentKey): Uint8Array => {
  const out = new Uint8Array(TORRENT_KEY_BYTES);
  for (let i = 0; i < TORRENT_KEY_BYTES; i++) out[i] = key.charCodeAt(i);
  return out;
};

const HEX = '0123456789abcdef';

export const torrentKeyHex = (key: TorrentKey): string => {
  let s = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    s += (HEX[c >> 4] as string) + (HEX[c & 15] as string);
  }
  return s;
};

/** 40 hex digits (v1 or truncated v2) or 64 (v2, truncated here: BEP 52). */
export const torrentKeyFromHex = (hex: string): TorrentKey | undefined => {
  if ((hex.length !== 40 && hex.length !== 64) || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  let s = '';
  for (let i = 0; i < 40; i += 2)
    s += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16));
  return s as TorrentKey;
};

/** What one announce tells the store about its sender. */
export interface PeerAnnounce {
  readonly ip: IpAddress;
  readonly port: number;
  readonly peerId: Uint8Array;
  /** Bytes the peer still needs; 0 makes it a seeder. */
  readonly left: number;
  readonly event: AnnounceEvent;
}

/** What the sender wants back. */
export interface PeerWant {
  /** Already capped by the caller. 0 asks for counts only. */
  readonly numwant: number;
  readonly families: PeerFamilies;
  readonly withPeerIds: boolean;
}

/**
 * added/updated/removed: the peer's entry changed so. unknown: "stopped" from a peer the store
 * did not have. swarm-full/tracker-full: a new peer or torrent over the limits, not stored.
 */
export type SwarmChange =
  | 'added'
  | 'updated'
  | 'removed'
  | 'unknown'
  | 'swarm-full'
  | 'tracker-full';

export interface SwarmCounts {
  readonly seeders: number;
  readonly leechers: number;
  /** Completed downloads, all time. */
  readonly completed: number;
}

export interface SwarmAnnounceResult extends SwarmCounts {
  readonly change: SwarmChange;
  /** Peers in the whole store after this announce. */
  readonly totalPeers: number;
  /** This announce's "completed" was counted (a first one from this peer). */
  readonly countedCompletion: boolean;
  /** Selected peers; a view valid until the next call into the store. */
  readonly peers: PeerSelection;
}

export interface StoreTotals {
  readonly torrents: number;
  readonly peers: number;
  readonly seeders: number;
  readonly leechers: number;
  readonly completed: number;
}

export interface SweepOptions {
  /** Peers last seen before this (ms) are removed. */
  readonly peerCutoffMs: number;
  /** Torrents without peers and idle since before this (ms) are forgotten... */
  readonly idleCutoffMs: number;
  /** ...unless this says to keep them (registered in allow-list mode). */
  readonly keep: (key: TorrentKey) => boolean;
  /** Peer records to look at in this call, at most (the sweep resumes where it stopped). */
  readonly budget: number;
  /** Called for each torrent whose peer count the sweep changed. */
  readonly onChange?: (key: TorrentKey, counts: SwarmCounts) => void;
}

export interface SweepReport {
  readonly expiredPeers: number;
  readonly droppedTorrents: number;
  /** True when this call finished a pass over every torrent. */
  readonly passDone: boolean;
}

export interface SwarmStore {
  announce(
    key: TorrentKey,
    peer: PeerAnnounce,
    want: PeerWant,
    nowMs: number,
    random: () => number,
  ): SwarmAnnounceResult;
  counts(key: TorrentKey): SwarmCounts | undefined;
  totals(): StoreTotals;
  forEachTorrent(visit: (key: TorrentKey, counts: SwarmCounts) => void): void;
  sweep(options: SweepOptions): SweepReport;
  /** Sets a torrent's all-time completed count (from a snapshot), creating it if needed and
   * the limit allows; false if it does not. */
  restoreCompleted(key: TorrentKey, completed: number, nowMs: number): boolean;
}
