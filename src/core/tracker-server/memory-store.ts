/**
 * The in-memory SwarmStore: a Map of torrents, each a PeerTable of packed records. Bounded by a
 * torrent limit, a per-torrent peer limit and a total peer limit. Totals are kept as counters,
 * so /stats and /metrics never walk a million peers.
 */
import { PeerSelection, PeerTable, peerKeyOf } from './peer-table.js';
import type {
  PeerAnnounce,
  PeerWant,
  StoreTotals,
  SwarmAnnounceResult,
  SwarmChange,
  SwarmCounts,
  SwarmStore,
  SweepOptions,
  SweepReport,
  TorrentKey,
} from './swarm-store.js';

export interface MemoryStoreLimits {
  readonly maxTorrents: number;
  readonly maxPeersPerTorrent: number;
  readonly maxPeers: number;
  /** The largest numwant the store will ever be asked for (sizes its reply buffer). */
  readonly maxNumwant: number;
  /** Peers not seen for this long are never handed out, even before a sweep removes them. */
  readonly peerTtlMs: number;
}

class Swarm extends PeerTable {
  completed = 0;
  /** Last announce, in seconds. */
  lastActivity = 0;
}

const seconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

export class MemorySwarmStore implements SwarmStore {
  private readonly swarms = new Map<TorrentKey, Swarm>();
  private readonly selection: PeerSelection;
  private readonly empty = new PeerSelection(0);
  private sweepCursor: IterableIterator<[TorrentKey, Swarm]> | undefined;
  private peers = 0;
  private seeders = 0;
  private completed = 0;

  constructor(private readonly limits: MemoryStoreLimits) {
    this.selection = new PeerSelection(limits.maxNumwant);
  }

  private result(
    change: SwarmChange,
    swarm: Swarm | undefined,
    countedCompletion: boolean,
    peers: PeerSelection,
  ): SwarmAnnounceResult {
    return {
      change,
      countedCompletion,
      seeders: swarm?.seeders ?? 0,
      leechers: swarm?.leechers ?? 0,
      completed: swarm?.completed ?? 0,
      totalPeers: this.peers,
      peers,
    };
  }

  private stop(swarm: Swarm | undefined, slot: number): SwarmAnnounceResult {
    this.empty.n4 = 0;
    this.empty.n6 = 0;
    if (swarm === undefined || slot < 0) return this.result('unknown', swarm, false, this.empty);
    if (swarm.isSeeder(slot)) this.seeders--;
    this.peers--;
    swarm.remove(slot);
    return this.result('removed', swarm, false, this.empty);
  }

  private newSwarm(key: TorrentKey): Swarm | undefined {
    if (this.swarms.size >= this.limits.maxTorrents) return undefined;
    const swarm = new Swarm();
    this.swarms.set(key, swarm);
    return swarm;
  }

  announce(
    key: TorrentKey,
    peer: PeerAnnounce,
    want: PeerWant,
    nowMs: number,
    random: () => number,
  ): SwarmAnnounceResult {
    const nowSec = seconds(nowMs);
    let swarm = this.swarms.get(key);
    const peerKey = peerKeyOf(peer.ip, peer.port);
    let slot = swarm === undefined ? -1 : swarm.slotOf(peerKey);
    if (peer.event === 'stopped') {
      if (swarm !== undefined) swarm.lastActivity = nowSec;
      return this.stop(swarm, slot);
    }
    if (swarm === undefined) {
      swarm = this.newSwarm(key);
      if (swarm === undefined) return this.result('tracker-full', undefined, false, this.empty);
    }
    swarm.lastActivity = nowSec;
    const seeder = peer.left === 0;
    let change: SwarmChange;
    if (slot >= 0) {
      change = 'updated';
      swarm.touch(slot, nowSec, peer.peerId);
      if (swarm.isSeeder(slot) !== seeder) {
        this.seeders += seeder ? 1 : -1;
        slot = swarm.setSeeder(slot, seeder);
      }
    } else if (
      swarm.count >= this.limits.maxPeersPerTorrent ||
      this.peers >= this.limits.maxPeers
    ) {
      change = 'swarm-full';
    } else {
      change = 'added';
      slot = swarm.add(peerKey, peer.ip, peer.port, peer.peerId, seeder, nowSec);
      this.peers++;
      if (seeder) this.seeders++;
    }
    // Once per peer entry (BEP 3 "completed" is sent once per download; a repeat is ignored).
    let counted = false;
    if (peer.event === 'completed' && slot >= 0 && !swarm.counted(slot)) {
      swarm.markCounted(slot);
      swarm.completed++;
      this.completed++;
      counted = true;
    }
    const numwant = Math.min(want.numwant, this.selection.capacity);
    const end = seeder ? swarm.leechers : swarm.count;
    const cutoff = seconds(nowMs - this.limits.peerTtlMs);
    swarm.select(
      this.selection,
      end,
      slot,
      numwant,
      want.families,
      want.withPeerIds,
      cutoff,
      random,
    );
    return this.result(change, swarm, counted, this.selection);
  }

  counts(key: TorrentKey): SwarmCounts | undefined {
    const swarm = this.swarms.get(key);
    return swarm === undefined
      ? undefined
      : { seeders: swarm.seeders, leechers: swarm.leechers, completed: swarm.completed };
  }

  totals(): StoreTotals {
    return {
      torrents: this.swarms.size,
      peers: this.peers,
      seeders: this.seeders,
      leechers: this.peers - this.seeders,
      completed: this.completed,
    };
  }

  forEachTorrent(visit: (key: TorrentKey, counts: SwarmCounts) => void): void {
    for (const [key, s] of this.swarms) {
      visit(key, { seeders: s.seeders, leechers: s.leechers, completed: s.completed });
    }
  }

  sweep(options: SweepOptions): SweepReport {
    const peerCutoff = seconds(options.peerCutoffMs);
    const idleCutoff = seconds(options.idleCutoffMs);
    let scanned = 0;
    let expiredPeers = 0;
    let droppedTorrents = 0;
    this.sweepCursor ??= this.swarms.entries();
    while (scanned < options.budget) {
      const next = this.sweepCursor.next();
      if (next.done === true) {
        this.sweepCursor = undefined;
        return { expiredPeers, droppedTorrents, passDone: true };
      }
      const [key, swarm] = next.value;
      scanned += swarm.count + 1;
      const seedersBefore = swarm.seeders;
      const removed = swarm.expire(peerCutoff);
      if (removed > 0) {
        expiredPeers += removed;
        this.peers -= removed;
        this.seeders -= seedersBefore - swarm.seeders;
        options.onChange?.(key, {
          seeders: swarm.seeders,
          leechers: swarm.leechers,
          completed: swarm.completed,
        });
      }
      if (swarm.count === 0 && swarm.lastActivity < idleCutoff && !options.keep(key)) {
        this.completed -= swarm.completed;
        this.swarms.delete(key);
        droppedTorrents++;
      }
    }
    return { expiredPeers, droppedTorrents, passDone: false };
  }

  restoreCompleted(key: TorrentKey, completed: number, nowMs: number): boolean {
    const swarm = this.swarms.get(key) ?? this.newSwarm(key);
    if (swarm === undefined) return false;
    this.completed += completed - swarm.completed;
    swarm.completed = completed;
    swarm.lastActivity = Math.max(swarm.lastActivity, seconds(nowMs));
    return true;
  }
}
