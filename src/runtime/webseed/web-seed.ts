/**
 * A web seed (BEP 19): an HTTP mirror standing in as a peer that has every piece. The swarm
 * sends it requests like any peer; it fetches runs of neighbouring blocks as byte ranges over a
 * few keep-alive connections and hands the blocks back as piece messages. It answers like a
 * BEP 6 peer: a cancelled request not yet fetched is rejected; while it backs off after an
 * error it chokes (and rejects what was pending); a mirror that is gone for good, or fails too
 * often, closes.
 */
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { BlockRef } from '../../core/geometry/pieces.js';
import type { Metainfo } from '../../core/metainfo/types.js';
import type { TorrentLayout } from '../../core/torrent/torrent-layout.js';
import { type RangeBatch, takeBatch } from '../../core/webseed/range-plan.js';
import { webSeedFileUrl } from '../../core/webseed/web-seed-url.js';
import type { PeerMessage } from '../../core/wire/messages.js';
import type { ValidPeerMessage } from '../../core/wire/validate.js';
import { HttpPool } from './http-pool.js';
import { getRange, RangeGetError } from './http-range-get.js';

export interface WebSeedOptions {
  readonly url: string;
  readonly meta: Metainfo;
  readonly layout: TorrentLayout;
  /** Ranges fetched at once, each on its own keep-alive connection (default 4). */
  readonly connections?: number | undefined;
  /** Largest range asked for in one request (default 4 MiB). */
  readonly maxRangeBytes?: number;
  /** An answer that stalls this long fails (default 30 s). */
  readonly timeoutMs?: number;
  /** Back-off after a failure: first pause, doubled each time up to the cap (1 s, 60 s). */
  readonly backoffMs?: readonly [first: number, max: number];
  /** Failures in a row after which the mirror is given up (default 8). */
  readonly maxFailures?: number;
  readonly userAgent?: string;
}

export interface WebSeedHooks {
  /** A message from the mirror, as a peer would send it. */
  message(m: ValidPeerMessage): void;
  /** Messages delivered since the last call may be acted on. */
  batchEnd(): void;
  /** Bytes received (counted against download limits): how long reading must wait, in ms
   * (0: go on). */
  received(bytes: number): number;
  /** The mirror gave up (gone, broken, or too many failures). */
  closed(reason: string): void;
}

const MIB = 1024 * 1024;

export class WebSeed {
  private readonly pending: BlockRef[] = [];
  private readonly rejects: BlockRef[] = [];
  private readonly aborts = new Set<AbortController>();
  private readonly responses = new Set<IncomingMessage>();
  /** The disk is behind: every response waits. */
  private diskPaused = false;
  private readonly agents: { https: https.Agent };
  private readonly pools = new Map<string, HttpPool>();
  /** A download limit is in debt until then (ms since the epoch). */
  private limitedUntil = 0;
  private limitTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private failures = 0;
  private backoffTimer: NodeJS.Timeout | undefined;
  private choking = false;
  private scheduled = false;
  private closedWith: string | undefined;
  private readonly connections: number;

  constructor(
    private readonly o: WebSeedOptions,
    private readonly hooks: WebSeedHooks,
  ) {
    this.connections = Math.max(1, o.connections ?? 4);
    this.agents = { https: new https.Agent({ keepAlive: true, maxSockets: this.connections }) };
  }

  get url(): string {
    return this.o.url;
  }

  /** Tells the swarm what a mirror has: everything, and no choking. */
  start(): void {
    this.hooks.message({ kind: 'have-all' });
    this.hooks.message({ kind: 'unchoke' });
    this.hooks.batchEnd();
  }

  /** A message the swarm sends to this "peer": requests and cancels matter, the rest not. */
  send(m: PeerMessage): void {
    if (this.closedWith !== undefined) return;
    if (m.kind === 'request') {
      const ref = { index: m.index, begin: m.begin, length: m.length };
      if (this.choking) this.rejects.push(ref);
      else this.pending.push(ref);
    } else if (m.kind === 'cancel') {
      const i = this.pending.findIndex(
        (r) => r.index === m.index && r.begin === m.begin && r.length === m.length,
      );
      // Not fetched yet: refused at once. Already on the way: it arrives (a late copy).
      if (i >= 0) this.rejects.push(...this.pending.splice(i, 1));
    } else return;
    this.schedule();
  }

  /** The disk fell behind (true) or caught up (false): reading waits or goes on. */
  pauseReading(paused: boolean): void {
    if (this.diskPaused === paused) return;
    this.diskPaused = paused;
    this.applyReading();
  }

  private applyReading(): void {
    const paused = this.diskPaused || this.limitedUntil > Date.now();
    for (const pool of this.pools.values()) pool.pause(paused);
    for (const res of this.responses) {
      if (paused) res.pause();
      else res.resume();
    }
  }

  /** Counts received bytes against the download limits; reading waits while one is in debt. */
  private received(bytes: number): void {
    const wait = this.hooks.received(bytes);
    if (wait <= 0) return;
    this.limitedUntil = Math.max(this.limitedUntil, Date.now() + wait);
    this.applyReading();
    clearTimeout(this.limitTimer);
    // The wait is served when the timer fires, whatever the wall clock says then (a timer may
    // fire a millisecond before Date.now() passes the mark: reading would never resume).
    this.limitTimer = setTimeout(
      () => {
        this.limitedUntil = 0;
        this.applyReading();
      },
      Math.max(1, this.limitedUntil - Date.now()),
    );
  }

