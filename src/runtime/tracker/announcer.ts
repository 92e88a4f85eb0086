/**
 * The trackers of one torrent: drives the pure AnnounceSchedule (core/tracker-client) with a
 * timer and does its announces over HTTP(S) (http-tracker.ts) or UDP (udp-tracker.ts). The
 * torrent gives its stats and gets peers back; it never sees tiers, back-offs or events.
 * Owns one UDP client and one timer (unref'd: a torrent that forgets to stop does not keep the
 * process alive); stop() releases both and never hangs.
 */
import {
  type AnnounceAttempt,
  AnnounceSchedule,
  type AnnounceScheduleOptions,
  type TrackerStatus,
} from '../../core/tracker-client/announce-schedule.js';
import { type AnnounceResponse, formatIp, unmapIpv4 } from '../../core/tracker-protocol/index.js';
import { toHex } from '../../lib/bytes.js';
import { FanseedError } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Clock, Rng } from '../../lib/ports.js';
import { type HttpTrackerOptions, httpAnnounce } from './http-tracker.js';
import { UdpTrackerClient, type UdpTrackerOptions } from './udp-tracker.js';

export interface AnnounceStats {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
}

/** A peer a tracker gave, ready to dial. */
export interface AnnouncedPeer {
  readonly host: string;
  readonly port: number;
}

export interface AnnouncerOptions {
  /** BEP 12 tiers of tracker URLs; http, https and udp ones are used, others ignored. */
  readonly tiers: readonly (readonly string[])[];
  /** 20 bytes: the v1 info-hash, or a v2 one truncated (BEP 52). */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
  /** The port we accept peers on, 1..65535. */
  readonly port: number;
  /** Tier shuffle, back-off jitter, the session key, UDP transaction ids. */
  readonly rng: Rng;
  /** Read at each announce. */
  readonly stats: () => AnnounceStats;
  /** Called with the peers of each reply that has any. */
  readonly onPeers: (peers: AnnouncedPeer[]) => void;
  /** Called for each failed announce; the announcer carries on with the next tracker. */
  readonly onError?: (url: string, error: FanseedError) => void;
  /** Peers asked for in each announce (none with "stopped"). Default 50. */
  readonly numWant?: number;
  /** The longest stop() waits for the tracker to hear "stopped". Default 5 s. */
  readonly stopTimeoutMs?: number;
  /** Tuning, mostly for tests. */
  readonly schedule?: Partial<AnnounceScheduleOptions>;
  readonly http?: Omit<HttpTrackerOptions, 'signal'>;
  readonly udp?: Omit<UdpTrackerOptions, 'rng'>;
  readonly clock?: Clock;
}

const DEFAULT_NUM_WANT = 50;
const DEFAULT_STOP_TIMEOUT_MS = 5_000;
/** setTimeout's limit; no schedule wait comes near it, but a bad clock could. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const SUPPORTED = /^(https?|udp):\/\//i;

const monotonic: Clock = { now: () => performance.now() };

/** A counter as trackers want it: a non-negative safe integer, whatever the torrent says. */
const counter = (n: number): number =>
  Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;

const asFanseedError = (e: unknown): FanseedError =>
  e instanceof FanseedError
    ? e
    : new FanseedError('IO_FAILED', e instanceof Error ? e.message : String(e), { cause: e });

/** Calls back into the torrent; a throw there is its bug, surfaced, not ours to swallow. */
const callBack = (f: () => void): void => {
  try {
    f();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
};

/** Resolves when `p` settles or `ms` pass, whichever is first. */
const within = (p: Promise<unknown>, ms: number): Promise<void> =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });

