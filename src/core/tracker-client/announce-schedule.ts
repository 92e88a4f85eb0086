/**
 * When to announce, to which tracker, with which event (BEP 3, BEP 12). Pure: the time comes in
 * as arguments, randomness from an Rng; the runtime (runtime/tracker/announcer.ts) does the I/O
 * and reports each outcome back. States, transitions and invariants: STATE.md beside this file.
 */
import type { Rng } from '../../lib/ports.js';
import type { AnnounceEvent } from '../tracker-protocol/types.js';

/** The events this schedule sends (BEP 21 "paused" is not one of them). */
export type ScheduleEvent = Exclude<AnnounceEvent, 'paused'>;

export interface AnnounceScheduleOptions {
  /** The back-off after a tracker's first failure in a row; it doubles with each further one. */
  readonly backoffBaseMs: number;
  /** The longest back-off. */
  readonly backoffMaxMs: number;
  /** Each back-off is shortened by a random fraction up to this, so that clients which failed
   * together (a tracker restart) do not all come back in the same second. 0 for none. */
  readonly backoffJitter: number;
  /** Used when a reply has no interval (BEP 3 makes it required, UDP always has one). */
  readonly defaultIntervalMs: number;
  /** Used when a reply has no "min interval" (it is optional, and BEP 15 has none). */
  readonly defaultMinIntervalMs: number;
  /** A tracker's interval is clamped into [low, high]: 0 would hammer it, a year would lose us
   * the swarm. */
  readonly intervalBoundsMs: readonly [number, number];
  /** Its min interval likewise, and never above the interval in use. */
  readonly minIntervalBoundsMs: readonly [number, number];
}

export const DEFAULT_ANNOUNCE_SCHEDULE_OPTIONS: AnnounceScheduleOptions = {
  backoffBaseMs: 15_000,
  backoffMaxMs: 30 * 60_000,
  backoffJitter: 0.25,
  defaultIntervalMs: 30 * 60_000,
  defaultMinIntervalMs: 60_000,
  intervalBoundsMs: [30_000, 2 * 60 * 60_000],
  minIntervalBoundsMs: [30_000, 2 * 60 * 60_000],
};

/** One announce to make. `id` ties the outcome reported later to this attempt. */
export interface AnnounceAttempt {
  readonly id: number;
  readonly url: string;
  /** Index of the tracker's tier (BEP 12), 0 first. */
  readonly tier: number;
  readonly event: ScheduleEvent;
}

/** What to do now: announce, wait until `at`, wait for the announce in flight, or nothing. */
export type Due =
  | { readonly kind: 'announce'; readonly attempt: AnnounceAttempt }
  | { readonly kind: 'wait'; readonly at: number }
  | { readonly kind: 'busy' }
  | { readonly kind: 'idle' };

export type SchedulePhase = 'idle' | 'running' | 'stopping' | 'stopped';

/** The part of a tracker's reply the schedule reads, in seconds as trackers send it. */
export interface TrackerTiming {
  readonly interval?: number | undefined;
  readonly minInterval?: number | undefined;
}

/** A tracker as the schedule sees it, for tests and status displays. */
export interface TrackerStatus {
  readonly url: string;
  readonly tier: number;
  /** Failures in a row; 0 after a success. */
  readonly failures: number;
  /** Not to be tried before this time (0: any time). */
  readonly retryAt: number;
  /** It has acknowledged a "started" this session. */
  readonly startSent: boolean;
}

interface Entry {
  readonly url: string;
  failures: number;
  retryAt: number;
  startSent: boolean;
}

interface InFlight {
  readonly attempt: AnnounceAttempt;
  readonly entry: Entry;
  /** completed() had been called when it went out, so its `left` was 0. */
  readonly knewCompleted: boolean;
}

const clamp = (value: number, [low, high]: readonly [number, number]): number =>
  Math.min(Math.max(value, low), high);

/** Fisher-Yates with the given Rng (BEP 12: "shuffle the URLs within each tier"). */
const shuffle = <T>(items: T[], rng: Rng): T[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng.next() * (i + 1)));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
};

