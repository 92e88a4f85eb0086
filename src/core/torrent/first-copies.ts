/**
 * A seed's upload is what a young swarm is short of: every piece has to leave the seed once,
 * and leechers pass it on among themselves. Leechers choose pieces rarest first, but they
 * cannot see what the seed has already promised to the others (their requests wait seconds in
 * its queue), so several of them pick the same piece and the seed would send it twice while
 * other pieces have not left it at all.
 *
 * FirstCopies remembers which pieces we have agreed to send and to whom, and which promised
 * blocks are first copies still waiting to go out. A request for a piece promised to another
 * peer is a second copy; the swarm refuses it (BEP 6 reject) once per block while it can wait:
 * while the asking peer lacks a piece nobody has been promised (it should ask for that), or
 * while first copies wait to go out to others (they should have the bandwidth). Asked again,
 * the block is sent: a peer is never refused for good.
 */
import { Bitfield } from '../../lib/bitfield.js';
import type { PeerPieces } from '../picker/piece-picker.js';
import type { PeerKey } from './peer-state.js';

export class FirstCopies {
  /** Pieces promised to at least one peer. */
  private readonly promised: Bitfield;
  /** Per promised piece: the one peer promised it, or 'several'. */
  private readonly takers = new Map<number, PeerKey | 'several'>();
  /** Per peer: promised blocks that are first copies, not sent yet. */
  private readonly waiting = new Map<PeerKey, Set<string>>();
  private waitingCount = 0;

  constructor(pieceCount: number) {
    this.promised = new Bitfield(pieceCount);
  }

  /** We accepted `peer`'s request for `block` (a block key) of `piece`. */
  promise(peer: PeerKey, piece: number, block: string): void {
    const taker = this.takers.get(piece);
    if (taker === undefined) {
      this.takers.set(piece, peer);
      this.promised.set(piece);
    } else if (taker !== peer) {
      this.takers.set(piece, 'several');
      return;
    }
    let mine = this.waiting.get(peer);
    if (mine === undefined) {
      mine = new Set();
      this.waiting.set(peer, mine);
    }
    if (!mine.has(block)) {
      mine.add(block);
      this.waitingCount++;
    }
  }

  /** A promised block went out, or will not (cancelled, or the peer was choked). */
  settled(peer: PeerKey, block: string): void {
    if (this.waiting.get(peer)?.delete(block)) this.waitingCount--;
  }

  /** Every block promised to `peer` went out or will not. */
  settledAll(peer: PeerKey): void {
    this.waitingCount -= this.waiting.get(peer)?.size ?? 0;
    this.waiting.delete(peer);
  }

  /**
   * True when sending `piece` to `peer` is a second copy that can wait: another peer has been
   * promised the piece, and either first copies wait to go out to other peers or `peer` lacks
   * a piece of `have` that nobody has been promised.
   */
  canWait(peer: PeerKey, piece: number, theirs: PeerPieces, have: Bitfield): boolean {
    const taker = this.takers.get(piece);
    if (taker === undefined || taker === peer) return false;
    if (this.waitingCount - (this.waiting.get(peer)?.size ?? 0) > 0) return true;
    return theirs !== 'all' && this.lacksUnpromised(theirs, have);
  }

  /** A peer left: its waiting blocks are gone, and a promise made to it alone, of a piece it
   * never said it has, is void. */
  peerGone(peer: PeerKey, theirs: PeerPieces): void {
    this.settledAll(peer);
    if (theirs === 'all') return;
    for (const [piece, taker] of this.takers) {
      if (taker !== peer || theirs.has(piece)) continue;
      this.takers.delete(piece);
      this.promised.clear(piece);
    }
  }

  /** Some piece in `have`, not promised to anyone, that `theirs` lacks (a byte at a time). */
  private lacksUnpromised(theirs: Bitfield, have: Bitfield): boolean {
    const promised = this.promised.bytes;
    const ours = have.bytes;
    const them = theirs.bytes;
    // Spare bits past the last piece are zero in `have`, so they never count.
    for (let i = 0; i < ours.length; i++) {
      if (((ours[i] as number) & ~(promised[i] as number) & ~(them[i] as number)) !== 0)
        return true;
    }
    return false;
  }
}
