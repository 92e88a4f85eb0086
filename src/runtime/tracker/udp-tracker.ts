/**
 * A BEP 15 UDP tracker client over node:dgram: connect (the connection id cached per tracker
 * address for a minute), then announce or scrape. Lost packets are retransmitted after
 * 15 * 2^n seconds (BEP 15 "Time outs"); base and tries are options, capped by default so an
 * announce gives up within minutes, not hours. Replies are matched by transaction id (from the
 * Rng) and by source address and port; an error packet is TRACKER_FAILURE with its text. One
 * socket per address family (an IPv4 socket cannot reach an IPv6 tracker), opened when first
 * needed and shared by every request of this client. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import {
  type AnnounceResponse,
  decodeUdpResponse,
  encodeUdpRequest,
  equalIp,
  type IpAddress,
  type IpFamily,
  parseIp,
  type ScrapeResponse,
  UDP_MAX_SCRAPE_HASHES,
  type UdpAnnounceEvent,
  type UdpResponse,
  unmapIpv4,
} from '../../core/tracker-protocol/index.js';
import { FanseedError } from '../../lib/errors.js';
import type { InfoHashV1 } from '../../lib/ids.js';
import type { Clock, Rng } from '../../lib/ports.js';

export interface UdpTrackerOptions {
  /** Transaction ids. */
  readonly rng: Rng;
  /** The first time-out; it doubles with each retransmission (BEP 15: 15 s). */
  readonly baseTimeoutMs?: number;
  /** Sends of a request before giving up. BEP 15 goes up to 9 (over four hours); 3 ends
   * within 105 s at the default base. */
  readonly maxTries?: number;
  /** How long a connection id is used (BEP 15: one minute). */
  readonly connectionTtlMs?: number;
  /** For the connection id's age; a monotonic clock by default. */
  readonly clock?: Clock;
}

type UdpSettings = Required<
  Pick<UdpTrackerOptions, 'baseTimeoutMs' | 'maxTries' | 'connectionTtlMs'>
>;

export const UDP_TRACKER_DEFAULTS: UdpSettings = {
  baseTimeoutMs: 15_000,
  maxTries: 3,
  connectionTtlMs: 60_000,
};

/** An announce as BEP 15 carries it. */
export interface UdpAnnounceParams {
  readonly infoHash: InfoHashV1;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event: UdpAnnounceEvent;
  /** 32 bits, the same for the whole session. */
  readonly key: number;
  /** -1 for the tracker's default. */
  readonly numWant: number;
}

export interface UdpRequestOptions {
  /** Cancels the request (IO_FAILED). */
  readonly signal?: AbortSignal;
}

interface Target {
  readonly label: string;
  readonly address: string;
  readonly ip: IpAddress;
  readonly port: number;
  readonly family: IpFamily;
  /** BEP 41 URLData: path and query of the tracker URL, if any. */
  readonly urlData: string | undefined;
}

type Expected = 'connect' | 'announce' | 'scrape';
type ResponseOf<A extends Expected> = Extract<UdpResponse, { action: A }>;

interface Pending {
  readonly target: Target;
  readonly expect: Expected;
  readonly resolve: (response: UdpResponse) => void;
  readonly reject: (error: FanseedError) => void;
}

const monotonic: Clock = { now: () => performance.now() };

