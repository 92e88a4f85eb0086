/**
 * The UDP side of the load generator (BEP 15), run inside a worker thread. One connected
 * socket per source address (127.0.0.2, ...), each with its own connection id (renewed every
 * 30 s, BEP 15 allows 60); a fixed window of requests in flight, each slot with its own packet
 * buffer filled by hand (the same bytes as the project's encodeUdpRequest, checked at start).
 * A reply frees its slot, which sends the next request at once (closed loop). The transaction
 * id names the slot and its generation, so a late reply to a request given up is told apart.
 *
 * Two jobs: 'populate' announces (event started) each of this worker's peers once, retrying
 * the ones whose reply is lost; 'steady' re-announces (no event) random peers of the population
 * until the stop time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { decodeUdpResponse } from '../../src/core/tracker-protocol/index.js';
import {
  checkReplyPeers,
  codecUdpAnnounce,
  infoHashOf,
  keyOf,
  samplePeers,
} from './tracker-load-check.js';
import {
  addressOf,
  FastRandom,
  leftOf,
  NUM_WANT,
  type Population,
  peerOnAddress,
  peersOnAddress,
  portOf,
  sourceAddress,
  torrentOf,
  writePeerId,
} from './tracker-load-plan.js';
import { emptyCounts, type LoadCounts, noteError, recordLatency } from './tracker-load-stats.js';

export interface UdpJob {
  readonly protocol: 'udp';
  readonly job: 'populate' | 'steady';
  readonly host: string;
  readonly port: number;
  readonly pop: Population;
  readonly hashes: Uint8Array;
  readonly worker: number;
  readonly workers: number;
  /** Requests in flight in this worker (at most 4096). */
  readonly window: number;
  readonly timeoutMs: number;
  /** Decode one ok reply in this many with the project's codec and check its peers. */
  readonly checkEvery: number;
  readonly seed: number;
}

/** Times on this thread's performance.now() clock. */
export interface Window {
  readonly countFrom: number;
  readonly countUntil: number;
  readonly stopAt: number;
}

const CONNECT_TID = 0x80000000;
const SLOT_BITS = 12;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const MAX_RETRIES = 5;
const RENEW_MS = 30_000;
const EVENT_STARTED = 2;

interface Slot {
  readonly index: number;
  readonly packet: Buffer;
  peer: number;
  socket: number;
  sentAt: number;
  gen: number;
  tries: number;
  busy: boolean;
}

interface Endpoint {
  readonly socket: Socket;
  readonly address: number;
  readonly connectionId: Buffer;
  connected: boolean;
}

