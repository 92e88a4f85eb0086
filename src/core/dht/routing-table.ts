/**
 * The routing table of BEP 5: k-buckets over the XOR metric. Bucket i holds nodes whose ids share
 * exactly i leading bits with ours; the last bucket holds every node closer than that, and only
 * it splits when full, so the table knows many nodes near us and a few far away.
 *
 * A node is good while it answered a query of ours in the last 15 minutes (or answered once and
 * has sent us queries since); questionable after 15 minutes of silence; bad after failing to
 * answer `MAX_FAILURES` queries in a row. A full bucket takes a new node only in place of a bad
 * one; otherwise the newcomer waits in the bucket's replacement cache, and the table asks the
 * caller to ping the bucket's least recently seen questionable node: if that ping fails, the
 * newcomer moves in.
 *
 * One contact per address: a second id at the same host and port is ignored (an address keeps
 * the id it first came with until it fails), so a host cannot fill a bucket with made-up ids.
 */
import type { NodeId } from '../../lib/ids.js';
import { commonPrefixBits, xorDistanceCompare } from './node-id.js';
import type { NodeInfo } from './types.js';

/** BEP 5: "Nodes become questionable after 15 minutes of inactivity." */
export const QUESTIONABLE_AFTER_MS = 15 * 60 * 1000;
/** Unanswered queries in a row after which a node is bad. */
export const MAX_FAILURES = 2;

interface Entry {
  node: NodeInfo;
  lastSeen: number;
  /** Last answer to one of our queries (undefined: never answered). */
  lastAnswer: number | undefined;
  failures: number;
}

interface Bucket {
  readonly entries: Entry[];
  /** Newest last. */
  readonly replacements: NodeInfo[];
  /** Last time a node of this bucket was added or answered (for refreshes). */
  lastChanged: number;
}

export interface Heard {
  /** The node is in the table now. */
  readonly added: boolean;
  /** Ping this questionable node: if it fails, the new node takes its place. */
  readonly ping?: NodeInfo | undefined;
}

const addressKey = (n: NodeInfo): string => `${n.address.host}:${n.address.port}`;
const sameId = (a: Uint8Array, b: Uint8Array): boolean => xorDistanceCompare(a, b, a) === 0;

export class RoutingTable {
  private readonly buckets: Bucket[];
  private readonly byAddress = new Map<string, Entry>();

  constructor(
    readonly own: NodeId,
    readonly k = 8,
    now = 0,
  ) {
    this.buckets = [{ entries: [], replacements: [], lastChanged: now }];
  }

  /** Nodes in the table (good, questionable and bad). */
  get size(): number {
    return this.byAddress.size;
  }

  get bucketCount(): number {
    return this.buckets.length;
  }

  /**
   * A node was heard from: `answered` when it answered a query of ours, false when it sent us a
   * query (BEP 43 read-only nodes must not be passed here at all).
   */
  heard(node: NodeInfo, now: number, answered: boolean): Heard {
    if (sameId(node.id, this.own) || node.address.port === 0) return { added: false };
    const known = this.byAddress.get(addressKey(node));
    if (known !== undefined) {
      if (!sameId(known.node.id, node.id)) {
        // A new id at a known address: taken only once the old one has gone bad.
        if (known.failures < MAX_FAILURES) return { added: false };
        this.remove(known.node.id);
      } else {
        known.lastSeen = now;
        if (answered) {
          known.lastAnswer = now;
          known.failures = 0;
          this.bucketOf(node.id).lastChanged = now;
        }
        return { added: true };
      }
    }
    // Only nodes that answered us get in: a node that merely queried us may not be reachable
    // (or may be lying about its id). If there is room for it, ask the caller to ping it.
    if (!answered)
      return this.hasRoomFor(node.id) ? { added: false, ping: node } : { added: false };
    for (;;) {
      const index = this.indexOf(node.id);
      const bucket = this.buckets[index] as Bucket;
      if (bucket.entries.length < this.k) {
        this.insert(bucket, node, now);
        return { added: true };
      }
      const bad = bucket.entries.findIndex((e) => e.failures >= MAX_FAILURES);
      if (bad >= 0) {
        this.drop(bucket, bad);
        this.insert(bucket, node, now);
        return { added: true };
      }
      if (index === this.buckets.length - 1 && this.buckets.length < 160) {
        this.split(now);
        continue;
      }
      this.remember(bucket, node);
      const stale = bucket.entries
        .filter((e) => now - e.lastSeen >= QUESTIONABLE_AFTER_MS)
        .sort((a, b) => a.lastSeen - b.lastSeen)[0];
      return stale === undefined ? { added: false } : { added: false, ping: stale.node };
    }
  }

  /**
   * A query to this node went unanswered (`conclusive`: a ping sent to check on a silent node,
   * which makes it bad at once). A bad node gives way to a waiting replacement.
   */
  failed(id: NodeId, conclusive = false): void {
    const bucket = this.bucketOf(id);
    const i = bucket.entries.findIndex((e) => sameId(e.node.id, id));
    if (i < 0) return;
    const entry = bucket.entries[i] as Entry;
    entry.failures = conclusive ? Math.max(MAX_FAILURES, entry.failures + 1) : entry.failures + 1;
    if (entry.failures < MAX_FAILURES) return;
    const next = bucket.replacements.pop();
    if (next === undefined) return;
    this.drop(bucket, i);
    this.insert(bucket, next, entry.lastSeen);
    // The replacement has not answered yet: questionable until it does.
    const added = bucket.entries[bucket.entries.length - 1] as Entry;
    added.lastAnswer = undefined;
  }

