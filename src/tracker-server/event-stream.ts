/**
 * GET /events: Server-Sent Events for dashboards. Each tick sends the totals when they changed
 * (and a comment line now and then to keep proxies from closing the stream) and one "torrent"
 * event per torrent with activity since the last tick, at most `maxTorrentEvents` a tick.
 * Bounded: at most `maxSubscribers` streams (others get 503), and a subscriber that does not
 * read (its unsent bytes pass `maxBufferedBytes`) is dropped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TrackerCore, torrentKeyHex } from '../core/tracker-server/index.js';
import { sendJson } from './http-util.js';

export interface EventStreamOptions {
  readonly maxSubscribers: number;
  readonly tickMs: number;
  readonly maxTorrentEvents: number;
  readonly maxBufferedBytes: number;
  /** A keep-alive comment after this long without an event. */
  readonly heartbeatMs: number;
}

export const DEFAULT_EVENT_STREAM: EventStreamOptions = {
  maxSubscribers: 32,
  tickMs: 1000,
  maxTorrentEvents: 100,
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 15_000,
};

export class EventStream {
  private readonly subscribers = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;
  private lastTotals = '';
  private lastSentAt = 0;

  constructor(
    private readonly core: TrackerCore,
    private readonly options: EventStreamOptions,
  ) {
    this.timer = setInterval(() => this.tick(), options.tickMs);
    this.timer.unref();
  }

  get count(): number {
    return this.subscribers.size;
  }

  subscribe(req: IncomingMessage, res: ServerResponse): void {
    if (this.subscribers.size >= this.options.maxSubscribers) {
      sendJson(res, 503, {
        error: { code: 'TRACKER_FULL', message: 'too many event subscribers' },
      });
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 5000\nevent: totals\ndata: ${this.totalsJson()}\n\n`);
    this.subscribers.add(res);
    const drop = (): void => {
      this.subscribers.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
  }

  private totalsJson(): string {
    const t = this.core.totals();
    const life = this.core.stats.lifetime;
    return JSON.stringify({
      torrents: t.torrents,
      peers: t.peers,
      seeders: t.seeders,
      leechers: t.leechers,
      completed: t.completed,
      announces: life.announces,
      completions: life.completions,
    });
  }

  private broadcast(text: string): void {
    for (const res of this.subscribers) {
      if (res.writableLength > this.options.maxBufferedBytes) {
        this.subscribers.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  /** One round of updates (the timer calls it; tests may too). */
  tick(): void {
    const changed = this.core.stats.takeChanged();
    if (this.subscribers.size === 0) return;
    let text = '';
    const totals = this.totalsJson();
    if (totals !== this.lastTotals) {
      this.lastTotals = totals;
      text += `event: totals\ndata: ${totals}\n\n`;
    }
    for (const key of changed.slice(0, this.options.maxTorrentEvents)) {
      const c = this.core.counts(key);
      if (c === undefined) continue;
      const row = {
        infoHash: torrentKeyHex(key),
        seeders: c.seeders,
        leechers: c.leechers,
        completed: c.completed,
      };
      text += `event: torrent\ndata: ${JSON.stringify(row)}\n\n`;
    }
    const now = Date.now();
    if (text === '' && now - this.lastSentAt >= this.options.heartbeatMs) text = ': keep-alive\n\n';
    if (text === '') return;
    this.lastSentAt = now;
    this.broadcast(text);
  }

  close(): void {
    clearInterval(this.timer);
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
  }
}
