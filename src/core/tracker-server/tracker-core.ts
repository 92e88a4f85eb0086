/**
 * The one announce path, shared by the HTTP (BEP 3) and UDP (BEP 15) fronts: checks the
 * request, applies the access policy (allow-list, passkeys), updates the swarm store, records
 * statistics and returns counts and a peer selection. Also scrape (BEP 48) and the periodic
 * sweep (peers expire after missing two intervals). Pure: the wall-clock time and the random
 * numbers come through the Clock and Rng ports.
 */
import type { ErrorValue } from '../../lib/errors.js';
import type { Clock, Rng } from '../../lib/ports.js';
import { err, ok, type Result } from '../../lib/result.js';
import { type IpAddress, unmapIpv4 } from '../tracker-protocol/address.js';
import type { AnnounceEvent } from '../tracker-protocol/types.js';
import { AccessPolicy } from './access-policy.js';
import { MemorySwarmStore } from './memory-store.js';
import type { PeerFamilies, PeerSelection } from './peer-table.js';
import { StatsBook } from './stats-book.js';
import {
  type StoreTotals,
  type SwarmCounts,
  type SwarmStore,
  type SweepReport,
  type TorrentKey,
  torrentKey,
} from './swarm-store.js';

export interface TrackerConfig {
  /** Seconds between regular announces (BEP 3 "interval"). */
  readonly intervalSeconds: number;
  /** Seconds a client must wait before announcing again early ("min interval"). */
  readonly minIntervalSeconds: number;
  /** Peers returned when the client does not say. */
  readonly defaultNumwant: number;
  /** Peers returned at most, whatever the client asks. */
  readonly maxNumwant: number;
  readonly maxTorrents: number;
  readonly maxPeersPerTorrent: number;
  /** Peers across all torrents. */
  readonly maxPeers: number;
  /** A torrent without peers is forgotten after this long idle (not in allow-list mode). */
  readonly idleTorrentMs: number;
  /** Info-hashes in one scrape, at most. */
  readonly maxScrapeHashes: number;
}

export const DEFAULT_TRACKER_CONFIG: TrackerConfig = {
  intervalSeconds: 1800,
  minIntervalSeconds: 300,
  defaultNumwant: 50,
  maxNumwant: 200,
  maxTorrents: 1_000_000,
  maxPeersPerTorrent: 100_000,
  maxPeers: 5_000_000,
  idleTorrentMs: 7 * 24 * 3600 * 1000,
  maxScrapeHashes: 74,
};

export type Transport = 'http' | 'udp';

/** An announce as either front reads it. */
export interface AnnounceInput {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  /** The sender's address as the socket saw it (IPv4-mapped IPv6 is unmapped here). */
  readonly ip: IpAddress;
  readonly port: number;
  readonly left: number;
  readonly event: AnnounceEvent;
  /** Peers asked for; undefined or negative for the default. */
  readonly numwant: number | undefined;
  readonly passkey: string | undefined;
  /** Which address families the reply can carry (UDP: the socket's own, BEP 15). */
  readonly families: PeerFamilies;
  /** Non-compact replies with peer ids (BEP 3). */
  readonly withPeerIds: boolean;
  /** A transport's own cap on peers (a UDP reply fits one datagram). */
  readonly maxPeers?: number;
  readonly transport: Transport;
}

export interface AnnounceReply {
  readonly interval: number;
  readonly minInterval: number;
  readonly seeders: number;
  readonly leechers: number;
  readonly completed: number;
  /** A view valid until the next announce. */
  readonly peers: PeerSelection;
  readonly warning?: string;
}

export interface ScrapeEntry extends SwarmCounts {
  readonly key: TorrentKey;
  /** False for torrents the tracker does not have (or does not serve): counts are 0. */
  readonly known: boolean;
}

export interface TrackerCoreOptions {
  /** Wall-clock milliseconds since the epoch (minute series are aligned to it). */
  readonly clock: Clock;
  readonly rng: Rng;
  readonly config?: Partial<TrackerConfig>;
  readonly store?: SwarmStore;
  readonly policy?: AccessPolicy;
  readonly stats?: StatsBook;
}

const refusal = (code: ErrorValue['code'], message: string): Result<never, ErrorValue> =>
  err({ code, message });

const NO_COUNTS: SwarmCounts = { seeders: 0, leechers: 0, completed: 0 };

export class TrackerCore {
  readonly config: TrackerConfig;
  readonly store: SwarmStore;
  readonly policy: AccessPolicy;
  readonly stats: StatsBook;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(options: TrackerCoreOptions) {
    this.config = { ...DEFAULT_TRACKER_CONFIG, ...options.config };
    const c = this.config;
    this.clock = options.clock;
    const rng = options.rng;
    this.random = () => rng.next();
    this.store =
      options.store ??
      new MemorySwarmStore({
        maxTorrents: c.maxTorrents,
        maxPeersPerTorrent: c.maxPeersPerTorrent,
        maxPeers: c.maxPeers,
        maxNumwant: c.maxNumwant,
        peerTtlMs: this.peerTtlMs,
      });
    this.policy = options.policy ?? new AccessPolicy(false);
    this.stats = options.stats ?? new StatsBook();
  }

  /** Peers are forgotten after missing two announces. */
  get peerTtlMs(): number {
    return 2 * this.config.intervalSeconds * 1000;
  }

