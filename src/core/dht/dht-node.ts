/**
 * A DHT node (BEP 5) as a pure state machine: packets and the time go in, packets to send and
 * lookup results come out (`drain`). No socket, no timer: the runtime (or the simulator) calls
 * `receive` for each datagram and `tick` a few times a second.
 *
 * It answers queries (unless read-only, BEP 43), keeps its routing table fresh (pings
 * questionable nodes, refreshes quiet buckets), runs iterative lookups (find_node, get_peers,
 * with announce_peer to the closest nodes once a get_peers lookup ends) and bootstraps from
 * routers given by address. Incoming queries are rate-limited per IP address; answers are taken
 * only from the address the query went to, and only for transactions still open.
 */
import { toHex } from '../../lib/bytes.js';
import type { HashPort } from '../../lib/hash-port.js';
import type { NodeId } from '../../lib/ids.js';
import type { Rng } from '../../lib/ports.js';
import { TokenBucket } from '../../lib/token-bucket.js';
import { ExternalAddressVotes } from './external-address.js';
import { decodeKrpc, encodeKrpc } from './krpc.js';
import { DEFAULT_LOOKUP_OPTIONS, Lookup, type LookupKind, type LookupStats } from './lookup.js';
import { randomIdInBucket } from './node-id.js';
import { PeerStore } from './peer-store.js';
import { RoutingTable } from './routing-table.js';
import { serveQuery } from './serve-query.js';
import { TokenIssuer } from './tokens.js';
import type {
  KrpcMessage,
  KrpcQuery,
  KrpcResponseMessage,
  NodeAddress,
  NodeInfo,
} from './types.js';

export interface DhtNodeOptions {
  readonly id: NodeId;
  readonly hash: HashPort;
  readonly rng: Rng;
  /** BEP 43: never answer queries, and say so in ours (`ro`). */
  readonly readOnly?: boolean;
  readonly k?: number;
  readonly alpha?: number;
  /** A query unanswered this long has failed. */
  readonly queryTimeoutMs?: number;
  /** A lookup query unanswered this long frees its slot for another (still awaited). */
  readonly slowAfterMs?: number;
  /** Queries a second accepted from one IP address (a burst of 5 seconds' worth). */
  readonly queriesPerSecond?: number;
  /** Our client version (`v`), 4 bytes by convention. */
  readonly version?: Uint8Array;
}

export interface AnnounceOptions {
  readonly port: number;
  /** Let the receiving nodes take the UDP source port (BEP 5 implied_port). */
  readonly impliedPort?: boolean;
  readonly seed?: boolean;
}

export type DhtEvent =
  | { readonly kind: 'send'; readonly to: NodeAddress; readonly packet: Uint8Array }
  /** Other nodes agree on our external address (BEP 42: a node id is derived from it). */
  | { readonly kind: 'external-address'; readonly host: string }
  /** New peers for a get_peers lookup (sent as they arrive, each peer once per lookup). */
  | {
      readonly kind: 'peers';
      readonly lookup: number;
      readonly infoHash: Uint8Array;
      readonly peers: readonly NodeAddress[];
    }
  | {
      readonly kind: 'lookup-done';
      readonly lookup: number;
      readonly method: LookupKind;
      readonly target: Uint8Array;
      readonly peers: readonly NodeAddress[];
      readonly stats: LookupStats;
      /** announce_peer queries sent once it ended. */
      readonly announced: number;
    };

export interface DhtStats {
  readonly nodes: number;
  readonly buckets: number;
  readonly torrents: number;
  readonly lookupsActive: number;
  readonly queriesServed: number;
  readonly queriesDropped: number;
  readonly packetsRefused: number;
}

type Purpose = 'lookup' | 'bootstrap' | 'ping' | 'verify' | 'announce';

interface Transaction {
  readonly to: NodeAddress;
  /** The id we expect to answer, when known. */
  readonly id: NodeId | undefined;
  readonly purpose: Purpose;
  readonly sentAt: number;
  readonly lookup: number | undefined;
  slow: boolean;
}

interface LookupRecord {
  readonly lookup: Lookup;
  readonly announce: AnnounceOptions | undefined;
  /** Bootstrap queries still out: the lookup cannot end before they are settled. */
  pendingRouters: number;
  /** The lookup of our own id that joins the network: each bucket is refreshed after it. */
  joining: boolean;
  reported: number;
}

const addressKey = (a: NodeAddress): string => `${a.host}:${a.port}`;
const MAX_TRANSACTIONS = 4096;
const MAX_RATE_ENTRIES = 10_000;
const MAINTENANCE_EVERY_MS = 60_000;
const PINGS_PER_ROUND = 8;
/** A node that knows fewer than k others joins again after this, then twice as long, up to a
 * minute (everyone may have joined at once, when the routers knew nobody yet). */
