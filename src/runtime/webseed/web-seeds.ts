/**
 * The web seeds of one trading torrent: each is a link in the swarm under a key of its own.
 * Trading hands this set the swarm's commands for those keys.
 */
import type { PeerKey } from '../../core/torrent/peer-state.js';
import type { Swarm } from '../../core/torrent/swarm.js';
import type { PeerMessage } from '../../core/wire/messages.js';
import { WebSeed, type WebSeedOptions } from './web-seed.js';

/** Requests kept in flight to one mirror (libtorrent's web seeds keep a deep queue too). */
const WEB_SEED_QUEUE = 500;

export interface WebSeedSetOptions {
  readonly swarm: Swarm;
  readonly keys: { next(): number };
  readonly seed: Omit<WebSeedOptions, 'url'>;
  /** Runs the swarm's commands. */
  run(): void;
  /** Counts received bytes; how long to wait before reading on (download limits), in ms. */
  received(bytes: number): number;
  connected(url: string): void;
  /** Mirrors given up on, shared by every trading of the torrent. */
  readonly dropped?: Set<string> | undefined;
  closed(url: string, reason: string): void;
}

export class WebSeedSet {
  private readonly seeds = new Map<PeerKey, WebSeed>();
  private readonly urls = new Set<string>();
  /** Mirrors dropped for bad data or for good: not added again (the set outlives a pause). */
  private readonly dropped: Set<string>;

  constructor(private readonly o: WebSeedSetOptions) {
    this.dropped = o.dropped ?? new Set();
  }

  get size(): number {
    return this.seeds.size;
  }

  add(url: string): void {
    if (this.urls.has(url) || this.dropped.has(url)) return;
    const key = this.o.keys.next();
    const { swarm } = this.o;
    const seed = new WebSeed(
      { ...this.o.seed, url },
      {
        message: (m) => swarm.message(key, m, Date.now()),
        batchEnd: () => this.o.run(),
        received: (bytes) => this.o.received(bytes),
        closed: (reason) => {
          this.forget(key, url, true);
          swarm.peerClosed(key);
          this.o.closed(url, reason);
          this.o.run();
        },
      },
    );
    this.seeds.set(key, seed);
    this.urls.add(url);
    swarm.peerConnected(key, true, Date.now(), true);
    swarm.setMaxRequests(key, WEB_SEED_QUEUE);
    this.o.connected(url);
    seed.start();
  }

  /** A swarm message for one of the mirrors; false when the key is not a mirror's. */
  send(key: PeerKey, m: PeerMessage): boolean {
    const seed = this.seeds.get(key);
    if (seed === undefined) return false;
    seed.send(m);
    return true;
  }

  /** The swarm dropped a mirror (bad data, or both sides complete). */
  disconnect(key: PeerKey, reason: string, ban: boolean): boolean {
    const seed = this.seeds.get(key);
    if (seed === undefined) return false;
    seed.close();
    this.forget(key, seed.url, ban);
    this.o.closed(seed.url, reason);
    return true;
  }

  pauseReading(paused: boolean): void {
    for (const seed of this.seeds.values()) seed.pauseReading(paused);
  }

  close(): void {
    for (const seed of this.seeds.values()) seed.close();
    this.seeds.clear();
    this.urls.clear();
  }

  private forget(key: PeerKey, url: string, forGood: boolean): void {
    this.seeds.delete(key);
    this.urls.delete(url);
    if (forGood) this.dropped.add(url);
  }
}