export class AnnounceSchedule {
  private readonly options: AnnounceScheduleOptions;
  private readonly tiers: Entry[][];
  private phase: SchedulePhase = 'idle';
  /** The next regular announce is not before this. */
  private nextAt = 0;
  private inFlight: InFlight | undefined;
  /** The tracker of the last success: where "completed" and "stopped" go. */
  private working: Entry | undefined;
  private lastSuccessAt: number | undefined;
  private minIntervalMs: number;
  private completedPending = false;
  private completedDone = false;
  private nextId = 1;

  constructor(
    tiers: readonly (readonly string[])[],
    private readonly rng: Rng,
    options?: Partial<AnnounceScheduleOptions>,
  ) {
    this.options = { ...DEFAULT_ANNOUNCE_SCHEDULE_OPTIONS, ...options };
    this.minIntervalMs = this.options.defaultMinIntervalMs;
    // A URL twice in one tier is one tracker; in two tiers, two places to try it.
    this.tiers = tiers
      .map((tier) => [...new Set(tier)])
      .filter((tier) => tier.length > 0)
      .map((tier) =>
        shuffle(
          tier.map((url) => ({ url, failures: 0, retryAt: 0, startSent: false })),
          rng,
        ),
      );
  }

  get state(): SchedulePhase {
    return this.phase;
  }

  /** The trackers in the order they are tried, tier by tier. */
  trackers(): TrackerStatus[] {
    return this.tiers.flatMap((tier, t) =>
      tier.map((e) => ({
        url: e.url,
        tier: t,
        failures: e.failures,
        retryAt: e.retryAt,
        startSent: e.startSent,
      })),
    );
  }

  /** Begins (or begins again) a session: the first announce to each tracker says "started". */
  start(now: number): void {
    if (this.phase === 'running' || this.phase === 'stopping') return;
    this.phase = 'running';
    this.nextAt = now;
    this.working = undefined;
    this.lastSuccessAt = undefined;
    this.completedPending = false;
    this.completedDone = false;
    for (const tier of this.tiers) for (const e of tier) e.startSent = false;
  }

  /** What to do at `now`. A query: nothing changes until `begin`. */
  due(now: number): Due {
    if (this.phase === 'idle' || this.phase === 'stopped') return { kind: 'idle' };
    if (this.inFlight !== undefined) return { kind: 'busy' };
    if (this.phase === 'stopping') {
      // stop() and the outcome handlers leave 'stopping' only while there is someone to tell.
      const entry = this.working as Entry;
      return { kind: 'announce', attempt: this.attemptFor(entry, 'stopped') };
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const tier of this.tiers) for (const e of tier) earliest = Math.min(earliest, e.retryAt);
    if (earliest === Number.POSITIVE_INFINITY) return { kind: 'idle' };
    const at = Math.max(this.nextAt, earliest);
    if (now < at) return { kind: 'wait', at };
    // BEP 12: every announce goes through the tiers in order; a tracker backing off is skipped.
    for (const tier of this.tiers) {
      for (const e of tier) {
        if (e.retryAt <= now)
          return { kind: 'announce', attempt: this.attemptFor(e, this.eventFor(e)) };
      }
    }
    return { kind: 'wait', at };
  }

  /** The runtime sends `attempt` (as `due` gave it). False, and no change, if it is stale. */
  begin(attempt: AnnounceAttempt, now: number): boolean {
    const due = this.due(now);
    if (due.kind !== 'announce' || due.attempt.id !== attempt.id) return false;
    const entry = this.find(attempt.url, attempt.tier);
    if (entry === undefined) return false;
    this.nextId++;
    this.inFlight = { attempt, entry, knewCompleted: this.completedPending };
    return true;
  }

