/**
 * The data side of one torrent: what to ask each peer for, what to give each peer, which
 * blocks to write and which pieces to check. Pure: events and the current time come in,
 * commands go out (drain()); the runtime does the sockets, the disk and the hashing.
 * See STATE.md for the per-peer state and the rules.
 */
import { Bitfield } from '../../lib/bitfield.js';
import type { Choker } from '../choker/choker.js';
import type { BlockRef, PieceGeometry } from '../geometry/pieces.js';
import { BLOCK_SIZE } from '../merkle/merkle.js';
import type { PiecePicker } from '../picker/piece-picker.js';
import type { PeerMessage } from '../wire/messages.js';
import type { ValidPeerMessage } from '../wire/validate.js';
import { busySlots, slotIdle } from './choking.js';
import { Deadlines } from './deadlines.js';
import { blockKey, type PeerKey, PeerState } from './peer-state.js';
import { DEFAULT_SWARM_CONFIG, type SwarmCommand, type SwarmConfig } from './swarm-types.js';
import { Uploads } from './uploads.js';

export { DEFAULT_SWARM_CONFIG, type SwarmCommand, type SwarmConfig } from './swarm-types.js';

const refOf = (m: BlockRef): BlockRef => ({ index: m.index, begin: m.begin, length: m.length });

export class Swarm {
  private readonly peers = new Map<PeerKey, PeerState>();
  private readonly contributors = new Map<number, Set<PeerKey>>();
  private readonly uploads: Uploads;
  private out: SwarmCommand[] = [];
  private lastRound = Number.NEGATIVE_INFINITY;
  private lastTick: number | undefined;
  private finished: boolean;
  private readonly deadlines: Deadlines;
  /** Bytes received for nothing: second copies (end game, late after a cancel) and pieces that
   * failed their check (libtorrent's redundant and failed bytes together). */
  wastedBytes = 0;

  constructor(
    private readonly geometry: PieceGeometry,
    private readonly picker: PiecePicker,
    private readonly choker: Choker,
    private readonly config: SwarmConfig = DEFAULT_SWARM_CONFIG,
  ) {
    this.finished = picker.remaining === 0;
    this.deadlines = new Deadlines(picker, {
      get have() {
        return picker.have;
      },
      peers: () => this.peers.values(),
      peer: (key) => this.peers.get(key),
      cancel: (p, ref) => this.cancel(p, ref),
    });
    this.uploads = new Uploads(geometry.pieceCount, config.maxIncoming, {
      get have() {
        return picker.have;
      },
      get complete() {
        return picker.remaining === 0;
      },
      send: (peer, message) => this.send(peer, message),
      serve: (peer, ref) => this.out.push({ kind: 'serve', peer, ref }),
      unserve: (peer, ref) => this.out.push({ kind: 'unserve', peer, ref }),
      flood: (peer, reason) => this.disconnect(peer, reason, true),
    });
  }
  /** Requests we accept from a peer at once: what our extended handshake says as `reqq`. */
  get maxIncoming(): number {
    return this.config.maxIncoming;
  }

  get have(): Bitfield {
    return this.picker.have;
  }

  get complete(): boolean {
    return this.picker.remaining === 0;
  }

  /** Commands produced since the last call, in order. */
  drain(): SwarmCommand[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  peerList(): readonly PeerState[] {
    return [...this.peers.values()];
  }

  // ---- peers come and go ---------------------------------------------------------------

  /**
   * A handshake completed. `fast`: both sides set the BEP 6 bit. A web seed (BEP 19) is a link
   * like any other, except that a piece it alone supplied failing its check drops it at once:
   * a mirror serving bad bytes would serve them again.
   */
  peerConnected(peer: PeerKey, fast: boolean, now: number, webSeed = false): void {
    const state = new PeerState(peer, fast, now, this.geometry.pieceCount, this.config.minQueue);
    state.webSeed = webSeed;
    this.peers.set(peer, state);
    const have = this.picker.have;
    if (fast && have.complete) this.send(peer, { kind: 'have-all' });
    else if (fast && have.empty) this.send(peer, { kind: 'have-none' });
    else if (!have.empty) this.send(peer, { kind: 'bitfield', bytes: have.bytes.slice() });
  }

  peerClosed(peer: PeerKey): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.peers.delete(peer);
    this.picker.removePeer(state.pieces);
    this.picker.peerGone(peer);
    this.uploads.peerGone(peer, state.pieces);
    for (const p of this.peers.values()) this.fill(p);
  }

