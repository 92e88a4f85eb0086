/**
 * `fanseed tracker` as a library: composes the pure TrackerCore with an HTTP front, a UDP
 * front, the allow-list and passkey files, the admin API, the event stream, the expiry sweep
 * and the statistics snapshot, and owns every socket, timer and watcher it starts (close()
 * releases all of them and saves the snapshot).
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import type { Socket as DgramSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AccessPolicy,
  AddressRateLimiter,
  ConnectionIds,
  DEFAULT_RATE_LIMIT,
  isPasskey,
  type RateLimitOptions,
  type TorrentKey,
  type TrackerConfig,
  TrackerCore,
  torrentKeyFromHex,
} from '../core/tracker-server/index.js';
import { FanseedError } from '../lib/errors.js';
import type { Clock, Rng } from '../lib/ports.js';
import { AdminApi } from './admin-api.js';
import { DEFAULT_EVENT_STREAM, EventStream, type EventStreamOptions } from './event-stream.js';
import { createRequestHandler } from './http-front.js';
import { ListFile } from './list-file.js';
import { loadSnapshotFile, saveSnapshotFile } from './snapshot-file.js';
import { bindUdp, UdpFront } from './udp-front.js';

export interface TrackerServerOptions {
  /** Address to listen on (both fronts). Default 127.0.0.1. */
  readonly host?: string;
  /** HTTP port (0: any free one); null: no HTTP front. Default 8000. */
  readonly httpPort?: number | null;
  /** UDP port (0: any free one); null: no UDP front. Default 8000. */
  readonly udpPort?: number | null;
  /** One hex info-hash per line; implies allow-list mode; re-read when it changes. */
  readonly allowListFile?: string;
  /** Allow-list mode without a file (hashes registered through the admin API only). */
  readonly allowListMode?: boolean;
  /** One passkey per line; when given, announces need /announce/<passkey>. */
  readonly passkeysFile?: string;
  /** Bearer token of the admin API; without one the API is off. */
  readonly adminToken?: string;
  /** Statistics snapshot: loaded at start, saved periodically and on close. */
  readonly statsFile?: string;
  readonly snapshotIntervalMs?: number;
  readonly sweepIntervalMs?: number;
  /** Peer records the sweep looks at per tick. */
  readonly sweepBudget?: number;
  readonly listPollMs?: number;
  readonly maxListBytes?: number;
  readonly tracker?: Partial<TrackerConfig>;
  readonly rateLimit?: Partial<RateLimitOptions>;
  readonly events?: Partial<EventStreamOptions>;
  readonly maxHttpConnections?: number;
  /** /metrics lists each torrent while there are at most this many. */
  readonly metricsMaxTorrents?: number;
  /** Where operational lines go (never anything about a peer). */
  readonly log?: (line: string) => void;
  /** Wall-clock time, for tests. */
  readonly clock?: Clock;
  readonly rng?: Rng;
  /** The UDP connection-id key (16 bytes); random by default. */
  readonly connectionKey?: Uint8Array;
}

export interface TrackerUrls {
  /** http://host:port/announce */
  readonly http?: string;
  /** udp://host:port/announce */
  readonly udp?: string;
  /** http://host:port/stats */
  readonly stats?: string;
}

const wallClock: Clock = { now: () => Date.now() };
const runtimeRng: Rng = { next: Math.random, fill: (bytes) => randomFillSync(bytes) };

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

