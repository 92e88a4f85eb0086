/**
 * Who may download from us, decided every round (10 s in the runtime; pure here, time is an
 * argument).
 *
 * Leeching: tit-for-tat (BEP 3 "choking"): the interested peers that upload fastest to us get
 * the regular slots, and one optimistic slot rotates every `optimisticRounds` rounds among the
 * others (new peers weighted up, so they get a first piece to trade with).
 * Seeding: nobody uploads to a seed, so the slots rotate fairly instead: a peer keeps its slot
 * for `seedRotateRounds` rounds, then the interested peer that has waited longest takes it.
 */
import type { Rng } from '../../lib/ports.js';

export type PeerKey = number;

export interface ChokerPeer {
  readonly key: PeerKey;
  readonly interested: boolean;
  /** Bytes per second this peer sends us (recent average). */
  readonly downloadRate: number;
  /** Snubbed: unchoked us but sent nothing for a long time. */
  readonly snubbed: boolean;
  readonly connectedAt: number;
}

export interface ChokerConfig {
  readonly slots: number;
  readonly optimisticRounds: number;
  readonly seedRotateRounds: number;
  readonly roundMs: number;
  /** A peer connected more recently than this gets triple weight for the optimistic slot. */
  readonly newPeerMs: number;
}

export const DEFAULT_CHOKER_CONFIG: ChokerConfig = {
  slots: 4,
  optimisticRounds: 3,
  seedRotateRounds: 3,
  roundMs: 10_000,
  newPeerMs: 60_000,
};

export class Choker {
  private round = 0;
  private optimistic: PeerKey | undefined;
  private readonly unchokedSince = new Map<PeerKey, number>();
  private readonly chokedSince = new Map<PeerKey, number>();
  private readonly lastOptimistic = new Map<PeerKey, number>();

  constructor(
    private readonly rng: Rng,
    private readonly config: ChokerConfig = DEFAULT_CHOKER_CONFIG,
  ) {}

  /** How many peers may be unchoked at once. */
  get slots(): number {
    return this.config.slots;
  }

  /** Runs a round; returns the peers to unchoke (every other peer is choked). */
  decide(peers: readonly ChokerPeer[], seeding: boolean, now: number): Set<PeerKey> {
    this.round++;
    const present = new Set(peers.map((p) => p.key));
    for (const map of [this.unchokedSince, this.chokedSince, this.lastOptimistic]) {
      for (const key of map.keys()) if (!present.has(key)) map.delete(key);
    }
    if (this.optimistic !== undefined && !present.has(this.optimistic)) this.optimistic = undefined;
    const interested = peers.filter((p) => p.interested);
    const chosen = seeding
      ? this.seedingSlots(interested, now)
      : this.leechingSlots(interested, now);
    for (const p of peers) {
      if (chosen.has(p.key)) {
        if (!this.unchokedSince.has(p.key)) this.unchokedSince.set(p.key, now);
        this.chokedSince.delete(p.key);
      } else {
        if (!this.chokedSince.has(p.key)) this.chokedSince.set(p.key, now);
        this.unchokedSince.delete(p.key);
      }
    }
    return chosen;
  }

  private leechingSlots(interested: readonly ChokerPeer[], now: number): Set<PeerKey> {
    const regular = Math.max(0, this.config.slots - 1);
    const byRate = interested
      .filter((p) => !p.snubbed)
      .sort((a, b) => b.downloadRate - a.downloadRate || a.key - b.key)
      .slice(0, regular);
    const chosen = new Set(byRate.map((p) => p.key));
    const rotate = this.optimistic === undefined || this.round % this.config.optimisticRounds === 1;
    const stillValid =
      this.optimistic !== undefined &&
      !chosen.has(this.optimistic) &&
      interested.some((p) => p.key === this.optimistic);
    if (rotate || !stillValid) {
      this.optimistic = this.drawOptimistic(
        interested.filter((p) => !chosen.has(p.key)),
        now,
      );
      if (this.optimistic !== undefined) this.lastOptimistic.set(this.optimistic, now);
    }
    if (this.optimistic !== undefined) chosen.add(this.optimistic);
    return chosen;
  }

  /** The candidate whose last optimistic turn is oldest (never first); among equals, a
   * weighted draw that favours new peers. */
  private drawOptimistic(candidates: readonly ChokerPeer[], now: number): PeerKey | undefined {
    if (candidates.length === 0) return undefined;
    const turn = (p: ChokerPeer): number =>
      this.lastOptimistic.get(p.key) ?? Number.NEGATIVE_INFINITY;
    const oldest = Math.min(...candidates.map(turn));
    const equals = candidates.filter((p) => turn(p) === oldest);
    const weight = (p: ChokerPeer): number => (now - p.connectedAt < this.config.newPeerMs ? 3 : 1);
    let ticket = this.rng.next() * equals.reduce((n, p) => n + weight(p), 0);
    for (const p of equals) {
      ticket -= weight(p);
      if (ticket < 0) return p.key;
    }
    return equals[equals.length - 1]?.key;
  }

  private seedingSlots(interested: readonly ChokerPeer[], now: number): Set<PeerKey> {
    const keepFor = this.config.seedRotateRounds * this.config.roundMs;
    const keep = interested.filter((p) => {
      const since = this.unchokedSince.get(p.key);
      return since !== undefined && now - since < keepFor;
    });
    const chosen = new Set(keep.slice(0, this.config.slots).map((p) => p.key));
    // Longest-waiting first; a random key breaks ties so equal waiters take turns.
    const waiting = interested
      .filter((p) => !chosen.has(p.key))
      .map((p) => ({
        p,
        since: this.waitingSince(p.key, now),
        tie: this.rng.next(),
      }))
      .sort((a, b) => a.since - b.since || a.tie - b.tie);
    for (const { p } of waiting) {
      if (chosen.size >= this.config.slots) break;
      chosen.add(p.key);
    }
    return chosen;
  }

  /** When a peer began waiting for a slot: a peer whose turn just ended goes to the back. */
  private waitingSince(key: PeerKey, now: number): number {
    if (this.unchokedSince.has(key)) return now;
    return this.chokedSince.get(key) ?? Number.NEGATIVE_INFINITY;
  }
}