  /** The peer's BEP 10 `reqq`. */
  setMaxRequests(peer: PeerKey, reqq: number): void {
    const state = this.peers.get(peer);
    if (state !== undefined) state.maxRequests = Math.max(1, Math.min(reqq, this.config.maxQueue));
  }

  // ---- messages ------------------------------------------------------------------------

  message(peer: PeerKey, msg: ValidPeerMessage, now: number): void {
    const p = this.peers.get(peer);
    if (p === undefined) return;
    switch (msg.kind) {
      case 'keep-alive':
      case 'port':
      case 'suggest':
      case 'allowed-fast':
      case 'extended':
      case 'hashes':
      case 'hash-reject':
        return;
      case 'hash-request':
        // Serving BEP 52 hashes comes with v2 magnet support; until then, refuse plainly.
        this.send(peer, { ...msg, kind: 'hash-reject' });
        return;
      case 'choke':
        this.onChoke(p);
        return;
      case 'unchoke':
        p.peerChoking = false;
        p.refusedPieces.clear();
        p.refusedDeadline.clear();
        this.fill(p);
        return;
      case 'interested':
        p.peerInterested = true;
        this.maybeUnchokeNow(p, now);
        return;
      case 'not-interested':
        p.peerInterested = false;
        return;
      case 'bitfield':
      case 'have-all':
      case 'have-none':
        this.onPieces(
          p,
          msg.kind === 'bitfield'
            ? msg.bitfield
            : msg.kind === 'have-all'
              ? 'all'
              : new Bitfield(this.geometry.pieceCount),
        );
        return;
      case 'have':
        this.onHave(p, msg.index);
        return;
      // A plain BlockRef, not the message: refs are stored and spread into the messages we
      // send back (a reject spread from a request would go out as a request).
      case 'request':
        this.uploads.request(p, refOf(msg));
        return;
      case 'cancel':
        this.uploads.cancel(p, refOf(msg));
        return;
      case 'reject':
        this.onReject(p, refOf(msg));
        return;
      case 'piece':
        this.onPiece(
          p,
          { index: msg.index, begin: msg.begin, length: msg.block.length },
          msg.block,
          now,
        );
        return;
    }
  }

  private onChoke(p: PeerState): void {
    p.peerChoking = true;
    // BEP 3: a choke drops every pending request; with BEP 6 the peer rejects them instead.
    if (!p.fast) this.abandonRequests(p, false);
  }

  private onPieces(p: PeerState, pieces: Bitfield | 'all'): void {
    this.picker.removePeer(p.pieces);
    p.pieces = pieces;
    this.picker.addPeer(pieces);
    this.updateInterest(p);
    if (this.complete && p.isSeed) this.disconnect(p.key, 'both sides are seeds', false);
  }

  private onHave(p: PeerState, piece: number): void {
    if (p.pieces === 'all' || p.pieces.has(piece)) return;
    p.pieces.set(piece);
    this.picker.peerGotPiece(piece);
    if (!p.amInterested && this.picker.priorityOf(piece) > 0 && !this.picker.have.has(piece))
      this.updateInterest(p);
    else this.fill(p);
  }

  private onReject(p: PeerState, ref: BlockRef): void {
    // The answer to a cancel of ours (BEP 6): that request was already accounted for.
    if (p.cancelled.delete(blockKey(ref))) return;
    p.outstanding = Math.max(0, p.outstanding - 1);
    // A reject from a peer that still unchokes us says "not this piece now" (a seed sparing a
    // second copy, or a full queue): ask it for other pieces first. Unless a reader waits for
    // that piece: then it is asked again at once (a seed refuses a second copy only once).
    if (!p.peerChoking) {
      const key = blockKey(ref);
      const waited = this.picker.isDeadline(ref.index) && !p.refusedDeadline.has(key);
      if (waited) p.refusedDeadline.add(key);
      else p.refusedPieces.add(ref.index);
    }
    this.picker.requestEnded(p.key, ref);
    this.fill(p, this.picker.isDeadline(ref.index));
  }

