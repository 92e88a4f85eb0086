/**
 * Which blocks to ask which peer for. Pure: no clock, no I/O; randomness through an Rng.
 *
 * Order of choice for a peer (see STATE.md):
 * 1. free blocks of the piece this peer worked on last (whole-piece affinity: a piece comes
 *    from few peers, so a bad piece blames few);
 * 2. free blocks of other started pieces, highest priority and nearest completion first;
 * 3. a new piece: highest priority, then rarest, random among equals (BEP 3 "rarest first");
 * 4. end game: when nothing is free, blocks already requested from others, fewest
 *    requesters first; the first copy to arrive wins and the others are cancelled.
 */
import { Bitfield } from '../../lib/bitfield.js';
import type { Rng } from '../../lib/ports.js';
import type { BlockRef, PieceGeometry } from '../geometry/pieces.js';
import { MAX_PRIORITY, RarityIndex } from './rarity-index.js';

export type PeerKey = number;

/** What a peer has: its bitfield, or every piece (a seed, BEP 6 have-all). */
export type PeerPieces = Bitfield | 'all';

const FREE = 0;
const REQUESTED = 1;
const RECEIVED = 2;
export const DEFAULT_PRIORITY = 4;

interface InProgress {
  readonly piece: number;
  readonly state: Uint8Array;
  /** Peers each requested block is out to (several only in end game). */
  readonly requesters: Map<number, Set<PeerKey>>;
  free: number;
  received: number;
}

export type Receipt =
  | {
      readonly kind: 'accepted';
      readonly pieceComplete: boolean;
      readonly cancel: readonly PeerKey[];
    }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'unrequested' };

const peerHas = (pieces: PeerPieces, piece: number): boolean =>
  pieces === 'all' || pieces.has(piece);

export class PiecePicker {
  readonly have: Bitfield;
  private readonly availability: Uint32Array;
  private readonly priority: Uint8Array;
  private readonly index: RarityIndex;
  private readonly started = new Map<number, InProgress>();
  private readonly affinity = new Map<PeerKey, number>();
  private readonly outstanding = new Map<PeerKey, Set<InProgress>>();
  private wantedLeft = 0;
  /** Pieces a reader needs soonest (streaming), most urgent first. */
  private deadlines: readonly number[] = [];
  private deadlineSet: ReadonlySet<number> = new Set();

  constructor(
    private readonly geometry: PieceGeometry,
    private readonly rng: Rng,
    have?: Bitfield,
  ) {
    const n = geometry.pieceCount;
    this.have = have ?? new Bitfield(n);
    this.availability = new Uint32Array(n);
    this.priority = new Uint8Array(n).fill(DEFAULT_PRIORITY);
    this.index = new RarityIndex(n);
    for (let piece = 0; piece < n; piece++) {
      if (!this.have.has(piece)) {
        this.index.insert(piece, RarityIndex.key(DEFAULT_PRIORITY, 0));
        this.wantedLeft++;
      }
    }
  }

  // ---- availability -------------------------------------------------------------------

  /** A peer announced its pieces (bitfield, have-all); seeds are not counted per piece. */
  addPeer(pieces: PeerPieces): void {
    if (pieces === 'all') return;
    for (let piece = 0; piece < this.geometry.pieceCount; piece++)
      if (pieces.has(piece)) this.bump(piece, 1);
  }

  removePeer(pieces: PeerPieces): void {
    if (pieces === 'all') return;
    for (let piece = 0; piece < this.geometry.pieceCount; piece++)
      if (pieces.has(piece)) this.bump(piece, -1);
  }

  /** A peer sent `have` for a piece it did not have before. */
  peerGotPiece(piece: number): void {
    this.bump(piece, 1);
  }

  availabilityOf(piece: number): number {
    return this.availability[piece] ?? 0;
  }

  private bump(piece: number, delta: number): void {
    const a = Math.max(0, (this.availability[piece] ?? 0) + delta);
    this.availability[piece] = a;
    this.index.rekey(piece, RarityIndex.key(this.priority[piece] ?? 0, a));
  }

  // ---- priorities ---------------------------------------------------------------------

  /** 0 skips a piece; 1 (low) to 7 (high). Per-file priorities map onto their pieces. */
  setPriority(piece: number, priority: number): void {
    const p = Math.max(0, Math.min(MAX_PRIORITY, Math.trunc(priority)));
    const before = this.priority[piece] ?? 0;
    if (before === p || this.have.has(piece)) {
      this.priority[piece] = p;
      return;
    }
    this.priority[piece] = p;
    if (before === 0) this.wantedLeft++;
    if (p === 0) {
      this.wantedLeft--;
      this.index.remove(piece);
    } else if (!this.started.has(piece)) {
      this.index.insert(piece, RarityIndex.key(p, this.availability[piece] ?? 0));
    }
  }