const JOIN_RETRY_MS = 5000;
const JOIN_RETRY_MAX_MS = 60_000;

export class DhtNode {
  readonly table: RoutingTable;
  private readonly peers = new PeerStore();
  private readonly tokens: TokenIssuer;
  private readonly transactions = new Map<string, Transaction>();
  private readonly lookups = new Map<number, LookupRecord>();
  private readonly rates = new Map<string, TokenBucket>();
  /** Open transactions per address ("host:port"). */
  private readonly openTo = new Map<string, number>();
  private readonly out: DhtEvent[] = [];
  private readonly votes = new ExternalAddressVotes();
  private nextT = 0;
  private nextLookup = 1;
  private lastMaintenance: number;
  /** Where we joined through, asked again while the table stays small. */
  private routers: readonly NodeAddress[] = [];
  private lastJoin: number | undefined;
  private joinRetryMs = JOIN_RETRY_MS;
  private served = 0;
  private dropped = 0;
  private refused = 0;
  private readonly o: Required<Omit<DhtNodeOptions, 'version'>> & { version?: Uint8Array };

  constructor(options: DhtNodeOptions, now: number) {
    this.o = {
      readOnly: false,
      k: 8,
      alpha: 3,
      queryTimeoutMs: 5000,
      slowAfterMs: 1000,
      queriesPerSecond: 20,
      ...options,
    };
    this.table = new RoutingTable(options.id, this.o.k, now);
    this.tokens = new TokenIssuer(options.hash, options.rng, now);
    this.lastMaintenance = now;
  }

  get id(): NodeId {
    return this.o.id;
  }

  stats(): DhtStats {
    return {
      nodes: this.table.size,
      buckets: this.table.bucketCount,
      torrents: this.peers.torrentCount,
      lookupsActive: this.lookups.size,
      queriesServed: this.served,
      queriesDropped: this.dropped,
      packetsRefused: this.refused,
    };
  }

  /** What to send and report since the last call. */
  drain(): DhtEvent[] {
    return this.out.splice(0);
  }

  /** Joins the network through routers known only by address: a lookup of our own id. */
  bootstrap(routers: readonly NodeAddress[], now: number): number {
    this.routers = routers;
    this.lastJoin = now;
    const id = this.startLookup('find_node', this.o.id, undefined, now, false);
    const record = this.lookups.get(id) as LookupRecord;
    record.joining = true;
    this.askRouters(id, routers, now);
    this.pump(id, now);
    return id;
  }

  /** Nodes near `target` (a refresh, or a bootstrap after the routers answered). */
  findNode(target: Uint8Array, now: number): number {
    return this.startLookup('find_node', target, undefined, now);
  }

  /** Peers of a torrent; with `announce`, we are announced to the closest nodes at the end. */
  getPeers(infoHash: Uint8Array, now: number, announce?: AnnounceOptions): number {
    return this.startLookup('get_peers', infoHash, announce, now);
  }

  /** Pings an address (a peer's BEP 5 PORT message): if it answers, it joins the table. */
  ping(to: NodeAddress, now: number): void {
    this.query(to, undefined, { method: 'ping' }, 'ping', now, undefined);
  }

  receive(packet: Uint8Array, from: NodeAddress, now: number): void {
    const decoded = decodeKrpc(packet);
    if (!decoded.ok) {
      this.refused++;
      return;
    }
    const m = decoded.value;
    if (m.kind === 'query') {
      if (this.o.readOnly) return;
      if (!this.allow(from, now)) {
        this.dropped++;
        return;
      }
      this.served++;
      if (!m.readOnly) {
        const heard = this.table.heard({ id: m.id, address: from }, now, false);
        if (heard.ping !== undefined && !this.awaiting(heard.ping.address))
          this.query(heard.ping.address, heard.ping.id, { method: 'ping' }, 'ping', now, undefined);
      }
      this.send(from, serveQuery(this.serveContext(), m, from, now));
      return;
    }
    const key = toHex(m.t);
    const tx = this.transactions.get(key);
    if (tx === undefined || addressKey(tx.to) !== addressKey(from)) {
      this.refused++;
      return;
    }
    this.close(key, tx);
    if (m.kind === 'error') return this.failTransaction(tx, now);
    this.onResponse(tx, m, now);
  }

