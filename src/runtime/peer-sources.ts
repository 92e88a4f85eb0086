/**
 * Where a trading torrent's peers come from besides the user: its trackers (BEP 3, 12, 15),
 * the DHT (BEP 5) and local discovery (BEP 14), the last two never for a private torrent
 * (BEP 27). Started with trading, stopped with it; a completion seen while stopped is told to
 * the trackers at the next start.
 */
import type { Metainfo } from '../core/metainfo/types.js';
import type { FanseedError } from '../lib/errors.js';
import type { PeerId } from '../lib/ids.js';
import type { Rng } from '../lib/ports.js';
import { DhtDiscovery, type PeerLookup } from './dht/dht-discovery.js';
import type { LocalPeers } from './lsd/local-discovery.js';
import type { TorrentStats } from './torrent-types.js';
import { Announcer } from './tracker/announcer.js';

export interface PeerSourcesOptions {
  readonly peerId: PeerId;
  readonly rng: Rng;
  readonly listenPort?: number | undefined;
  readonly trackers?: boolean | undefined;
  readonly dht?: PeerLookup | undefined;
  readonly lsd?: LocalPeers | undefined;
  readonly stats: () => TorrentStats;
  readonly seeding: () => boolean;
  /** A peer heard of: dial it. */
  readonly dial: (host: string, port: number) => void;
  readonly trackerError: (url: string, error: FanseedError) => void;
}

export class PeerSources {
  private announcer: Announcer | undefined;
  private discovery: DhtDiscovery | undefined;
  private stopLsd: (() => void) | undefined;
  /** The torrent completed while nothing announced: told to the trackers at the next start. */
  private completedUntold = false;

  constructor(private readonly o: PeerSourcesOptions) {}

  start(meta: Metainfo): void {
    const o = this.o;
    const port = o.listenPort;
    const hash = meta.infoHashV1 ?? meta.infoHashV2?.subarray(0, 20);
    if (hash === undefined) return;
    if (o.dht !== undefined && !meta.private) {
      this.discovery = new DhtDiscovery(o.dht, hash, {
        port,
        seed: o.seeding,
        onPeers: (peers) => {
          for (const p of peers) o.dial(p.host, p.port);
        },
      });
      this.discovery.start();
    }
    if (o.lsd !== undefined && !meta.private) this.stopLsd = o.lsd.watch(hash, o.dial);
    if (o.trackers === false || meta.announce.length === 0 || !port) return;
    this.announcer = new Announcer({
      tiers: meta.announce,
      infoHash: hash,
      peerId: o.peerId,
      port,
      rng: o.rng,
      stats: o.stats,
      onPeers: (peers) => {
        for (const p of peers) o.dial(p.host, p.port);
      },
      onError: o.trackerError,
    });
    this.announcer.start();
    if (this.completedUntold) {
      this.completedUntold = false;
      this.announcer.completed();
    }
  }

  /** Every piece is in: the trackers hear `completed` now, or at the next start. */
  completed(): void {
    if (this.announcer !== undefined) this.announcer.completed();
    else this.completedUntold = true;
  }

  /** Stops looking; the trackers are told `stopped` (awaited). */
  async stop(): Promise<void> {
    const announcer = this.announcer;
    this.announcer = undefined;
    this.discovery?.stop();
    this.discovery = undefined;
    this.stopLsd?.();
    this.stopLsd = undefined;
    await announcer?.stop();
  }
}