  priorityOf(piece: number): number {
    return this.priority[piece] ?? 0;
  }

  /** Pieces still wanted (priority > 0, not verified). */
  get remaining(): number {
    return this.wantedLeft;
  }

  /** True when a peer has something we want. */
  interestedIn(pieces: PeerPieces): boolean {
    if (this.wantedLeft === 0) return false;
    for (let piece = 0; piece < this.geometry.pieceCount; piece++) {
      if (peerHas(pieces, piece) && this.wants(piece)) return true;
    }
    return false;
  }

  private wants(piece: number): boolean {
    return !this.have.has(piece) && (this.priority[piece] ?? 0) > 0;
  }

  // ---- picking ------------------------------------------------------------------------

  /**
   * Up to `max` blocks to request from `peer`, marked as requested from it. Pieces in `skip`
   * are not asked of this peer (it refused them).
   */
  pick(peer: PeerKey, pieces: PeerPieces, max: number, skip?: ReadonlySet<number>): BlockRef[] {
    const has =
      skip === undefined || skip.size === 0
        ? (piece: number) => peerHas(pieces, piece)
        : (piece: number) => peerHas(pieces, piece) && !skip.has(piece);
    const out: BlockRef[] = [];
    if (this.deadlines.length > 0) {
      this.pickDeadlines(peer, has, max, out);
      // A peer busy with a reader's blocks takes nothing else: what it would queue for the
      // background would go ahead of a deadline block it refuses once and is asked again.
      if (out.length > 0 || this.busyWithDeadlines(peer)) return out;
    }
    const own = this.affinity.get(peer);
    const ownPiece = own === undefined ? undefined : this.started.get(own);
    if (ownPiece !== undefined && has(ownPiece.piece)) this.takeFree(peer, ownPiece, max, out);
    if (out.length < max) {
      for (const p of this.startedByPreference()) {
        if (out.length >= max) break;
        if (p.free > 0 && has(p.piece)) this.takeFree(peer, p, max, out);
      }
    }
    while (out.length < max) {
      const piece = this.index.find(has, () => this.rng.next());
      if (piece === undefined) break;
      this.takeFree(peer, this.start(piece), max, out);
    }
    if (out.length === 0 && this.index.size === 0) this.endGame(peer, has, max, out);
    return out;
  }

  /**
   * Streaming: the pieces a reader needs soonest, asked for in deadline order before anything
   * else (libtorrent's time-critical pieces). The rest keeps rarest first.
   */
  setDeadlines(pieces: readonly number[]): void {
    this.deadlines = pieces.filter((p) => p >= 0 && p < this.geometry.pieceCount);
    this.deadlineSet = new Set(this.deadlines);
  }

  isDeadline(piece: number): boolean {
    return this.deadlineSet.has(piece);
  }

  get deadlinePieces(): readonly number[] {
    return this.deadlines;
  }

  private pickDeadlines(
    peer: PeerKey,
    has: (piece: number) => boolean,
    max: number,
    out: BlockRef[],
  ): void {
    for (const piece of this.deadlines) {
      if (out.length >= max) return;
      if (!this.wants(piece) || !has(piece)) continue;
      const p = this.started.get(piece) ?? this.start(piece);
      if (p.free > 0) this.takeFree(peer, p, max, out);
    }
  }

  private busyWithDeadlines(peer: PeerKey): boolean {
    for (const p of this.outstanding.get(peer) ?? []) {
      if (!this.deadlineSet.has(p.piece)) continue;
      for (const who of p.requesters.values()) if (who.has(peer)) return true;
    }
    return false;
  }

  private startedByPreference(): InProgress[] {
    return [...this.started.values()].sort(
      (a, b) =>
        (this.priority[b.piece] ?? 0) - (this.priority[a.piece] ?? 0) || b.received - a.received,
    );
  }

  private start(piece: number): InProgress {
    this.index.remove(piece);
    const blocks = this.geometry.blocksInPiece(piece);
    const p: InProgress = {
      piece,
      state: new Uint8Array(blocks),
      requesters: new Map(),
      free: blocks,
      received: 0,
    };
    this.started.set(piece, p);
    return p;
  }

  private takeFree(peer: PeerKey, p: InProgress, max: number, out: BlockRef[]): void {
    for (let block = 0; block < p.state.length && out.length < max && p.free > 0; block++) {
      if (p.state[block] !== FREE) continue;
      p.state[block] = REQUESTED;
      p.free--;
      this.addRequester(peer, p, block);
      out.push(this.geometry.block(p.piece, block));
    }
    this.affinity.set(peer, p.piece);
  }