  private onPiece(p: PeerState, ref: BlockRef, data: Uint8Array, now: number): void {
    const late = p.cancelled.delete(blockKey(ref));
    const receipt = this.picker.blockReceived(p.key, ref);
    if (receipt.kind === 'unrequested') {
      // A block we cancelled may cross the cancel on the wire: dropped. Anything else was never
      // asked for.
      if (late) this.wastedBytes += data.length;
      else
        this.disconnect(p.key, `sent block ${ref.index}:${ref.begin} that was not asked for`, true);
      return;
    }
    if (!late) p.outstanding = Math.max(0, p.outstanding - 1);
    p.downBytes += data.length;
    p.lastBlockAt = now;
    p.snubbed = false;
    // Slow start, as TCP does: each block that arrives allows one more request in flight.
    p.queueTarget = Math.min(this.config.maxQueue, p.maxRequests, p.queueTarget + 1);
    if (receipt.kind === 'duplicate') this.wastedBytes += data.length;
    if (receipt.kind === 'accepted') {
      this.out.push({ kind: 'write', ref, data });
      let who = this.contributors.get(ref.index);
      if (who === undefined) {
        who = new Set();
        this.contributors.set(ref.index, who);
      }
      who.add(p.key);
      for (const other of receipt.cancel) {
        const o = this.peers.get(other);
        if (o === undefined) continue;
        o.outstanding = Math.max(0, o.outstanding - 1);
        this.cancel(o, ref);
      }
      if (receipt.pieceComplete) this.out.push({ kind: 'verify', piece: ref.index });
    }
    this.fill(p);
  }

  /**
   * Changes a piece's priority (0 skips it, 7 is most urgent: a stream waiting on it). Interest
   * and requests follow at once; a finished torrent that wants a piece again is not done.
   */
  setPriority(piece: number, priority: number): void {
    this.setPriorities([[piece, priority]]);
  }

  /** Several priorities at once: interest is worked out once for the lot, not per piece. */
  setPriorities(changes: Iterable<readonly [piece: number, priority: number]>): void {
    let changed = false;
    for (const [piece, priority] of changes) {
      if (this.picker.priorityOf(piece) === priority) continue;
      this.picker.setPriority(piece, priority);
      changed = true;
    }
    if (!changed) return;
    if (this.picker.remaining > 0) this.finished = false;
    for (const p of this.peers.values()) this.updateInterest(p);
  }

  /**
   * Streaming: the pieces readers need soonest, most urgent first (see the picker and
   * deadlines.ts); `readerStarted`: a reader opened since the last call.
   */
  setDeadlines(pieces: readonly number[], readerStarted = false): void {
    this.deadlines.set(pieces, readerStarted);
    for (const p of this.peers.values()) this.fill(p, pieces.length > 0);
  }

  // ---- results from the runtime ----------------------------------------------------------

  /** A block was sent to a peer (upload accounting, frees its serve slot). */
  served(peer: PeerKey, ref: BlockRef): void {
    const p = this.peers.get(peer);
    if (p !== undefined) this.uploads.served(p, ref);
  }

  pieceChecked(piece: number, good: boolean): void {
    const who = this.contributors.get(piece) ?? new Set<PeerKey>();
    this.contributors.delete(piece);
    if (!good) {
      this.wastedBytes += this.geometry.pieceSize(piece);
      this.picker.pieceFailed(piece);
      for (const key of who) {
        const p = this.peers.get(key);
        if (p === undefined) continue;
        p.badPieces++;
        const sole = p.webSeed && who.size === 1;
        if (sole || p.badPieces >= this.config.banAfterBadPieces) {
          this.disconnect(
            key,
            `took part in ${p.badPieces} pieces that failed their hash check`,
            true,
            true,
          );
        }
      }
      for (const p of this.peers.values()) this.fill(p);
      return;
    }
    this.picker.pieceVerified(piece);
    this.deadlines.verified(piece);
    this.out.push({ kind: 'piece-verified', piece });
    for (const p of this.peers.values()) {
      this.send(p.key, { kind: 'have', index: piece });
      if (p.amInterested) this.updateInterest(p);
    }
    if (this.complete && !this.finished) {
      this.finished = true;
      this.out.push({ kind: 'done' });
    }
  }

  // ---- time ----------------------------------------------------------------------------