  /** Time-outs, lookups to move on, and (once a minute) table upkeep. */
  tick(now: number): void {
    for (const [key, tx] of this.transactions) {
      const age = now - tx.sentAt;
      if (age >= this.o.queryTimeoutMs) {
        this.close(key, tx);
        this.failTransaction(tx, now);
      } else if (!tx.slow && age >= this.o.slowAfterMs && tx.lookup !== undefined && tx.id) {
        tx.slow = true;
        this.lookups.get(tx.lookup)?.lookup.slow(tx.id);
        this.pump(tx.lookup, now);
      }
    }
    if (
      this.lastJoin !== undefined &&
      this.table.size < this.o.k &&
      now - this.lastJoin >= this.joinRetryMs &&
      ![...this.lookups.values()].some((l) => l.joining)
    ) {
      this.joinRetryMs = Math.min(this.joinRetryMs * 2, JOIN_RETRY_MAX_MS);
      this.bootstrap(this.routers, now);
    }
    if (now - this.lastMaintenance >= MAINTENANCE_EVERY_MS) {
      this.lastMaintenance = now;
      this.maintain(now);
    }
  }

  private maintain(now: number): void {
    for (const n of this.table.questionable(now).slice(0, PINGS_PER_ROUND)) {
      if (!this.awaiting(n.address))
        this.query(n.address, n.id, { method: 'ping' }, 'verify', now, undefined);
    }
    for (const bucket of this.table.staleBuckets(now)) {
      this.table.touchBucket(bucket, now);
      this.findNode(randomIdInBucket(this.o.id, bucket, this.o.rng), now);
    }
    this.peers.expire(now);
    if (this.rates.size > MAX_RATE_ENTRIES / 2) this.rates.clear();
  }

  private onResponse(tx: Transaction, m: KrpcResponseMessage, now: number): void {
    const node: NodeInfo = { id: m.id, address: tx.to };
    if (tx.id !== undefined && toHex(tx.id) !== toHex(m.id)) this.table.failed(tx.id);
    this.table.heard(node, now, true);
    if (m.ip !== undefined) {
      const agreed = this.votes.vote(tx.to, m.ip.host);
      if (agreed !== undefined) this.out.push({ kind: 'external-address', host: agreed });
    }
    const learned = [...(m.nodes ?? []), ...(m.nodes6 ?? [])];
    if (tx.lookup === undefined) return;
    const record = this.lookups.get(tx.lookup);
    if (record === undefined) return;
    if (tx.purpose === 'bootstrap') {
      // A router (known by address only) answered: from now on it is a node of the lookup like
      // any other, with its peers and its token (a small network's router is often among the
      // closest nodes of all).
      record.pendingRouters--;
      record.lookup.add([node]);
      record.lookup.answer(m.id, learned, m.values ?? [], m.token);
      this.reportPeers(tx.lookup, record);
    } else if (tx.purpose === 'lookup') {
      record.lookup.answer(m.id, learned, m.values ?? [], m.token);
      this.reportPeers(tx.lookup, record);
    }
    this.pump(tx.lookup, now);
  }

  private failTransaction(tx: Transaction, now: number): void {
    if (tx.id !== undefined) this.table.failed(tx.id, tx.purpose === 'verify');
    if (tx.lookup === undefined) return;
    const record = this.lookups.get(tx.lookup);
    if (record === undefined) return;
    if (tx.purpose === 'bootstrap') record.pendingRouters--;
    else if (tx.purpose === 'lookup' && tx.id !== undefined) record.lookup.failed(tx.id);
    this.pump(tx.lookup, now);
  }

  private startLookup(
    method: LookupKind,
    target: Uint8Array,
    announce: AnnounceOptions | undefined,
    now: number,
    pumpNow = true,
  ): number {
    const id = this.nextLookup++;
    const lookup = new Lookup(method, target, this.table.closest(target, this.o.k * 2), {
      ...DEFAULT_LOOKUP_OPTIONS,
      alpha: this.o.alpha,
      k: this.o.k,
    });
    this.lookups.set(id, { lookup, announce, pendingRouters: 0, reported: 0, joining: false });
    // A table still this small (joining, or a network of a few nodes): ask the routers too.
    if (pumpNow && this.table.size < this.o.k) this.askRouters(id, this.routers, now);
    if (pumpNow) this.pump(id, now);
    return id;
  }

  /** Sends the lookup's query to routers known by address only. */
  private askRouters(id: number, routers: readonly NodeAddress[], now: number): void {
    const record = this.lookups.get(id);
    if (record === undefined) return;
    const query = this.queryFor(record.lookup);
    for (const to of routers) {
      if (this.query(to, undefined, query, 'bootstrap', now, id)) record.pendingRouters++;
    }
  }

