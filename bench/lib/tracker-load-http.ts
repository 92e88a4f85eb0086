/**
 * The HTTP side of the load generator (BEP 3 announce, compact replies), run inside a worker
 * thread, on raw TCP sockets (node:net) with hand-written requests (the same path and query as
 * the project's buildAnnounceUrl, checked at start) and a minimal response reader: status line,
 * Content-Length, then the body (or the body up to the server's close).
 *
 * A fixed number of client "lanes" per worker, each bound to one source address, each with
 * one request in flight (no pipelining) and the next sent as soon as a reply is complete:
 *
 *   keep-alive  one connection per lane, reused; a connection the server closes is reopened
 *               (and counted: opentracker closes after every reply);
 *   close       a new connection per request, `Connection: close`: the server replies and
 *               closes first, as opentracker always does. Latency includes the TCP handshake.
 *
 * Every request re-announces (no event) a random peer of the population from the peer's own
 * source address, so the tracker sees the same address and port as when it was announced.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseAnnounceResponse, percentEncode } from '../../src/core/tracker-protocol/index.js';
import {
  checkReplyPeers,
  codecHttpTarget,
  infoHashOf,
  keyText,
  samplePeers,
} from './tracker-load-check.js';
import {
  FastRandom,
  leftOf,
  NUM_WANT,
  type Population,
  peerIdText,
  peerOnAddress,
  peersOnAddress,
  portOf,
  sourceAddress,
  torrentOf,
} from './tracker-load-plan.js';
import { emptyCounts, type LoadCounts, noteError, recordLatency } from './tracker-load-stats.js';
import type { Window } from './tracker-load-udp.js';

export type HttpMode = 'keep-alive' | 'close';

export interface HttpJob {
  readonly protocol: 'http';
  readonly mode: HttpMode;
  readonly host: string;
  readonly port: number;
  readonly pop: Population;
  readonly hashes: Uint8Array;
  readonly worker: number;
  readonly workers: number;
  /** Lanes (requests in flight) in this worker. */
  readonly lanes: number;
  readonly timeoutMs: number;
  readonly checkEvery: number;
  readonly seed: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_RESPONSE = 64 * 1024;
const RETRY_DELAY_MS = 5;
const RETIRE_MS = 2000;

/** Whether the server closes the connection after this reply (HTTP/1.0 does unless told). */
const serverCloses = (head: string): boolean =>
  /\r\nconnection:\s*close/i.test(head) ||
  (head.startsWith('HTTP/1.0') && !/\r\nconnection:\s*keep-alive/i.test(head));

interface Lane {
  readonly address: number;
  socket: Socket | undefined;
  /** A request is in flight. */
  busy: boolean;
  peer: number;
  sentAt: number;
  chunks: Buffer[];
  received: number;
}

export class HttpLoad {
  readonly counts: LoadCounts = emptyCounts();
  private readonly lanes: Lane[] = [];
  private readonly random: FastRandom;
  private readonly encodedHashes: string[];
  private window: Window = { countFrom: 0, countUntil: Infinity, stopAt: Infinity };
  private inFlight = 0;
  private okSeen = 0;
  private finish: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly hostHeader: string;

  constructor(private readonly job: HttpJob) {
    this.random = new FastRandom(job.seed);
    this.hostHeader = `${job.host}:${job.port}`;
    this.encodedHashes = [];
    for (let t = 0; t < job.pop.torrents; t++) {
      this.encodedHashes.push(percentEncode(infoHashOf(job.hashes, t)));
    }
    for (let i = 0; i < job.lanes; i++) {
      const address = (i * job.workers + job.worker) % job.pop.addresses;
      this.lanes.push({
        address,
        socket: undefined,
        busy: false,
        peer: -1,
        sentAt: 0,
        chunks: [],
        received: 0,
      });
    }
    for (const peer of samplePeers(job.pop)) {
      if (this.target(peer) !== codecHttpTarget(job.pop, job.hashes, peer)) {
        throw new Error(`HTTP request of peer ${peer} differs from buildAnnounceUrl's`);
      }
    }
  }

  run(window: Window): Promise<void> {
    this.window = window;
    return new Promise((resolve) => {
      this.finish = resolve;
      this.ticker = setInterval(() => this.onTick(), 20);
      const now = performance.now();
      for (const lane of this.lanes) this.next(lane, now);
    });
  }

  close(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    for (const lane of this.lanes) lane.socket?.destroy();
  }

  // -------------------------------------------------------------------------------------------

  /** The path and query of the announce of `peer`. */
  private target(peer: number): string {
    const { pop } = this.job;
    return (
      `/announce?info_hash=${this.encodedHashes[torrentOf(pop, peer)]}` +
      `&peer_id=${peerIdText(peer)}&port=${portOf(pop, peer)}&uploaded=0&downloaded=0` +
      `&left=${leftOf(peer)}&compact=1&numwant=${NUM_WANT}&key=${keyText(peer)}`
    );
  }

  private request(peer: number): string {
    const connection = this.job.mode === 'close' ? 'Connection: close\r\n' : '';
    return `GET ${this.target(peer)} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n${connection}\r\n`;
  }