  private endGame(
    peer: PeerKey,
    has: (piece: number) => boolean,
    max: number,
    out: BlockRef[],
  ): void {
    const candidates: Array<{ p: InProgress; block: number; count: number }> = [];
    for (const p of this.started.values()) {
      if (!has(p.piece) || (this.priority[p.piece] ?? 0) === 0) continue;
      for (const [block, who] of p.requesters) {
        if (p.state[block] === REQUESTED && !who.has(peer))
          candidates.push({ p, block, count: who.size });
      }
    }
    candidates.sort((a, b) => a.count - b.count);
    for (const c of candidates.slice(0, max)) {
      this.addRequester(peer, c.p, c.block);
      out.push(this.geometry.block(c.p.piece, c.block));
    }
  }

  private addRequester(peer: PeerKey, p: InProgress, block: number): void {
    let who = p.requesters.get(block);
    if (who === undefined) {
      who = new Set();
      p.requesters.set(block, who);
    }
    who.add(peer);
    let mine = this.outstanding.get(peer);
    if (mine === undefined) {
      mine = new Set();
      this.outstanding.set(peer, mine);
    }
    mine.add(p);
  }

  // ---- outcomes -----------------------------------------------------------------------

  /** A block arrived from `peer`. Only blocks requested from that peer are accepted. */
  blockReceived(peer: PeerKey, ref: BlockRef): Receipt {
    const block = this.geometry.blockIndex(ref);
    const p = this.started.get(ref.index);
    if (block === undefined || p === undefined) return { kind: 'unrequested' };
    const who = p.requesters.get(block);
    if (p.state[block] === RECEIVED)
      return who?.has(peer) || this.wasRequestedFrom(peer, p)
        ? { kind: 'duplicate' }
        : { kind: 'unrequested' };
    if (who === undefined || !who.has(peer)) return { kind: 'unrequested' };
    p.state[block] = RECEIVED;
    p.received++;
    p.requesters.delete(block);
    const cancel = [...who].filter((k) => k !== peer);
    return { kind: 'accepted', pieceComplete: p.received === p.state.length, cancel };
  }

  private wasRequestedFrom(peer: PeerKey, p: InProgress): boolean {
    return this.outstanding.get(peer)?.has(p) === true;
  }

  /** A request ended without data (reject, time-out, choke, cancel): the block is free again
   * unless another peer still has it. */
  requestEnded(peer: PeerKey, ref: BlockRef): void {
    const block = this.geometry.blockIndex(ref);
    const p = this.started.get(ref.index);
    if (block === undefined || p === undefined) return;
    this.dropRequester(peer, p, block);
  }

  /** A peer went away: every request out to it ends. */
  peerGone(peer: PeerKey): void {
    for (const p of this.outstanding.get(peer) ?? []) {
      for (const block of [...p.requesters.keys()]) this.dropRequester(peer, p, block);
    }
    this.outstanding.delete(peer);
    this.affinity.delete(peer);
  }

  private dropRequester(peer: PeerKey, p: InProgress, block: number): void {
    const who = p.requesters.get(block);
    if (who === undefined || !who.delete(peer)) return;
    if (who.size === 0) {
      p.requesters.delete(block);
      if (p.state[block] === REQUESTED) {
        p.state[block] = FREE;
        p.free++;
      }
    }
  }

  /** The piece's hash checked: it is ours. */
  pieceVerified(piece: number): void {
    this.forget(piece);
    this.index.remove(piece);
    if (this.have.set(piece) && (this.priority[piece] ?? 0) > 0) this.wantedLeft--;
  }

  /** The piece's hash failed: everything received for it is discarded and it starts over. */
  pieceFailed(piece: number): void {
    this.forget(piece);
    if (this.wants(piece))
      this.index.insert(
        piece,
        RarityIndex.key(this.priority[piece] ?? 0, this.availability[piece] ?? 0),
      );
  }

  private forget(piece: number): void {
    const p = this.started.get(piece);
    if (p === undefined) return;
    this.started.delete(piece);
    for (const mine of this.outstanding.values()) mine.delete(p);
  }

  /** Every request out for a piece, by peer (to cancel them when a reader seeks away). */
  requestsFor(piece: number): Array<{ peer: PeerKey; ref: BlockRef }> {
    const p = this.started.get(piece);
    if (p === undefined) return [];
    const out: Array<{ peer: PeerKey; ref: BlockRef }> = [];
    for (const [block, who] of p.requesters)
      for (const peer of who) out.push({ peer, ref: this.geometry.block(piece, block) });
    return out;
  }

  /** Requests out to a peer (for time-outs and cancels), as block references. */
  requestsOf(peer: PeerKey): BlockRef[] {
    const out: BlockRef[] = [];
    for (const p of this.outstanding.get(peer) ?? []) {
      for (const [block, who] of p.requesters)
        if (who.has(peer)) out.push(this.geometry.block(p.piece, block));
    }
    return out;
  }
}