  /** Call about once a second: rates, request time-outs, choking rounds. */
  tick(now: number): void {
    const seconds = this.lastTick === undefined ? 1 : Math.max(0.001, (now - this.lastTick) / 1000);
    this.lastTick = now;
    for (const p of this.peers.values()) {
      p.downRate = p.downRate * 0.5 + (p.downBytes / seconds) * 0.5;
      p.upRate = p.upRate * 0.5 + (p.upBytes / seconds) * 0.5;
      p.downBytes = 0;
      p.upBytes = 0;
      // The rate says how deep the queue should be; it shrinks by at most a quarter a tick so a
      // pause in the data does not undo the slow start.
      const target = Math.round((p.downRate * this.config.queueSeconds) / BLOCK_SIZE);
      const keep = Math.floor(p.queueTarget * 0.75);
      p.queueTarget = p.snubbed
        ? 1
        : Math.max(
            this.config.minQueue,
            Math.min(this.config.maxQueue, p.maxRequests, Math.max(target, keep)),
          );
      if (p.outstanding > 0 && now - p.lastBlockAt > this.config.requestTimeoutMs) {
        p.snubbed = true;
        p.queueTarget = 1;
        this.abandonRequests(p, true);
      }
      // What it refused is asked of it again once nothing else is on the way from it; by then
      // other peers may well have given us those pieces.
      if (p.outstanding === 0) {
        p.refusedPieces.clear();
        p.refusedDeadline.clear();
      }
      this.fill(p);
    }
    if (
      now - this.lastRound >= this.config.chokeRoundMs ||
      slotIdle(this.peers.values(), this.choker.slots)
    )
      this.chokeRound(now);
  }

  private chokeRound(now: number): void {
    this.lastRound = now;
    const peers = [...this.peers.values()];
    const unchoke = this.choker.decide(
      peers.map((p) => ({
        key: p.key,
        interested: p.peerInterested,
        downloadRate: p.downRate,
        snubbed: p.snubbed,
        connectedAt: p.connectedAt,
      })),
      this.complete,
      now,
    );
    for (const p of peers) this.setChoking(p, !unchoke.has(p.key));
  }

  /** A newly interested peer need not wait for the next round while a slot is free. */
  private maybeUnchokeNow(p: PeerState, now: number): void {
    if (p.amChoking && busySlots(this.peers.values()) < this.choker.slots) this.chokeRound(now);
  }

  private setChoking(p: PeerState, choke: boolean): void {
    if (p.amChoking === choke) return;
    p.amChoking = choke;
    this.send(p.key, { kind: choke ? 'choke' : 'unchoke' });
    if (choke) this.uploads.choked(p);
  }

  // ---- helpers -------------------------------------------------------------------------

  private updateInterest(p: PeerState): void {
    const want = this.picker.interestedIn(p.pieces);
    if (want !== p.amInterested) {
      p.amInterested = want;
      this.send(p.key, { kind: want ? 'interested' : 'not-interested' });
    }
    this.fill(p);
  }

  /** Keeps `queueTarget` requests in flight to an unchoked peer we want something from. */
  private fill(p: PeerState, now = false): void {
    if (p.peerChoking || !p.amInterested) return;
    const target = Math.min(p.queueTarget, p.maxRequests);
    const want = target - p.outstanding;
    // Requests go out in batches of a quarter of the queue (one socket write for many, on both
    // ends), and at once when nothing is on the way or a reader waits (`now`).
    if (want <= 0 || (!now && p.outstanding > 0 && want < Math.max(1, target >> 2))) return;
    for (const ref of this.picker.pick(p.key, p.pieces, want, p.refusedPieces)) {
      p.cancelled.delete(blockKey(ref));
      this.send(p.key, { kind: 'request', ...ref });
      p.outstanding++;
    }
  }

  private abandonRequests(p: PeerState, sendCancel: boolean): void {
    for (const ref of this.picker.requestsOf(p.key)) {
      this.picker.requestEnded(p.key, ref);
      if (sendCancel) this.cancel(p, ref);
    }
    p.outstanding = 0;
  }

  private cancel(p: PeerState, ref: BlockRef): void {
    this.send(p.key, { kind: 'cancel', ...ref });
    p.cancelled.add(blockKey(ref));
    if (p.cancelled.size > this.config.maxQueue) {
      const oldest = p.cancelled.values().next();
      if (!oldest.done) p.cancelled.delete(oldest.value);
    }
  }

  private disconnect(peer: PeerKey, reason: string, misbehaving: boolean, ban = false): void {
    this.out.push({ kind: 'disconnect', peer, reason, misbehaving, ban });
    this.peerClosed(peer);
  }

  private send(peer: PeerKey, message: PeerMessage): void {
    this.out.push({ kind: 'send', peer, message });
  }
}