  private open(lane: Lane): Socket {
    const socket = connect({
      host: this.job.host,
      port: this.job.port,
      localAddress: sourceAddress(lane.address),
      noDelay: true,
    });
    this.counts.connects++;
    lane.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (lane.socket === socket) this.onData(lane, chunk);
    });
    socket.on('end', () => {
      if (lane.socket === socket) this.onEnd(lane);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (lane.socket !== socket) return;
      this.counts.connectionErrors++;
      noteError(this.counts, `socket: ${e.code ?? e.message}`);
      this.drop(lane, true);
    });
    return socket;
  }

  /** Sends the lane's next request, or leaves it idle past the stop time. */
  private next(lane: Lane, now: number): void {
    if (now >= this.window.stopAt) {
      lane.socket?.destroy();
      lane.socket = undefined;
      this.maybeFinish(now);
      return;
    }
    const { pop } = this.job;
    const peer = peerOnAddress(
      pop,
      lane.address,
      this.random.below(peersOnAddress(pop, lane.address)),
    );
    const socket =
      this.job.mode === 'close' || lane.socket === undefined ? this.open(lane) : lane.socket;
    lane.peer = peer;
    lane.sentAt = now;
    lane.busy = true;
    lane.chunks = [];
    lane.received = 0;
    this.inFlight++;
    this.counts.sent++;
    socket.write(this.request(peer));
  }

  /**
   * Detaches a connection the server is about to close, and lets the server close it first
   * (node ends its side on the server's FIN): the server, not this client, then holds the
   * TIME_WAIT, and the client's ports on its source address are not used up.
   */
  private retire(lane: Lane): void {
    const socket = lane.socket;
    lane.socket = undefined;
    socket?.setTimeout(RETIRE_MS, () => socket.destroy());
  }

  /** Forgets the lane's connection; a request in flight is lost (`counted`: already counted). */
  private drop(lane: Lane, counted: boolean): void {
    const socket = lane.socket;
    lane.socket = undefined;
    socket?.destroy();
    if (lane.busy) {
      lane.busy = false;
      this.inFlight--;
      if (!counted) this.counts.connectionErrors++;
      setTimeout(() => this.next(lane, performance.now()), RETRY_DELAY_MS);
    }
  }

  private onData(lane: Lane, chunk: Buffer): void {
    if (!lane.busy) {
      this.counts.malformed++;
      return;
    }
    lane.chunks.push(chunk);
    lane.received += chunk.length;
    const data = lane.chunks.length === 1 ? chunk : Buffer.concat(lane.chunks, lane.received);
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) {
      if (lane.received > MAX_RESPONSE) this.complete(lane, data, -1);
      return;
    }
    const head = data.toString('latin1', 0, headerEnd);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (m?.[1] === undefined) return; // read to the end of the connection
    const length = Number(m[1]);
    if (data.length >= headerEnd + 4 + length) this.complete(lane, data, headerEnd);
  }

  private onEnd(lane: Lane): void {
    if (!lane.busy) {
      // Keep-alive: the server closed an idle connection after its reply.
      lane.socket?.destroy();
      lane.socket = undefined;
      return;
    }
    const data = Buffer.concat(lane.chunks, lane.received);
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) {
      this.drop(lane, false);
      return;
    }
    this.complete(lane, data, headerEnd);
  }

  private complete(lane: Lane, data: Buffer, headerEnd: number): void {
    const now = performance.now();
    lane.busy = false;
    this.inFlight--;
    const head = headerEnd < 0 ? '' : data.toString('latin1', 0, headerEnd);
    const body = headerEnd < 0 ? data.subarray(0, 0) : data.subarray(headerEnd + 4);
    this.judge(lane, head, body, now);
    if (this.job.mode === 'close' || serverCloses(head)) {
      if (this.job.mode === 'keep-alive') this.counts.serverCloses++;
      this.retire(lane);
    }
    this.next(lane, now);
  }

  /** Counts one reply: ok (with its peers), error or refusal, or malformed. */
  private judge(lane: Lane, head: string, body: Buffer, now: number): void {
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
    if (status === undefined) {
      this.counts.malformed++;
      return;
    }
    if (status !== '200' || body.includes('14:failure reason')) {
      this.counts.errors++;
      noteError(this.counts, `${status} ${body.toString('latin1').slice(0, 120)}`);
      return;
    }
    const at = body.indexOf('5:peers');
    const colon = at < 0 ? -1 : body.indexOf(':', at + 7);
    const bytes = colon < 0 ? Number.NaN : Number(body.toString('latin1', at + 7, colon));
    if (body[0] !== 0x64 || !Number.isInteger(bytes) || bytes % 6 !== 0) {
      this.counts.malformed++;
      noteError(this.counts, `unreadable reply: ${body.toString('latin1').slice(0, 120)}`);
      return;
    }
    const peers = bytes / 6;
    this.counts.ok++;
    this.counts.peersReturned += peers;
    if (peers === 0) this.counts.emptyReplies++;
    if (now >= this.window.countFrom && now < this.window.countUntil) {
      this.counts.okInWindow++;
      recordLatency(this.counts, (now - lane.sentAt) * 1000);
    }
    if (this.okSeen++ % this.job.checkEvery === 0) {
      this.counts.checked++;
      const parsed = parseAnnounceResponse(body);
      const good =
        parsed.ok &&
        (parsed.value.interval ?? 0) > 0 &&
        parsed.value.peers.length === peers &&
        checkReplyPeers(this.job.pop, lane.peer, parsed.value.peers, this.counts);
      if (!good) this.counts.checkFailures++;
    }
  }

  private onTick(): void {
    const now = performance.now();
    for (const lane of this.lanes) {
      if (lane.busy && now - lane.sentAt >= this.job.timeoutMs) {
        this.counts.timeouts++;
        lane.busy = false;
        this.inFlight--;
        lane.socket?.destroy();
        lane.socket = undefined;
        this.next(lane, now);
      }
    }
    this.maybeFinish(now);
  }

  private maybeFinish(now: number): void {
    if (this.inFlight > 0 || now < this.window.stopAt || this.finish === undefined) return;
    const done = this.finish;
    this.finish = undefined;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    for (const lane of this.lanes) lane.socket?.destroy();
    done();
  }
}