export class Announcer {
  private readonly schedule: AnnounceSchedule;
  private readonly udp: UdpTrackerClient;
  private readonly clock: Clock;
  private readonly infoHash: InfoHashV1;
  /** BEP 3 / BEP 15 "key": random, the same for the whole session. */
  private readonly key: number;
  private readonly trackerIds = new Map<string, Uint8Array>();
  private timer: NodeJS.Timeout | undefined;
  private flight:
    | { readonly controller: AbortController; readonly done: Promise<void> }
    | undefined;
  private stopRequested = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: AnnouncerOptions) {
    const hash = infoHashV1(options.infoHash);
    if (hash === undefined || options.peerId.length !== 20) {
      throw new FanseedError('TRACKER_BAD_REQUEST', 'info-hash and peer id must be 20 bytes');
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new FanseedError('TRACKER_BAD_REQUEST', `port must be 1..65535, not ${options.port}`);
    }
    this.infoHash = hash;
    this.clock = options.clock ?? monotonic;
    const tiers = options.tiers.map((tier) => tier.filter((url) => SUPPORTED.test(url)));
    this.schedule = new AnnounceSchedule(tiers, options.rng, options.schedule);
    this.udp = new UdpTrackerClient({ ...options.udp, rng: options.rng });
    this.key = Math.floor(options.rng.next() * 2 ** 32) >>> 0;
  }

  /** The trackers in the order they are tried, with their back-off state. */
  trackers(): TrackerStatus[] {
    return this.schedule.trackers();
  }

  /** Begins announcing ("started" first). Once only: a stopped announcer stays stopped. */
  start(): void {
    if (this.stopRequested) return;
    this.schedule.start(this.clock.now());
    this.pump();
  }

  /** The download completed: "completed" goes to the working tracker (once). */
  completed(): void {
    if (this.stopRequested) return;
    this.schedule.completed(this.clock.now());
    this.pump();
  }

  /** More peers wanted: announce as soon as the tracker's min interval allows. */
  reannounceSoon(): void {
    if (this.stopRequested) return;
    this.schedule.reannounceSoon(this.clock.now());
    this.pump();
  }

  /**
   * Sends "stopped" to the working tracker (if one ever answered), waiting at most
   * `stopTimeoutMs` in all, then closes the UDP socket and the timer. Never rejects.
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    const deadline = this.clock.now() + (this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    this.clearTimer();
    const flight = this.flight;
    if (flight !== undefined) {
      flight.controller.abort();
      await within(flight.done, deadline - this.clock.now());
    }
    const now = this.clock.now();
    this.schedule.stop(now);
    const due = this.schedule.due(now);
    if (due.kind === 'announce' && this.schedule.begin(due.attempt, now)) {
      const controller = new AbortController();
      const left = Math.max(1, deadline - now);
      const timer = setTimeout(() => controller.abort(), left);
      await this.announce(due.attempt, controller.signal, left);
      clearTimeout(timer);
    }
    await this.udp.close();
  }

  private pump(): void {
    if (this.stopRequested) return;
    this.clearTimer();
    const now = this.clock.now();
    const due = this.schedule.due(now);
    switch (due.kind) {
      case 'announce': {
        if (!this.schedule.begin(due.attempt, now)) return;
        const controller = new AbortController();
        const done = this.announce(due.attempt, controller.signal, undefined).then(() => {
          this.flight = undefined;
          this.pump();
        });
        this.flight = { controller, done };
        return;
      }
      case 'wait':
        this.timer = setTimeout(() => this.pump(), Math.min(MAX_TIMER_MS, due.at - now));
        this.timer.unref();
        return;
      case 'busy':
      case 'idle':
        return;
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One announce, its outcome reported to the schedule and the torrent. Never rejects. */
  private async announce(
    attempt: AnnounceAttempt,
    signal: AbortSignal,
    timeoutMs: number | undefined,
  ): Promise<void> {
    let response: AnnounceResponse;
    try {
      response = await this.send(attempt, signal, timeoutMs);
    } catch (e) {
      this.schedule.failed(attempt, this.clock.now());
      const onError = this.options.onError;
      if (onError !== undefined) callBack(() => onError(attempt.url, asFanseedError(e)));
      return;
    }
    this.schedule.succeeded(attempt, response, this.clock.now());
    if (response.trackerId !== undefined) this.trackerIds.set(attempt.url, response.trackerId);
    const peers: AnnouncedPeer[] = [];
    for (const p of response.peers) {
      if (p.port !== 0) peers.push({ host: formatIp(unmapIpv4(p.ip)), port: p.port });
    }
    if (peers.length > 0 && attempt.event !== 'stopped') {
      callBack(() => this.options.onPeers(peers));
    }
  }

  private send(
    attempt: AnnounceAttempt,
    signal: AbortSignal,
    timeoutMs: number | undefined,
  ): Promise<AnnounceResponse> {
    const stats = this.options.stats();
    const common = {
      infoHash: this.infoHash,
      peerId: this.options.peerId,
      port: this.options.port,
      uploaded: counter(stats.uploaded),
      downloaded: counter(stats.downloaded),
      left: counter(stats.left),
      event: attempt.event,
    };
    const numWant = attempt.event === 'stopped' ? 0 : (this.options.numWant ?? DEFAULT_NUM_WANT);
    if (/^udp:/i.test(attempt.url)) {
      return this.udp.announce(attempt.url, { ...common, key: this.key, numWant }, { signal });
    }
    const trackerId = this.trackerIds.get(attempt.url);
    const http = this.options.http ?? {};
    return httpAnnounce(
      attempt.url,
      {
        ...common,
        compact: true,
        numwant: numWant,
        key: toHex(Uint8Array.of(this.key >>> 24, this.key >>> 16, this.key >>> 8, this.key)),
        ...(trackerId === undefined ? {} : { trackerId }),
      },
      {
        ...http,
        signal,
        ...(timeoutMs === undefined
          ? {}
          : { timeoutMs: Math.min(timeoutMs, http.timeoutMs ?? Number.POSITIVE_INFINITY) }),
      },
    );
  }
}