  remove(id: NodeId): void {
    const bucket = this.bucketOf(id);
    const i = bucket.entries.findIndex((e) => sameId(e.node.id, id));
    if (i >= 0) this.drop(bucket, i);
  }

  has(id: Uint8Array): boolean {
    return this.bucketOf(id).entries.some((e) => sameId(e.node.id, id));
  }

  /** The `count` good or questionable nodes closest to `target`, closest first. */
  closest(target: Uint8Array, count = this.k): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const bucket of this.buckets) {
      for (const e of bucket.entries) if (e.failures < MAX_FAILURES) out.push(e.node);
    }
    out.sort((a, b) => xorDistanceCompare(a.id, b.id, target));
    return out.slice(0, count);
  }

  /** Nodes silent for 15 minutes: ping them to learn whether they are still there. */
  questionable(now: number): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const bucket of this.buckets) {
      for (const e of bucket.entries) {
        if (now - e.lastSeen >= QUESTIONABLE_AFTER_MS && e.failures < MAX_FAILURES)
          out.push(e.node);
      }
    }
    return out;
  }

  /** Buckets (by shared-prefix length) unchanged for 15 minutes: BEP 5 refreshes them with a
   * lookup of a random id in their range. */
  staleBuckets(now: number): number[] {
    const out: number[] = [];
    this.buckets.forEach((b, i) => {
      if (now - b.lastChanged >= QUESTIONABLE_AFTER_MS) out.push(i);
    });
    return out;
  }

  /** Marks a bucket as refreshed (a lookup in its range was started). */
  touchBucket(index: number, now: number): void {
    const b = this.buckets[index];
    if (b !== undefined) b.lastChanged = now;
  }

  /** Every node in the table, good ones first (for saving). */
  nodes(): NodeInfo[] {
    const entries = this.buckets.flatMap((b) => b.entries);
    entries.sort((a, b) => a.failures - b.failures || (b.lastAnswer ?? 0) - (a.lastAnswer ?? 0));
    return entries.map((e) => e.node);
  }

  /** Whether a node with this id would be taken now (its bucket has room, a bad node, or can
   * split). */
  private hasRoomFor(id: Uint8Array): boolean {
    const index = this.indexOf(id);
    const bucket = this.buckets[index] as Bucket;
    return (
      bucket.entries.length < this.k ||
      bucket.entries.some((e) => e.failures >= MAX_FAILURES) ||
      (index === this.buckets.length - 1 && this.buckets.length < 160)
    );
  }

  private indexOf(id: Uint8Array): number {
    return Math.min(commonPrefixBits(this.own, id), this.buckets.length - 1);
  }

  private bucketOf(id: Uint8Array): Bucket {
    return this.buckets[this.indexOf(id)] as Bucket;
  }

  private insert(bucket: Bucket, node: NodeInfo, now: number): void {
    const entry: Entry = { node, lastSeen: now, lastAnswer: now, failures: 0 };
    bucket.entries.push(entry);
    bucket.lastChanged = now;
    this.byAddress.set(addressKey(node), entry);
    const r = bucket.replacements.findIndex((n) => addressKey(n) === addressKey(node));
    if (r >= 0) bucket.replacements.splice(r, 1);
  }

  private drop(bucket: Bucket, i: number): void {
    const [entry] = bucket.entries.splice(i, 1);
    if (entry !== undefined && this.byAddress.get(addressKey(entry.node)) === entry)
      this.byAddress.delete(addressKey(entry.node));
  }

  /** Keeps a node that found its bucket full, newest last, at most k. */
  private remember(bucket: Bucket, node: NodeInfo): void {
    const r = bucket.replacements.findIndex((n) => addressKey(n) === addressKey(node));
    if (r >= 0) bucket.replacements.splice(r, 1);
    bucket.replacements.push(node);
    if (bucket.replacements.length > this.k) bucket.replacements.shift();
  }

  /** The last bucket (every node at least as close as its index) splits in two. */
  private split(now: number): void {
    const last = this.buckets[this.buckets.length - 1] as Bucket;
    const depth = this.buckets.length - 1;
    const next: Bucket = { entries: [], replacements: [], lastChanged: now };
    this.buckets.push(next);
    const keep = last.entries.filter((e) => commonPrefixBits(this.own, e.node.id) === depth);
    const move = last.entries.filter((e) => commonPrefixBits(this.own, e.node.id) > depth);
    last.entries.splice(0, last.entries.length, ...keep);
    next.entries.push(...move);
    const keepR = last.replacements.filter((n) => commonPrefixBits(this.own, n.id) === depth);
    const moveR = last.replacements.filter((n) => commonPrefixBits(this.own, n.id) > depth);
    last.replacements.splice(0, last.replacements.length, ...keepR);
    next.replacements.push(...moveR);
  }
}