  private pool(host: string, port: number): HttpPool {
    const key = `${host}:${port}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new HttpPool(host, port, this.connections);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Stops every request; nothing more is reported. */
  close(): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = 'closed';
    this.stopAll();
  }

  private stopAll(): void {
    clearTimeout(this.backoffTimer);
    clearTimeout(this.limitTimer);
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
    for (const pool of this.pools.values()) pool.close();
    this.agents.https.destroy();
  }

  private giveUp(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    this.stopAll();
    this.hooks.closed(reason);
  }

  // Replies go out after the swarm's current commands are carried out, never inside them.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closedWith !== undefined) return;
    if (this.rejects.length > 0) {
      for (const ref of this.rejects.splice(0)) this.hooks.message({ kind: 'reject', ...ref });
      this.hooks.batchEnd();
    }
    while (!this.choking && this.inFlight < this.connections && this.pending.length > 0) {
      const batch = takeBatch(
        this.pending,
        this.o.layout.layout,
        this.o.layout.pad,
        this.rangeSize(),
      );
      if (batch === undefined) break;
      this.inFlight++;
      void this.fetch(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** What is pending, spread over the free connections, within bounds. */
  private rangeSize(): number {
    let bytes = 0;
    for (const r of this.pending) bytes += r.length;
    const free = Math.max(1, this.connections - this.inFlight);
    return Math.max(256 * 1024, Math.min(this.o.maxRangeBytes ?? 4 * MIB, Math.ceil(bytes / free)));
  }

  private async fetch(batch: RangeBatch): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const blocks = new BlockAssembler(batch.blocks, (ref, data) =>
      this.hooks.message({ kind: 'piece', index: ref.index, begin: ref.begin, block: data }),
    );
    try {
      for (const range of batch.ranges) {
        const fileLength = this.o.meta.files[range.file]?.length ?? 0;
        await getRange(
          {
            url: webSeedFileUrl(this.o.url, this.o.meta, range.file),
            start: range.start,
            end: range.end,
            fileLength,
            agents: this.agents,
            pool: (host, port) => this.pool(host, port),
            timeoutMs: this.o.timeoutMs ?? 30_000,
            userAgent: this.o.userAgent ?? 'fanseed',
          },
          {
            onResponse: (res) => {
              this.responses.add(res);
              res.once('close', () => this.responses.delete(res));
              if (this.diskPaused || this.limitedUntil > Date.now()) res.pause();
            },
            // A view of a shared read buffer for plain HTTP: the blocks it completes are
            // copied into piece buffers by the swarm's writes, run before batchEnd returns.
            onChunk: (chunk) => {
              this.received(chunk.length);
              blocks.push(chunk);
              this.hooks.batchEnd();
            },
          },
          abort.signal,
        );
      }
      this.failures = 0;
    } catch (e) {
      if (this.closedWith !== undefined) return;
      this.failed(e instanceof RangeGetError ? e : new RangeGetError(String(e), false));
      for (const ref of blocks.rest()) this.rejects.push(ref);
    } finally {
      this.aborts.delete(abort);
    }
  }

  private failed(e: RangeGetError): void {
    this.failures++;
    if (e.fatal || this.failures >= (this.o.maxFailures ?? 8)) {
      this.giveUp(e.message);
      return;
    }
    if (this.choking) return;
    // Back off: choke (a BEP 6 peer then rejects what it held), unchoke after the pause.
    this.choking = true;
    this.hooks.message({ kind: 'choke' });
    this.rejects.push(...this.pending.splice(0));
    const [first, max] = this.o.backoffMs ?? [1000, 60_000];
    // A busy mirror's Retry-After (429, 503) is honoured when it asks for longer.
    const pause = Math.max(Math.min(max, first * 2 ** (this.failures - 1)), e.retryAfterMs ?? 0);
    this.backoffTimer = setTimeout(() => {
      if (this.closedWith !== undefined) return;
      this.choking = false;
      this.hooks.message({ kind: 'unchoke' });
      this.hooks.batchEnd();
    }, pause);
    this.schedule();
  }
}

/** Cuts the bytes of a run of blocks, as they stream in, into those blocks. */
class BlockAssembler {
  private next = 0;
  private partial: Uint8Array | undefined;
  private filled = 0;

  constructor(
    private readonly blocks: readonly BlockRef[],
    private readonly done: (ref: BlockRef, data: Uint8Array) => void,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const ref = this.blocks[this.next];
      if (ref === undefined) return;
      if (this.partial === undefined && chunk.length - at >= ref.length) {
        // A whole block inside the chunk: a view, no copy (each read has a buffer of its own).
        this.finish(ref, chunk.subarray(at, at + ref.length));
        at += ref.length;
        continue;
      }
      this.partial ??= new Uint8Array(ref.length);
      const take = Math.min(ref.length - this.filled, chunk.length - at);
      this.partial.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === ref.length) {
        const data = this.partial;
        this.partial = undefined;
        this.filled = 0;
        this.finish(ref, data);
      }
    }
  }

  private finish(ref: BlockRef, data: Uint8Array): void {
    this.next++;
    this.done(ref, data);
  }

  /** Blocks not delivered (the fetch failed part way). */
  rest(): BlockRef[] {
    return this.blocks.slice(this.next);
  }
}