  now(): number {
    return this.clock.now();
  }

  private check(input: AnnounceInput): Result<TorrentKey, ErrorValue> {
    const key = torrentKey(input.infoHash);
    if (key === undefined) return refusal('TRACKER_BAD_REQUEST', 'info_hash must be 20 bytes');
    if (input.peerId.length !== 20)
      return refusal('TRACKER_BAD_REQUEST', 'peer_id must be 20 bytes');
    if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
      return refusal('TRACKER_BAD_REQUEST', 'port must be from 1 to 65535');
    }
    if (!Number.isSafeInteger(input.left) || input.left < 0) {
      return refusal('TRACKER_BAD_REQUEST', 'left must be a non-negative integer');
    }
    if (!this.policy.passkeyOk(input.passkey)) {
      return refusal('TRACKER_BAD_PASSKEY', 'unknown passkey');
    }
    if (!this.policy.allows(key)) {
      return refusal('TRACKER_NOT_ALLOWED', 'this tracker does not serve that info-hash');
    }
    return ok(key);
  }

  private numwant(input: AnnounceInput): number {
    if (input.event === 'stopped') return 0;
    const asked =
      input.numwant === undefined || input.numwant < 0 ? this.config.defaultNumwant : input.numwant;
    return Math.max(0, Math.min(asked, this.config.maxNumwant, input.maxPeers ?? Infinity));
  }

  announce(input: AnnounceInput): Result<AnnounceReply, ErrorValue> {
    const checked = this.check(input);
    if (input.transport === 'http') this.stats.session.httpAnnounces++;
    else this.stats.session.udpAnnounces++;
    if (!checked.ok) {
      this.stats.session.refused++;
      return checked;
    }
    const key = checked.value;
    const now = this.clock.now();
    const r = this.store.announce(
      key,
      {
        ip: unmapIpv4(input.ip),
        port: input.port,
        peerId: input.peerId,
        left: input.left,
        event: input.event,
      },
      { numwant: this.numwant(input), families: input.families, withPeerIds: input.withPeerIds },
      now,
      this.random,
    );
    if (r.change === 'tracker-full') {
      this.stats.session.refused++;
      return refusal('TRACKER_FULL', 'the tracker holds as many torrents as it can');
    }
    // A "stopped" for a torrent the store does not hold leaves no trace: otherwise anyone could
    // grow the statistics without bound by stopping random info-hashes.
    if (r.change !== 'unknown' || this.store.counts(key) !== undefined) {
      this.stats.announced(key, now, r.countedCompletion, r.seeders + r.leechers, r.totalPeers);
    }
    const reply: AnnounceReply = {
      interval: this.config.intervalSeconds,
      minInterval: this.config.minIntervalSeconds,
      seeders: r.seeders,
      leechers: r.leechers,
      completed: r.completed,
      peers: r.peers,
    };
    return ok(
      r.change === 'swarm-full'
        ? {
            ...reply,
            warning: 'this torrent has as many peers as the tracker allows; you were not added',
          }
        : reply,
    );
  }

  /**
   * Counts for each info-hash asked, in order; unknown and not-served ones read as zero.
   * Refused only for a bad passkey or too many hashes.
   */
  scrape(
    infoHashes: readonly Uint8Array[],
    passkey: string | undefined,
    transport: Transport,
  ): Result<ScrapeEntry[], ErrorValue> {
    if (transport === 'http') this.stats.session.httpScrapes++;
    else this.stats.session.udpScrapes++;
    if (!this.policy.passkeyOk(passkey)) {
      this.stats.session.refused++;
      return refusal('TRACKER_BAD_PASSKEY', 'unknown passkey');
    }
    if (infoHashes.length > this.config.maxScrapeHashes) {
      this.stats.session.refused++;
      return refusal(
        'TRACKER_BAD_REQUEST',
        `at most ${this.config.maxScrapeHashes} info-hashes in a scrape`,
      );
    }
    const out: ScrapeEntry[] = [];
    for (const hash of infoHashes) {
      const key = torrentKey(hash);
      if (key === undefined) return refusal('TRACKER_BAD_REQUEST', 'info_hash must be 20 bytes');
      const counts = this.policy.allows(key) ? this.store.counts(key) : undefined;
      out.push({ key, known: counts !== undefined, ...(counts ?? NO_COUNTS) });
    }
    this.stats.scraped(out.length);
    return ok(out);
  }

  counts(key: TorrentKey): SwarmCounts | undefined {
    return this.store.counts(key);
  }

  totals(): StoreTotals {
    return this.store.totals();
  }

  /**
   * Removes expired peers and idle torrents, looking at about `budget` peer records (the next
   * call resumes where this one stopped); at the end of each pass, prunes the minute series.
   */
  sweep(budget = Number.POSITIVE_INFINITY): SweepReport {
    const now = this.clock.now();
    const report = this.store.sweep({
      peerCutoffMs: now - this.peerTtlMs,
      idleCutoffMs: now - this.config.idleTorrentMs,
      keep: (key) => this.policy.allowListMode && this.policy.allows(key),
      budget,
      onChange: (key, c) =>
        this.stats.peersChanged(key, now, c.seeders + c.leechers, this.store.totals().peers),
    });
    this.stats.session.expiredPeers += report.expiredPeers;
    if (report.passDone) this.stats.sweep(now);
    return report;
  }
}
