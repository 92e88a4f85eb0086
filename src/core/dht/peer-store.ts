/**
 * Peers announced to this node (announce_peer, BEP 5), per info-hash, forgotten after 30
 * minutes unless announced again (clients re-announce every 15 to 30 minutes). Bounded: at most
 * `maxTorrents` info-hashes and `maxPeersPerTorrent` peers each; when full, the oldest
 * announcement gives way. Kept in memory only: nothing a node learns about peers touches disk.
 */
import { toHex } from '../../lib/bytes.js';
import type { Rng } from '../../lib/ports.js';
import type { NodeAddress } from './types.js';

export const PEER_TTL_MS = 30 * 60 * 1000;
/** Peers in one get_peers answer: 50 compact IPv4 peers keep the packet well under 1 KB. */
export const MAX_VALUES = 50;

interface Announced {
  readonly address: NodeAddress;
  at: number;
  seed: boolean;
}

export interface PeerStoreLimits {
  readonly maxTorrents: number;
  readonly maxPeersPerTorrent: number;
}

export const DEFAULT_PEER_STORE_LIMITS: PeerStoreLimits = {
  maxTorrents: 10_000,
  maxPeersPerTorrent: 500,
};

export class PeerStore {
  /** Info-hash (hex) -> peers by "host:port", oldest first (Map order: re-announces move last). */
  private readonly torrents = new Map<string, Map<string, Announced>>();

  constructor(private readonly limits: PeerStoreLimits = DEFAULT_PEER_STORE_LIMITS) {}

  get torrentCount(): number {
    return this.torrents.size;
  }

  announce(infoHash: Uint8Array, address: NodeAddress, seed: boolean, now: number): void {
    const key = toHex(infoHash);
    let peers = this.torrents.get(key);
    if (peers === undefined) {
      if (this.torrents.size >= this.limits.maxTorrents) this.evictOldestTorrent();
      peers = new Map();
    } else this.torrents.delete(key);
    this.torrents.set(key, peers); // most recently announced last
    const id = `${address.host}:${address.port}`;
    peers.delete(id);
    peers.set(id, { address, at: now, seed });
    if (peers.size > this.limits.maxPeersPerTorrent) {
      const oldest = peers.keys().next();
      if (!oldest.done) peers.delete(oldest.value);
    }
  }

  /** Up to `max` live peers of the torrent, a random sample when there are more. */
  peers(infoHash: Uint8Array, now: number, rng: Rng, max = MAX_VALUES): NodeAddress[] {
    const key = toHex(infoHash);
    const peers = this.torrents.get(key);
    if (peers === undefined) return [];
    const live: NodeAddress[] = [];
    for (const [id, p] of peers) {
      if (now - p.at > PEER_TTL_MS) peers.delete(id);
      else live.push(p.address);
    }
    if (peers.size === 0) this.torrents.delete(key);
    if (live.length <= max) return live;
    // A partial Fisher-Yates shuffle: the first `max` places.
    for (let i = 0; i < max; i++) {
      const j = i + Math.floor(rng.next() * (live.length - i));
      [live[i], live[j]] = [live[j] as NodeAddress, live[i] as NodeAddress];
    }
    return live.slice(0, max);
  }

  /** Drops what has expired (call now and then; reads also drop expired peers). */
  expire(now: number): void {
    for (const [key, peers] of this.torrents) {
      for (const [id, p] of peers) if (now - p.at > PEER_TTL_MS) peers.delete(id);
      if (peers.size === 0) this.torrents.delete(key);
    }
  }

  private evictOldestTorrent(): void {
    const oldest = this.torrents.keys().next();
    if (!oldest.done) this.torrents.delete(oldest.value);
  }
}