/** Parses udp://host:port[/path?query]; BEP 15 has no default port. */
const parseUdpUrl = (text: string): { host: string; port: number; urlData: string | undefined } => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FanseedError('TRACKER_BAD_REQUEST', `not a URL: ${text}`);
  }
  const port = Number(url.port);
  if (url.protocol !== 'udp:' || url.hostname === '' || !(port >= 1 && port <= 65535)) {
    throw new FanseedError('TRACKER_BAD_REQUEST', `not a udp://host:port tracker URL: ${text}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const rest = url.pathname + url.search;
  return { host, port, urlData: rest === '' || rest === '/' ? undefined : rest };
};

export class UdpTrackerClient {
  private readonly rng: Rng;
  private readonly clock: Clock;
  private readonly settings: UdpSettings;
  private readonly sockets = new Map<IpFamily, Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly connections = new Map<string, { readonly id: bigint; readonly at: number }>();
  private closed = false;

  constructor(options: UdpTrackerOptions) {
    this.rng = options.rng;
    this.clock = options.clock ?? monotonic;
    this.settings = {
      baseTimeoutMs: options.baseTimeoutMs ?? UDP_TRACKER_DEFAULTS.baseTimeoutMs,
      maxTries: Math.max(1, options.maxTries ?? UDP_TRACKER_DEFAULTS.maxTries),
      connectionTtlMs: options.connectionTtlMs ?? UDP_TRACKER_DEFAULTS.connectionTtlMs,
    };
  }

  async announce(
    url: string,
    params: UdpAnnounceParams,
    options: UdpRequestOptions = {},
  ): Promise<AnnounceResponse> {
    const target = await this.resolve(url);
    const r = await this.transact(
      target,
      'announce',
      (connectionId, transactionId) =>
        encodeUdpRequest({
          action: 'announce',
          connectionId,
          transactionId,
          infoHash: params.infoHash,
          peerId: params.peerId,
          downloaded: params.downloaded,
          left: params.left,
          uploaded: params.uploaded,
          event: params.event,
          key: params.key >>> 0,
          numWant: params.numWant,
          port: params.port,
          urlData: target.urlData,
        }),
      options.signal,
    );
    return { interval: r.interval, complete: r.seeders, incomplete: r.leechers, peers: r.peers };
  }

  /** Stats of up to 74 torrents, in the order asked (BEP 15). */
  async scrape(
    url: string,
    infoHashes: readonly InfoHashV1[],
    options: UdpRequestOptions = {},
  ): Promise<ScrapeResponse> {
    if (infoHashes.length === 0 || infoHashes.length > UDP_MAX_SCRAPE_HASHES) {
      throw new FanseedError(
        'TRACKER_BAD_REQUEST',
        `a UDP scrape names 1 to ${UDP_MAX_SCRAPE_HASHES} torrents, not ${infoHashes.length}`,
      );
    }
    const target = await this.resolve(url);
    const r = await this.transact(
      target,
      'scrape',
      (connectionId, transactionId) =>
        encodeUdpRequest({ action: 'scrape', connectionId, transactionId, infoHashes }),
      options.signal,
    );
    if (r.files.length !== infoHashes.length) {
      throw new FanseedError(
        'TRACKER_BAD_PACKET',
        `scrape of ${infoHashes.length} torrents answered with ${r.files.length}`,
      );
    }
    return {
      files: r.files.map((f, i) => ({
        infoHash: infoHashes[i] as InfoHashV1,
        complete: f.seeders,
        downloaded: f.completed,
        incomplete: f.leechers,
      })),
    };
  }

  /** Fails every request still out and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending.values()]) {
      p.reject(new FanseedError('IO_FAILED', 'UDP tracker client closed'));
    }
    const closing = [...this.sockets.values()].map(
      (s) => new Promise<void>((resolve) => s.close(() => resolve())),
    );
    this.sockets.clear();
    await Promise.all(closing);
  }

  private async resolve(url: string): Promise<Target> {
    if (this.closed) throw new FanseedError('IO_FAILED', 'UDP tracker client closed');
    const { host, port, urlData } = parseUdpUrl(url);
    let address: string;
    try {
      ({ address } = await lookup(host));
    } catch (e) {
      throw new FanseedError('IO_FAILED', `cannot resolve ${host}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const ip = parseIp(address);
    if (ip === undefined) throw new FanseedError('IO_FAILED', `${host} resolved to ${address}`);
    return { label: `${host}:${port}`, address, ip, port, family: ip.family, urlData };
  }

  /**
   * Connect (unless a fresh connection id is cached), then the request, retransmitting after
   * each time-out: 15 * 2^n seconds for try n (BEP 15). A connect that times out uses a try.
   */
  private async transact<A extends 'announce' | 'scrape'>(
    target: Target,
    expect: A,
    build: (connectionId: bigint, transactionId: number) => Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<ResponseOf<A>> {
    const { baseTimeoutMs, maxTries } = this.settings;
    for (let n = 0; n < maxTries; ) {
      const timeoutMs = baseTimeoutMs * 2 ** n;
      let connectionId = this.connectionFor(target);
      if (connectionId === undefined) {
        const c = await this.exchange(
          target,
          'connect',
          (transactionId) => encodeUdpRequest({ action: 'connect', transactionId }),
          timeoutMs,
          signal,
        );
        if (c === 'timeout') {
          n++;
          continue;
        }
        connectionId = c.connectionId;
        this.connections.set(keyOf(target), { id: connectionId, at: this.clock.now() });
      }
      const id = connectionId;
      try {
        const r = await this.exchange(target, expect, (tid) => build(id, tid), timeoutMs, signal);
        if (r !== 'timeout') return r;
      } catch (e) {
        // An error may mean the connection id expired early: get a new one next time.
        this.connections.delete(keyOf(target));
        throw e;
      }
      n++;
    }
    throw new FanseedError(
      'IO_FAILED',
      `UDP tracker ${target.label} did not answer after ${maxTries} tries`,
    );
  }

  private connectionFor(target: Target): bigint | undefined {
    const c = this.connections.get(keyOf(target));
    if (c === undefined) return undefined;
    if (this.clock.now() - c.at < this.settings.connectionTtlMs) return c.id;
    this.connections.delete(keyOf(target));
    return undefined;
  }

  /** One send, and the matching reply, or 'timeout'. */
  private exchange<A extends Expected>(
    target: Target,
    expect: A,
    build: (transactionId: number) => Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ResponseOf<A> | 'timeout'> {
    if (this.closed)
      return Promise.reject(new FanseedError('IO_FAILED', 'UDP tracker client closed'));
    if (signal?.aborted) return Promise.reject(cancelled(target));
    const socket = this.socketFor(target.family);
    const tid = this.transactionId();
    const packet = build(tid);
    return new Promise<ResponseOf<A> | 'timeout'>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pending.delete(tid);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        done();
        resolve('timeout');
      }, timeoutMs);
      const onAbort = (): void => {
        done();
        reject(cancelled(target));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(tid, {
        target,
        expect,
        resolve: (r) => {
          done();
          resolve(r as ResponseOf<A>);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      socket.send(packet, target.port, target.address, (e) => {
        if (e !== null && e !== undefined) {
          this.pending.get(tid)?.reject(
            new FanseedError('IO_FAILED', `UDP tracker ${target.label}: ${e.message}`, {
              cause: e,
            }),
          );
        }
      });
    });
  }

  private onMessage(family: IpFamily, message: Buffer, from: RemoteInfo): void {
    if (message.length < 8) return;
    const p = this.pending.get(message.readUInt32BE(4));
    if (p === undefined || p.target.family !== family) return;
    // Only the tracker asked may answer (BEP 15): anyone else could inject peers.
    const source = parseIp(from.address);
    if (source === undefined || from.port !== p.target.port) return;
    if (!equalIp(unmapIpv4(source), unmapIpv4(p.target.ip))) return;
    // opentracker refuses a torrent outside its allow-list with an announce reply cut short
    // after the transaction id, not with a BEP 15 error packet: read it as the refusal it is.
    if (p.expect === 'announce' && message.length === 8 && message.readUInt32BE(0) === 1) {
      return p.reject(
        new FanseedError(
          'TRACKER_FAILURE',
          `UDP tracker ${p.target.label} refused the announce (an announce reply without content)`,
        ),
      );
    }
    const bytes = new Uint8Array(message.buffer, message.byteOffset, message.length);
    const decoded = decodeUdpResponse(bytes, family);
    if (!decoded.ok) return p.reject(FanseedError.from(decoded.error));
    const r = decoded.value;
    if (r.action === 'error') return p.reject(new FanseedError('TRACKER_FAILURE', r.message));
    if (r.action !== p.expect) {
      return p.reject(
        new FanseedError('TRACKER_BAD_PACKET', `expected a ${p.expect} reply, got ${r.action}`),
      );
    }
    p.resolve(r);
  }

  private socketFor(family: IpFamily): Socket {
    const existing = this.sockets.get(family);
    if (existing !== undefined) return existing;
    const socket = createSocket(family === 'ipv4' ? 'udp4' : 'udp6');
    socket.on('message', (m: Buffer, from: RemoteInfo) => this.onMessage(family, m, from));
    socket.on('error', (e) => {
      // The socket is unusable: fail what waits on it, and open a new one next time.
      for (const p of [...this.pending.values()]) {
        if (p.target.family === family) {
          p.reject(new FanseedError('IO_FAILED', `UDP socket: ${e.message}`, { cause: e }));
        }
      }
      if (this.sockets.get(family) === socket) {
        this.sockets.delete(family);
        socket.close();
      }
    });
    // The socket alone never keeps the process alive; a request out does (its timer).
    socket.unref();
    this.sockets.set(family, socket);
    return socket;
  }

  private transactionId(): number {
    for (;;) {
      const tid = Math.floor(this.rng.next() * 2 ** 32) >>> 0;
      if (!this.pending.has(tid)) return tid;
    }
  }
}

const keyOf = (t: Target): string => `${t.family}/${t.address}/${t.port}`;

const cancelled = (t: Target): FanseedError =>
  new FanseedError('IO_FAILED', `request to UDP tracker ${t.label} cancelled`);
