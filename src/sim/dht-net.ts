/**
 * A simulated DHT: many DhtNode state machines in one process, joined by a virtual network
 * (seeded latency, optional loss, nodes that can be switched off) under a virtual clock. No
 * sockets and no sleeps: a 500-node network bootstraps and serves a thousand lookups in seconds,
 * the same way every time for the same seed.
 */
import { type AnnounceOptions, type DhtEvent, DhtNode } from '../core/dht/dht-node.js';
import type { LookupStats } from '../core/dht/lookup.js';
import type { NodeAddress } from '../core/dht/types.js';
import type { HashPort } from '../lib/hash-port.js';
import type { NodeId } from '../lib/ids.js';
import { type Rng, seededRng } from '../lib/ports.js';

export interface DhtNetOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly hash: HashPort;
  /** One-way delay of a packet, drawn uniformly in [min, max] milliseconds. */
  readonly latencyMs?: readonly [number, number];
  /** Share of packets lost (0..1). */
  readonly loss?: number;
}

export interface SimNode {
  readonly index: number;
  readonly address: NodeAddress;
  readonly node: DhtNode;
  alive: boolean;
}

export interface LookupResult {
  readonly peers: readonly NodeAddress[];
  readonly stats: LookupStats;
  /** Virtual milliseconds from start to end. */
  readonly ms: number;
}

interface Delivery {
  readonly at: number;
  readonly seq: number;
  readonly to: number;
  /** A datagram from `from`, or (undefined) a tick of node `to`. */
  readonly from: NodeAddress | undefined;
  readonly packet: Uint8Array | undefined;
}

const TICK_AFTER_SEND_MS = [1000, 5000, 60_000] as const;

/** A binary min-heap of deliveries by time, then sequence (stable). */
class Queue {
  private readonly heap: Delivery[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(d: Delivery): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as Delivery, h[p] as Delivery)) break;
      [h[i], h[p]] = [h[p] as Delivery, h[i] as Delivery];
      i = p;
    }
  }
  pop(): Delivery | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Delivery, h[m] as Delivery)) m = l;
        if (r < h.length && before(h[r] as Delivery, h[m] as Delivery)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Delivery, h[i] as Delivery];
        i = m;
      }
    }
    return top;
  }
}
const before = (a: Delivery, b: Delivery): boolean =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class DhtNet {
  readonly nodes: SimNode[] = [];
  now = 0;
  /** Datagrams sent (delivered or not). */
  packets = 0;
  private readonly queue = new Queue();
  private readonly byAddress = new Map<string, number>();
  private readonly rng: Rng;
  private readonly done = new Map<string, LookupResult>();
  private readonly started = new Map<string, number>();
  private readonly tickSlots = new Set<string>();
  private seq = 0;

  constructor(private readonly options: DhtNetOptions) {
    this.rng = seededRng(options.seed);
    for (let i = 0; i < options.nodes; i++) {
      const address = { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 6881 };
      const id = new Uint8Array(20);
      this.rng.fill(id);
      const node = new DhtNode(
        { id: id as NodeId, hash: options.hash, rng: seededRng(options.seed * 7919 + i) },
        0,
      );
      this.nodes.push({ index: i, address, node, alive: true });
      this.byAddress.set(`${address.host}:${address.port}`, i);
    }
  }

  /** Node 0 is the router; the others join one by one through it, then all look themselves up
   * once more, so that early nodes learn of later ones. */
  bootstrapAll(): void {
    const router = (this.nodes[0] as SimNode).address;
    for (const n of this.nodes.slice(1)) {
      this.await(n.index, n.node.bootstrap([router], this.now));
    }
    for (const n of this.nodes) this.await(n.index, n.node.findNode(n.node.id, this.now));
  }

  /** Starts a get_peers lookup at a node (announcing its port when `announce` is set). */
  startGetPeers(index: number, infoHash: Uint8Array, announce?: AnnounceOptions): string {
    const n = this.nodes[index] as SimNode;
    const id = n.node.getPeers(infoHash, this.now, announce);
    this.flush(index);
    const key = `${index}/${id}`;
    this.started.set(key, this.now);
    return key;
  }

  /** The result of a lookup, once it has ended. */
  result(key: string): LookupResult | undefined {
    return this.done.get(key);
  }

  /** Runs one lookup to its end. */
  getPeers(index: number, infoHash: Uint8Array, announce?: AnnounceOptions): LookupResult {
    const key = this.startGetPeers(index, infoHash, announce);
    this.runUntil(() => this.done.has(key));
    return this.done.get(key) as LookupResult;
  }

  /** Switches a node off: packets to it vanish, it sends nothing more. */
  kill(index: number): void {
    const n = this.nodes[index];
    if (n !== undefined) n.alive = false;
  }

  /** Delivers packets and ticks in time order until `stop()` holds or nothing is left. */
  runUntil(stop: () => boolean, maxMs = 10 * 60 * 1000): void {
    const limit = this.now + maxMs;
    while (!stop()) {
      const d = this.queue.pop();
      if (d === undefined || d.at > limit) return;
      this.now = Math.max(this.now, d.at);
      const n = this.nodes[d.to] as SimNode;
      if (!n.alive) continue;
      if (d.packet === undefined) {
        this.tickSlots.delete(`${d.to}:${d.at}`);
        n.node.tick(this.now);
      } else n.node.receive(d.packet, d.from as NodeAddress, this.now);
      this.flush(d.to);
    }
  }

  private await(index: number, lookup: number): void {
    this.flush(index);
    const key = `${index}/${lookup}`;
    this.started.set(key, this.now);
    this.runUntil(() => this.done.has(key));
  }

  /** Carries out what a node asked for: packets onto the network, results into `done`. */
  private flush(index: number): void {
    const n = this.nodes[index] as SimNode;
    const events: DhtEvent[] = n.node.drain();
    let sent = false;
    for (const e of events) {
      if (e.kind === 'send') {
        sent = true;
        this.packets++;
        const to = this.byAddress.get(`${e.to.host}:${e.to.port}`);
        if (to === undefined || this.rng.next() < (this.options.loss ?? 0)) continue;
        const [lo, hi] = this.options.latencyMs ?? [10, 50];
        const at = this.now + lo + Math.floor(this.rng.next() * (hi - lo + 1));
        this.queue.push({ at, seq: this.seq++, to, from: n.address, packet: e.packet });
      } else if (e.kind === 'lookup-done') {
        const key = `${index}/${e.lookup}`;
        const started = this.started.get(key) ?? this.now;
        this.started.delete(key);
        this.done.set(key, { peers: e.peers, stats: e.stats, ms: this.now - started });
      }
    }
    if (sent) for (const after of TICK_AFTER_SEND_MS) this.scheduleTick(index, after);
  }

  private scheduleTick(index: number, afterMs: number): void {
    // Ticks are coalesced on a 100 ms grid: a node ticks at most ten times a virtual second.
    const at = Math.ceil((this.now + afterMs) / 100) * 100;
    const slot = `${index}:${at}`;
    if (this.tickSlots.has(slot)) return;
    this.tickSlots.add(slot);
    this.queue.push({ at, seq: this.seq++, to: index, from: undefined, packet: undefined });
  }
}