export class UdpLoad {
  readonly counts: LoadCounts = emptyCounts();
  private readonly endpoints: Endpoint[] = [];
  private readonly slots: Slot[] = [];
  private readonly random: FastRandom;
  private inFlight = 0;
  private okSeen = 0;
  private window: Window = { countFrom: 0, countUntil: Infinity, stopAt: Infinity };
  /** populate: this worker's next peer (worker + k * workers). */
  private nextPeer: number;
  private finish: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly job: UdpJob) {
    this.random = new FastRandom(job.seed);
    this.nextPeer = job.worker;
    if (job.window < 1 || job.window > SLOT_MASK + 1) throw new Error('UDP window out of range');
    for (let i = 0; i < job.window; i++) {
      const packet = Buffer.alloc(98);
      packet.writeUInt32BE(1, 8);
      packet.writeInt32BE(NUM_WANT, 92);
      this.slots.push({
        index: i,
        packet,
        peer: -1,
        socket: 0,
        sentAt: 0,
        gen: 0,
        tries: 0,
        busy: false,
      });
    }
    this.selfCheck();
  }

  /** Binds a socket to every source address and gets a connection id on each. */
  async open(): Promise<void> {
    const { pop, host, port } = this.job;
    for (let a = 0; a < pop.addresses; a++) {
      const socket = createSocket({
        type: 'udp4',
        recvBufferSize: 4 << 20,
        sendBufferSize: 1 << 20,
      });
      const endpoint: Endpoint = {
        socket,
        address: a,
        connectionId: Buffer.alloc(8),
        connected: false,
      };
      const index = this.endpoints.length;
      this.endpoints.push(endpoint);
      socket.on('message', (msg) => this.onMessage(index, msg));
      socket.on('error', (e) => noteError(this.counts, `socket: ${e.message}`));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: sourceAddress(a), port: 0, exclusive: true }, () => {
          socket.connect(port, host, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      });
    }
    for (let attempt = 0; attempt < 20 && this.endpoints.some((e) => !e.connected); attempt++) {
      this.endpoints.forEach((e, i) => {
        if (!e.connected) this.sendConnect(i);
      });
      await new Promise((r) => setTimeout(r, 250));
    }
    const missing = this.endpoints.filter((e) => !e.connected).length;
    if (missing > 0) throw new Error(`no UDP connect reply on ${missing} socket(s) after 5 s`);
  }

  /** Runs the job; resolves when it is done (populate) or past the stop time and drained. */
  run(window: Window): Promise<void> {
    this.window = window;
    return new Promise((resolve) => {
      this.finish = resolve;
      this.timers.push(setInterval(() => this.onTick(), 20));
      this.timers.push(
        setInterval(() => {
          for (let i = 0; i < this.endpoints.length; i++) this.sendConnect(i);
        }, RENEW_MS),
      );
      for (const slot of this.slots) this.fill(slot, performance.now());
      this.maybeFinish(performance.now());
    });
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const e of this.endpoints) e.socket.close();
  }

  // -------------------------------------------------------------------------------------------

  private selfCheck(): void {
    const { pop, hashes } = this.job;
    const slot = this.slots[0];
    if (slot === undefined) return;
    for (const peer of samplePeers(pop)) {
      for (const event of ['started', 'none'] as const) {
        this.write(slot, peer, 0x1122334455667788n, 0x01020304, event === 'started' ? 2 : 0);
        const codec = codecUdpAnnounce(pop, hashes, peer, 0x1122334455667788n, 0x01020304, event);
        if (!slot.packet.equals(codec)) {
          throw new Error(`UDP request of peer ${peer} differs from encodeUdpRequest's`);
        }
      }
    }
  }

  private write(slot: Slot, peer: number, connectionId: bigint, tid: number, event: number): void {
    const { pop, hashes } = this.job;
    const p = slot.packet;
    p.writeBigUInt64BE(connectionId, 0);
    p.writeUInt32BE(tid, 12);
    p.set(infoHashOf(hashes, torrentOf(pop, peer)), 16);
    writePeerId(peer, p, 36);
    p.writeUInt32BE(0, 64);
    p.writeUInt32BE(leftOf(peer), 68);
    p.writeUInt32BE(event, 80);
    p.writeUInt32BE(keyOf(peer), 88);
    p.writeUInt16BE(portOf(pop, peer), 96);
  }

  private sendConnect(index: number): void {
    const e = this.endpoints[index];
    if (e === undefined) return;
    const packet = Buffer.alloc(16);
    packet.writeBigUInt64BE(0x41727101980n, 0);
    packet.writeUInt32BE(0, 8);
    packet.writeUInt32BE((CONNECT_TID | index) >>> 0, 12);
    e.socket.send(packet);
  }

  /** The next peer to announce, or -1 when there is none (populate done, or past stop time). */
  private pickPeer(now: number): number {
    const { pop } = this.job;
    if (this.job.job === 'populate') {
      if (this.nextPeer >= pop.peers) return -1;
      const p = this.nextPeer;
      this.nextPeer += this.job.workers;
      return p;
    }
    if (now >= this.window.stopAt) return -1;
    const address = this.random.below(pop.addresses);
    return peerOnAddress(pop, address, this.random.below(peersOnAddress(pop, address)));
  }

  /** Sends the next request from `slot`: a new peer, or `retry` (a peer whose reply was lost). */
  private fill(slot: Slot, now: number, retry = -1): void {
    const peer = retry >= 0 ? retry : this.pickPeer(now);
    if (peer < 0) return;
    if (retry < 0) slot.tries = 0;
    const index = addressOf(this.job.pop, peer);
    const e = this.endpoints[index];
    if (e === undefined) return;
    slot.peer = peer;
    slot.socket = index;
    slot.gen = (slot.gen + 1) & 0x7ffff;
    slot.sentAt = now;
    slot.busy = true;
    const tid = ((slot.gen << SLOT_BITS) | slot.index) >>> 0;
    this.write(slot, peer, 0n, tid, this.job.job === 'populate' ? EVENT_STARTED : 0);
    slot.packet.set(e.connectionId, 0);
    this.inFlight++;
    this.counts.sent++;
    e.socket.send(slot.packet);
  }

  private onMessage(index: number, msg: Buffer): void {
    const now = performance.now();
    if (msg.length < 8) {
      this.counts.malformed++;
      return;
    }
    const action = msg.readUInt32BE(0);
    const tid = msg.readUInt32BE(4);
    if (tid >= CONNECT_TID) {
      const e = this.endpoints[tid & 0xffff];
      if (action === 0 && msg.length >= 16 && e !== undefined) {
        msg.copy(e.connectionId, 0, 8, 16);
        e.connected = true;
      } else if (action === 3) {
        this.counts.errors++;
        noteError(this.counts, `connect: ${msg.subarray(8).toString('latin1')}`);
      }
      return;
    }
    const slot = this.slots[tid & SLOT_MASK];
    if (
      slot === undefined ||
      !slot.busy ||
      slot.gen !== tid >>> SLOT_BITS ||
      slot.socket !== index
    ) {
      this.counts.stray++;
      return;
    }
    slot.busy = false;
    this.inFlight--;
    const inWindow = now >= this.window.countFrom && now < this.window.countUntil;
    if (action === 1 && msg.length >= 20 && (msg.length - 20) % 6 === 0) {
      const peers = (msg.length - 20) / 6;
      this.counts.ok++;
      this.counts.peersReturned += peers;
      if (peers === 0) this.counts.emptyReplies++;
      if (inWindow) {
        this.counts.okInWindow++;
        recordLatency(this.counts, (now - slot.sentAt) * 1000);
      }
      if (this.okSeen++ % this.job.checkEvery === 0) this.check(slot.peer, msg, tid);
    } else if (action === 3) {
      this.counts.errors++;
      noteError(this.counts, msg.subarray(8).toString('latin1').replace(/\0+$/, ''));
    } else {
      this.counts.malformed++;
    }
    this.fill(slot, now);
    this.maybeFinish(now);
  }

  private check(peer: number, msg: Buffer, tid: number): void {
    this.counts.checked++;
    const decoded = decodeUdpResponse(msg);
    const ok =
      decoded.ok &&
      decoded.value.action === 'announce' &&
      decoded.value.transactionId === tid &&
      decoded.value.interval > 0 &&
      decoded.value.seeders + decoded.value.leechers > 0 &&
      checkReplyPeers(this.job.pop, peer, decoded.value.peers, this.counts);
    if (!ok) this.counts.checkFailures++;
  }

  private onTick(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      if (!slot.busy || now - slot.sentAt < this.job.timeoutMs) continue;
      slot.busy = false;
      this.inFlight--;
      this.counts.timeouts++;
      if (this.job.job === 'populate' && slot.tries < MAX_RETRIES) {
        slot.tries++;
        this.fill(slot, now, slot.peer);
        continue;
      }
      this.fill(slot, now);
    }
    this.maybeFinish(now);
  }

  private maybeFinish(now: number): void {
    if (this.inFlight > 0 || this.finish === undefined) return;
    if (this.job.job === 'steady' && now < this.window.stopAt) return;
    if (this.job.job === 'populate' && this.nextPeer < this.job.pop.peers) return;
    const done = this.finish;
    this.finish = undefined;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    done();
  }
}