  /** The tracker answered. `timing` is in seconds, as in the reply. */
  succeeded(attempt: AnnounceAttempt, timing: TrackerTiming, now: number): void {
    const flight = this.settle(attempt);
    if (flight === undefined) return;
    const { entry } = flight;
    entry.failures = 0;
    entry.retryAt = 0;
    if (attempt.event === 'stopped') {
      this.phase = 'stopped';
      return;
    }
    if (attempt.event === 'started') {
      entry.startSent = true;
      // BEP 3: no "completed" to a tracker that first heard of us as complete (left = 0).
      if (flight.knewCompleted) this.completedDone = true;
    }
    if (attempt.event === 'completed') this.completedDone = true;
    if (this.completedDone) this.completedPending = false;
    this.moveToFront(entry, attempt.tier);
    this.working = entry;
    this.lastSuccessAt = now;
    const o = this.options;
    const interval = clamp(
      timing.interval === undefined ? o.defaultIntervalMs : timing.interval * 1000,
      o.intervalBoundsMs,
    );
    const minInterval = clamp(
      timing.minInterval === undefined ? o.defaultMinIntervalMs : timing.minInterval * 1000,
      o.minIntervalBoundsMs,
    );
    this.minIntervalMs = Math.min(minInterval, interval);
    // A "completed" that came while this was out goes now: events are not regular announces.
    this.nextAt = this.completedPending ? now : now + interval;
  }

  /** The announce failed (network, time-out, failure reason, malformed reply). */
  failed(attempt: AnnounceAttempt, now: number): void {
    const flight = this.settle(attempt);
    if (flight === undefined) return;
    if (attempt.event === 'stopped') {
      // One try only: a stopping client does not wait out back-offs.
      this.phase = 'stopped';
      return;
    }
    const { entry } = flight;
    entry.failures++;
    entry.retryAt = now + this.backoffMs(entry.failures);
    // nextAt stays: the next tracker in order is tried at once if it is not backing off.
    if (this.phase === 'stopping' && this.working === undefined) this.phase = 'stopped';
  }

  /** The download completed: "completed" goes to the working tracker, once per session. */
  completed(now: number): void {
    if (this.phase !== 'running' || this.completedDone || this.completedPending) return;
    this.completedPending = true;
    this.nextAt = Math.min(this.nextAt, now);
  }

  /** More peers wanted: announce as soon as the tracker's min interval allows. */
  reannounceSoon(now: number): void {
    if (this.phase !== 'running' || this.lastSuccessAt === undefined) return;
    this.nextAt = Math.min(this.nextAt, Math.max(now, this.lastSuccessAt + this.minIntervalMs));
  }

  /** Shutting down: "stopped" to the working tracker, if one ever answered; then nothing. */
  stop(_now: number): void {
    if (this.phase === 'idle' || this.phase === 'stopped') {
      this.phase = 'stopped';
      return;
    }
    if (this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.completedPending = false;
    if (this.inFlight === undefined && this.working === undefined) this.phase = 'stopped';
  }

  /** How long a tracker that failed `failures` times in a row waits before its next try. */
  backoffMs(failures: number): number {
    const o = this.options;
    const full = Math.min(o.backoffBaseMs * 2 ** Math.max(0, failures - 1), o.backoffMaxMs);
    return full * (1 - o.backoffJitter * this.rng.next());
  }

  private attemptFor(entry: Entry, event: ScheduleEvent): AnnounceAttempt {
    return { id: this.nextId, url: entry.url, tier: this.tierOf(entry), event };
  }

  /** "started" until this tracker acknowledged one, then a pending "completed", else none. */
  private eventFor(entry: Entry): ScheduleEvent {
    if (!entry.startSent) return 'started';
    return this.completedPending ? 'completed' : 'none';
  }

  private settle(attempt: AnnounceAttempt): InFlight | undefined {
    const flight = this.inFlight;
    if (flight === undefined || flight.attempt.id !== attempt.id) return undefined;
    this.inFlight = undefined;
    return flight;
  }

  private tierOf(entry: Entry): number {
    return this.tiers.findIndex((tier) => tier.includes(entry));
  }

  private find(url: string, tier: number): Entry | undefined {
    return this.tiers[tier]?.find((e) => e.url === url);
  }

  /** BEP 12: a tracker that answered moves to the front of its tier. */
  private moveToFront(entry: Entry, tier: number): void {
    const list = this.tiers[tier];
    if (list === undefined) return;
    const at = list.indexOf(entry);
    if (at > 0) {
      list.splice(at, 1);
      list.unshift(entry);
    }
  }
}