const listenHttp = (server: Server, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

const listenError = (what: string, host: string, port: number, e: unknown): FanseedError =>
  new FanseedError(
    'IO_FAILED',
    `cannot listen for ${what} on ${urlHost(host)}:${port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    { cause: e },
  );

export class TrackerServer {
  readonly core: TrackerCore;
  readonly events: EventStream;
  readonly udp: UdpFront | undefined;
  readonly limiter: AddressRateLimiter;
  httpPort: number | undefined;
  udpPort: number | undefined;
  private http: Server | undefined;
  private udpSocket: DgramSocket | undefined;
  private readonly lists: ListFile<unknown>[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: (line: string) => void;
  private readonly startedAtMs = Date.now();
  private saving: Promise<void> = Promise.resolve();
  private saveSoon: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(readonly options: TrackerServerOptions) {
    this.log = options.log ?? (() => {});
    const allowListMode = options.allowListMode === true || options.allowListFile !== undefined;
    this.core = new TrackerCore({
      clock: options.clock ?? wallClock,
      rng: options.rng ?? runtimeRng,
      config: options.tracker ?? {},
      policy: new AccessPolicy(allowListMode),
    });
    this.limiter = new AddressRateLimiter({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit });
    this.events = new EventStream(this.core, { ...DEFAULT_EVENT_STREAM, ...options.events });
    this.udp =
      options.udpPort === null
        ? undefined
        : new UdpFront({
            core: this.core,
            connectionIds: new ConnectionIds(options.connectionKey ?? randomBytes(16)),
            limiter: this.limiter,
          });
  }

  /** Starts a tracker; rejects (having released everything) if any part cannot start. */
  static async start(options: TrackerServerOptions = {}): Promise<TrackerServer> {
    const server = new TrackerServer(options);
    try {
      await server.open();
    } catch (e) {
      await server.close({ save: false });
      throw e;
    }
    return server;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get urls(): TrackerUrls {
    const h = urlHost(this.host);
    return {
      ...(this.httpPort === undefined
        ? {}
        : {
            http: `http://${h}:${this.httpPort}/announce`,
            stats: `http://${h}:${this.httpPort}/stats`,
          }),
      ...(this.udpPort === undefined ? {} : { udp: `udp://${h}:${this.udpPort}/announce` }),
    };
  }

  private async open(): Promise<void> {
    const o = this.options;
    if (o.statsFile !== undefined) {
      const report = await loadSnapshotFile(o.statsFile, this.core);
      if (report !== undefined) {
        this.log(
          `statistics: ${report.torrents} torrents from ${o.statsFile}, saved ${new Date(report.savedAtMs).toISOString()}`,
        );
      }
    }
    await this.openLists();
    await this.openHttp();
    await this.openUdp();
    // 25,000 records a second: a pass over 1M peers in 40 s, each tick a few ms of the loop.
    this.every(o.sweepIntervalMs ?? 1000, () => this.core.sweep(o.sweepBudget ?? 25_000));
    this.every(10_000, () => this.limiter.sweep(this.core.now()));
    if (o.statsFile !== undefined)
      this.every(o.snapshotIntervalMs ?? 300_000, () => void this.saveSnapshot());
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(f, ms);
    t.unref();
    this.timers.push(t);
  }

  private async openLists(): Promise<void> {
    const o = this.options;
    const common = {
      log: this.log,
      maxBytes: o.maxListBytes ?? 64 * 1024 * 1024,
      pollMs: o.listPollMs ?? 5000,
    };
    const policy = this.core.policy;
    if (o.allowListFile !== undefined) {
      this.lists.push(
        new ListFile<TorrentKey>({
          ...common,
          path: o.allowListFile,
          what: 'allow-list',
          parse: torrentKeyFromHex,
          apply: (keys) => policy.setFileList(keys),
        }) as ListFile<unknown>,
      );
    }
    if (o.passkeysFile !== undefined) {
      this.lists.push(
        new ListFile<string>({
          ...common,
          path: o.passkeysFile,
          what: 'passkeys',
          parse: (w) => (isPasskey(w) ? w : undefined),
          apply: (keys) => policy.setPasskeys(keys),
        }) as ListFile<unknown>,
      );
    }
    for (const list of this.lists) {
      await list.load();
      list.watch();
    }
  }

  private async openHttp(): Promise<void> {
    const o = this.options;
    if (o.httpPort === null) return;
    const admin = new AdminApi(this.core, o.adminToken, () => this.snapshotSoon());
    const handler = createRequestHandler({
      core: this.core,
      admin,
      events: this.events,
      figures: () => ({
        startedAtMs: this.startedAtMs,
        udpRateLimited: this.limiter.refused,
        sseSubscribers: this.events.count,
        rssBytes: process.memoryUsage.rss(),
      }),
      metricsMaxTorrents: o.metricsMaxTorrents ?? 1000,
      statsCacheMs: 1000,
      log: this.log,
    });
    const http = createServer(
      { maxHeaderSize: 8192, requestTimeout: 15_000, headersTimeout: 10_000, noDelay: true },
      handler,
    );
    http.keepAliveTimeout = 15_000;
    http.maxConnections = o.maxHttpConnections ?? 20_000;
    this.http = http;
    const port = o.httpPort ?? 8000;
    try {
      this.httpPort = await listenHttp(http, this.host, port);
    } catch (e) {
      this.http = undefined;
      throw listenError('HTTP', this.host, port, e);
    }
  }

  private async openUdp(): Promise<void> {
    if (this.udp === undefined) return;
    const port = this.options.udpPort ?? 8000;
    try {
      this.udpSocket = await bindUdp(this.udp, this.host, port, this.log);
    } catch (e) {
      throw listenError('UDP', this.host, port, e);
    }
    this.udpPort = this.udpSocket.address().port;
  }

  /** Re-reads the allow-list and passkey files now (they are also watched). */
  async reloadLists(): Promise<void> {
    await Promise.all(this.lists.map((l) => l.reload()));
  }

  /** Writes the snapshot now (atomically); saves never overlap. */
  saveSnapshot(): Promise<void> {
    const path = this.options.statsFile;
    if (path === undefined) return Promise.resolve();
    this.saving = this.saving.then(() =>
      saveSnapshotFile(path, this.core).then(
        () => undefined,
        (e: unknown) => this.log(`statistics: ${(e as Error).message}`),
      ),
    );
    return this.saving;
  }

  private snapshotSoon(): void {
    if (this.options.statsFile === undefined || this.saveSoon !== undefined) return;
    this.saveSoon = setTimeout(() => {
      this.saveSoon = undefined;
      void this.saveSnapshot();
    }, 1000);
    this.saveSoon.unref();
  }

  /** Stops every front, timer and watcher, then saves the snapshot. Idempotent. */
  close(options: { save?: boolean } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.save !== false);
    return this.closing;
  }

  private async shutdown(save: boolean): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (this.saveSoon !== undefined) clearTimeout(this.saveSoon);
    for (const l of this.lists) l.close();
    this.events.close();
    const http = this.http;
    if (http !== undefined) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    }
    const udp = this.udpSocket;
    if (udp !== undefined) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (save) await this.saveSnapshot();
    else await this.saving;
  }
}
