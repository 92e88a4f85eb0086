/**
 * One iterative lookup (BEP 5, Kademlia): towards a target id, ask the closest nodes known for
 * nodes closer still, `alpha` queries at a time, until the `k` closest nodes heard of have all
 * answered or failed. A get_peers lookup also gathers the peers and write tokens it is given.
 *
 * Pure bookkeeping: the node says which queries went out, which answered and which failed; the
 * lookup says whom to ask next and when it is done. A query that is merely slow (past the short
 * time-out) stops counting against `alpha`, so one dead node does not stall the lookup, but its
 * answer is still taken if it comes.
 */
import type { NodeId } from '../../lib/ids.js';
import { xorDistanceCompare } from './node-id.js';
import type { NodeAddress, NodeInfo } from './types.js';

export type LookupKind = 'find_node' | 'get_peers';

type CandidateState = 'fresh' | 'asked' | 'slow' | 'answered' | 'failed';

interface Candidate {
  readonly node: NodeInfo;
  state: CandidateState;
  /** Steps from the nodes the lookup started with (0 for those). */
  readonly depth: number;
  token?: Uint8Array | undefined;
}

export interface LookupOptions {
  readonly alpha: number;
  readonly k: number;
  /** Candidates kept, closest first; farther ones are forgotten. */
  readonly maxCandidates: number;
}

export const DEFAULT_LOOKUP_OPTIONS: LookupOptions = { alpha: 3, k: 8, maxCandidates: 100 };

export interface LookupStats {
  readonly queried: number;
  readonly answered: number;
  readonly failed: number;
  /** The depth at which the first peers were found (get_peers), or of the closest answer. */
  readonly hops: number | undefined;
}

const key = (id: Uint8Array): string => {
  let s = '';
  for (const b of id) s += String.fromCharCode(b);
  return s;
};

export class Lookup {
  private readonly candidates: Candidate[] = [];
  private readonly byId = new Map<string, Candidate>();
  private readonly found = new Map<string, NodeAddress>();
  private inFlight = 0;
  private queried = 0;
  private answered = 0;
  private failures = 0;
  private firstPeersDepth: number | undefined;

  constructor(
    readonly kind: LookupKind,
    readonly target: Uint8Array,
    start: readonly NodeInfo[],
    private readonly options: LookupOptions = DEFAULT_LOOKUP_OPTIONS,
  ) {
    for (const n of start) this.addCandidate(n, 0);
  }

  /** Peers found so far (get_peers), without duplicates. */
  get peers(): NodeAddress[] {
    return [...this.found.values()];
  }

  /** Nothing in flight that counts and nothing left worth asking. */
  get done(): boolean {
    return this.inFlight === 0 && this.nextFresh(1).length === 0 && !this.anySlowInTopK();
  }

  stats(): LookupStats {
    const closest = this.candidates.find((c) => c.state === 'answered');
    return {
      queried: this.queried,
      answered: this.answered,
      failed: this.failures,
      hops: this.firstPeersDepth ?? (closest === undefined ? undefined : closest.depth + 1),
    };
  }

  /** Nodes to ask now; the caller sends them queries and reports back on each. */
  next(): NodeInfo[] {
    const room = this.options.alpha - this.inFlight;
    if (room <= 0) return [];
    const picked = this.nextFresh(room);
    for (const c of picked) {
      c.state = 'asked';
      this.inFlight++;
      this.queried++;
    }
    return picked.map((c) => c.node);
  }

  /** Nodes learned outside any answer (the bootstrap routers' answers, say). */
  add(nodes: readonly NodeInfo[]): void {
    for (const n of nodes) this.addCandidate(n, 0);
  }

  /** An answer: the nodes it names become candidates; peers and its token are kept. */
  answer(
    id: NodeId,
    nodes: readonly NodeInfo[],
    peers: readonly NodeAddress[] = [],
    token?: Uint8Array,
  ): void {
    const c = this.byId.get(key(id));
    if (c === undefined || c.state === 'answered' || c.state === 'failed') return;
    if (c.state === 'asked') this.inFlight--;
    c.state = 'answered';
    c.token = token;
    this.answered++;
    for (const n of nodes) this.addCandidate(n, c.depth + 1);
    for (const p of peers) this.found.set(`${p.host}:${p.port}`, p);
    if (peers.length > 0 && this.firstPeersDepth === undefined) this.firstPeersDepth = c.depth + 1;
  }

  /** Past the short time-out: still awaited, but no longer holding one of the alpha slots. */
  slow(id: NodeId): void {
    const c = this.byId.get(key(id));
    if (c?.state !== 'asked') return;
    c.state = 'slow';
    this.inFlight--;
  }

  failed(id: NodeId): void {
    const c = this.byId.get(key(id));
    if (c === undefined || (c.state !== 'asked' && c.state !== 'slow')) return;
    if (c.state === 'asked') this.inFlight--;
    c.state = 'failed';
    this.failures++;
  }

  /** The `k` closest nodes that answered, with their write tokens (for announce_peer). */
  closestAnswered(): Array<{ node: NodeInfo; token: Uint8Array | undefined }> {
    return this.candidates
      .filter((c) => c.state === 'answered')
      .slice(0, this.options.k)
      .map((c) => ({ node: c.node, token: c.token }));
  }

  private addCandidate(node: NodeInfo, depth: number): void {
    const k = key(node.id);
    if (this.byId.has(k)) return;
    const c: Candidate = { node, state: 'fresh', depth };
    // Insert in distance order (the list is short: a linear scan from the end is enough).
    let i = this.candidates.length;
    while (
      i > 0 &&
      xorDistanceCompare(node.id, (this.candidates[i - 1] as Candidate).node.id, this.target) < 0
    )
      i--;
    if (i >= this.options.maxCandidates) return;
    this.candidates.splice(i, 0, c);
    this.byId.set(k, c);
    if (this.candidates.length > this.options.maxCandidates) {
      const dropped = this.candidates.pop() as Candidate;
      if (dropped.state === 'asked') {
        // Still counted in flight: keep it findable so its answer or failure settles the count.
        this.candidates.push(dropped);
        return;
      }
      this.byId.delete(key(dropped.node.id));
    }
  }

  /** Up to `n` fresh candidates among the k closest that have not failed. */
  private nextFresh(n: number): Candidate[] {
    const out: Candidate[] = [];
    let live = 0;
    for (const c of this.candidates) {
      if (c.state === 'failed') continue;
      if (live++ >= this.options.k) break;
      if (c.state === 'fresh') {
        out.push(c);
        if (out.length === n) break;
      }
    }
    return out;
  }

  /** A slow query among the k closest may still bring closer nodes: worth waiting for. */
  private anySlowInTopK(): boolean {
    let live = 0;
    for (const c of this.candidates) {
      if (c.state === 'failed') continue;
      if (live++ >= this.options.k) return false;
      if (c.state === 'slow') return true;
    }
    return false;
  }
}
