/**
 * The tracker's statistics that are not swarm state: per-torrent minute series, the whole
 * tracker's minute series and running totals. Only counts: nothing here can identify a peer,
 * which is what lets it be written to a snapshot file.
 */
import { GlobalSeries, MinuteSeries, minuteOf, SERIES_KEEP_MINUTES } from './minute-series.js';
import type { TorrentKey } from './swarm-store.js';

/** Counters kept across restarts (in the snapshot). */
export interface LifetimeCounters {
  announces: number;
  completions: number;
  scrapes: number;
}

/** Counters since this process started. */
export interface SessionCounters {
  httpAnnounces: number;
  udpAnnounces: number;
  httpScrapes: number;
  udpScrapes: number;
  udpConnects: number;
  /** Announces and scrapes refused (malformed, not allowed, bad passkey, full). */
  refused: number;
  expiredPeers: number;
}

export class StatsBook {
  private readonly series = new Map<TorrentKey, MinuteSeries>();
  readonly global = new GlobalSeries();
  readonly lifetime: LifetimeCounters = { announces: 0, completions: 0, scrapes: 0 };
  readonly session: SessionCounters = {
    httpAnnounces: 0,
    udpAnnounces: 0,
    httpScrapes: 0,
    udpScrapes: 0,
    udpConnects: 0,
    refused: 0,
    expiredPeers: 0,
  };
  /** Torrents with activity since the last takeChanged() (for live updates), bounded. */
  private changed = new Set<TorrentKey>();

  constructor(private readonly maxChanged = 1024) {}

  get torrentCount(): number {
    return this.series.size;
  }

  private seriesFor(key: TorrentKey): MinuteSeries {
    let s = this.series.get(key);
    if (s === undefined) {
      s = new MinuteSeries();
      this.series.set(key, s);
    }
    return s;
  }

  private touched(key: TorrentKey): void {
    if (this.changed.size < this.maxChanged) this.changed.add(key);
  }

  /** One announce on `key`, which has `torrentPeers` peers after it, of `totalPeers`. */
  announced(
    key: TorrentKey,
    nowMs: number,
    completed: boolean,
    torrentPeers: number,
    totalPeers: number,
  ): void {
    const minute = minuteOf(nowMs);
    const c = completed ? 1 : 0;
    this.seriesFor(key).record(minute, 1, c, torrentPeers);
    this.global.record(minute, 1, c, totalPeers);
    this.lifetime.announces++;
    this.lifetime.completions += c;
    this.touched(key);
  }

  /** The peer count of `key` changed without an announce (peers expired). */
  peersChanged(key: TorrentKey, nowMs: number, torrentPeers: number, totalPeers: number): void {
    const minute = minuteOf(nowMs);
    this.seriesFor(key).record(minute, 0, 0, torrentPeers);
    this.global.record(minute, 0, 0, totalPeers);
    this.touched(key);
  }

  scraped(count: number): void {
    this.lifetime.scrapes += count;
  }

  seriesOf(key: TorrentKey): MinuteSeries | undefined {
    return this.series.get(key);
  }

  /** For snapshot loading: the series of `key`, created empty. */
  restoreSeries(key: TorrentKey): MinuteSeries {
    return this.seriesFor(key);
  }

  forEachSeries(visit: (key: TorrentKey, series: MinuteSeries) => void): void {
    for (const [key, s] of this.series) visit(key, s);
  }

  /** The torrents touched since the last call, and forgets them. */
  takeChanged(): TorrentKey[] {
    const out = [...this.changed];
    this.changed = new Set();
    return out;
  }

  /** Prunes every series to the 7-day window and forgets those left empty. */
  sweep(nowMs: number): number {
    const oldest = minuteOf(nowMs) - SERIES_KEEP_MINUTES + 1;
    let dropped = 0;
    for (const [key, s] of this.series) {
      s.prune(oldest);
      if (s.emptySince(oldest)) {
        this.series.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
}