  private queryFor(lookup: Lookup): KrpcQuery {
    return lookup.kind === 'get_peers'
      ? { method: 'get_peers', infoHash: lookup.target }
      : { method: 'find_node', target: lookup.target as NodeId };
  }

  /** Sends the lookup's next queries, or ends it. */
  private pump(id: number, now: number): void {
    const record = this.lookups.get(id);
    if (record === undefined) return;
    const { lookup } = record;
    const query = this.queryFor(lookup);
    for (const n of lookup.next()) {
      if (!this.query(n.address, n.id, query, 'lookup', now, id)) lookup.failed(n.id);
    }
    if (!lookup.done || record.pendingRouters > 0) return;
    this.lookups.delete(id);
    let announced = 0;
    if (record.announce !== undefined && lookup.kind === 'get_peers') {
      const a = record.announce;
      for (const { node, token } of lookup.closestAnswered()) {
        if (token === undefined) continue;
        const q: KrpcQuery = {
          method: 'announce_peer',
          infoHash: lookup.target,
          port: a.port,
          impliedPort: a.impliedPort === true,
          token,
          seed: a.seed,
        };
        if (this.query(node.address, node.id, q, 'announce', now, undefined)) announced++;
      }
    }
    // Joined: the far buckets know only what the walk towards our own id happened to meet;
    // a lookup in each fills it (as BEP 5's refresh would, fifteen minutes later).
    if (record.joining) {
      for (let b = 0; b < this.table.bucketCount - 1; b++) {
        this.table.touchBucket(b, now);
        this.findNode(randomIdInBucket(this.o.id, b, this.o.rng), now);
      }
    }
    this.out.push({
      kind: 'lookup-done',
      lookup: id,
      method: lookup.kind,
      target: lookup.target,
      peers: lookup.peers,
      stats: lookup.stats(),
      announced,
    });
  }

  private reportPeers(id: number, record: LookupRecord): void {
    const all = record.lookup.peers;
    if (all.length === record.reported) return;
    const fresh = all.slice(record.reported);
    record.reported = all.length;
    this.out.push({ kind: 'peers', lookup: id, infoHash: record.lookup.target, peers: fresh });
  }

  /** Sends a query; false when too many are open already. */
  private query(
    to: NodeAddress,
    id: NodeId | undefined,
    query: KrpcQuery,
    purpose: Purpose,
    now: number,
    lookup: number | undefined,
  ): boolean {
    if (this.transactions.size >= MAX_TRANSACTIONS) return false;
    const t = this.transactionId();
    this.transactions.set(toHex(t), { to, id, purpose, sentAt: now, lookup, slow: false });
    const a = addressKey(to);
    this.openTo.set(a, (this.openTo.get(a) ?? 0) + 1);
    this.send(to, {
      kind: 'query',
      t,
      id: this.o.id,
      readOnly: this.o.readOnly,
      version: this.o.version,
      query,
    });
    return true;
  }

  private transactionId(): Uint8Array {
    for (;;) {
      const n = this.nextT;
      this.nextT = (this.nextT + 1) & 0xffff;
      const t = new Uint8Array([n >> 8, n & 0xff]);
      if (!this.transactions.has(toHex(t))) return t;
    }
  }

  private awaiting(to: NodeAddress): boolean {
    return this.openTo.has(addressKey(to));
  }

  private close(key: string, tx: Transaction): void {
    this.transactions.delete(key);
    const a = addressKey(tx.to);
    const left = (this.openTo.get(a) ?? 1) - 1;
    if (left > 0) this.openTo.set(a, left);
    else this.openTo.delete(a);
  }

  /** Per address, as a NAT hides many users behind one; on loopback, per socket, since several
   * nodes on one machine are no abuse (and tests and benchmarks run many). */
  private allow(from: NodeAddress, now: number): boolean {
    const loopback = from.host.startsWith('127.') || from.host === '::1';
    const host = loopback ? `${from.host}:${from.port}` : from.host;
    let bucket = this.rates.get(host);
    if (bucket === undefined) {
      if (this.rates.size >= MAX_RATE_ENTRIES) this.rates.clear();
      bucket = new TokenBucket(this.o.queriesPerSecond, this.o.queriesPerSecond * 5);
      this.rates.set(host, bucket);
    }
    return bucket.take(1, now);
  }

  private send(to: NodeAddress, m: KrpcMessage): void {
    this.out.push({ kind: 'send', to, packet: encodeKrpc(m) });
  }

  private serveContext() {
    return {
      own: this.o.id,
      table: this.table,
      peers: this.peers,
      tokens: this.tokens,
      rng: this.o.rng,
      version: this.o.version,
      k: this.o.k,
    };
  }
}
