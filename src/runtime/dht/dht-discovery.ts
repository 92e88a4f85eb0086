/**
 * Finds a torrent's peers through the DHT, again and again: a get_peers lookup at once, then
 * every 15 minutes (BEP 5 peers forget announces after 30), or every minute while lookups find
 * nobody. With a port, each lookup also announces us to the nodes closest to the torrent.
 */
import type { AnnounceOptions } from '../../core/dht/dht-node.js';
import type { NodeAddress } from '../../core/dht/types.js';
import type { DhtLookupResult } from './dht-service.js';

/** What discovery needs of a DHT (the DhtService, or a fake in tests). */
export interface PeerLookup {
  getPeers(
    infoHash: Uint8Array,
    announce?: AnnounceOptions,
    onPeers?: (peers: readonly NodeAddress[]) => void,
  ): Promise<DhtLookupResult>;
  /** The node's UDP port, told to peers in a BEP 5 PORT message. */
  readonly port?: number;
  /** A peer's DHT port (its PORT message): the node pings it, and keeps it if it answers. */
  addNode?(host: string, port: number): void;
}

const JOINING_RETRY_MS = 2000;

export interface DhtDiscoveryOptions {
  /** Our listen port, to be announced (none: only look). */
  readonly port?: number | undefined;
  readonly seed?: () => boolean;
  readonly onPeers: (peers: readonly NodeAddress[]) => void;
  readonly everyMs?: number;
  readonly retryMs?: number;
}

export class DhtDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly dht: PeerLookup,
    private readonly infoHash: Uint8Array,
    private readonly options: DhtDiscoveryOptions,
  ) {}

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    void this.round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async round(): Promise<void> {
    const { port } = this.options;
    const announce =
      port === undefined || port === 0 ? undefined : { port, seed: this.options.seed?.() === true };
    let r: DhtLookupResult;
    try {
      r = await this.dht.getPeers(this.infoHash, announce, (peers) => {
        if (!this.stopped) this.options.onPeers(peers);
      });
    } catch {
      // A closed DHT: nothing more to find.
      return;
    }
    if (this.stopped) return;
    // Nobody to ask yet (the DHT is still joining): soon again. Nobody with peers, or nobody
    // took our announce: in a minute. Otherwise at the usual pace.
    const wait =
      r.stats.queried === 0 && r.stats.answered === 0
        ? JOINING_RETRY_MS
        : r.peers.length === 0 || (announce !== undefined && r.announced === 0)
          ? (this.options.retryMs ?? 60_000)
          : (this.options.everyMs ?? 15 * 60_000);
    this.timer = setTimeout(() => void this.round(), wait);
    this.timer.unref();
  }
}

/**
 * A `discover` hook for a magnet link's metadata fetch: DHT lookups (every 5 s while they find
 * nobody) whose peers are dialled; returns the function that stops them.
 */
export const discoverThrough =
  (dht: PeerLookup, infoHash: Uint8Array, port: number | undefined) =>
  (dial: (host: string, port: number) => void): (() => void) => {
    const d = new DhtDiscovery(dht, infoHash.subarray(0, 20), {
      port,
      onPeers: (peers) => {
        for (const p of peers) dial(p.host, p.port);
      },
      retryMs: 5000,
    });
    d.start();
    return () => d.stop();
  };
