/**
 * The serving half of the swarm: the requests peers send us, which we queue for the runtime to
 * read and send (`serve`), refuse (BEP 6 reject), forget (`unserve`: cancelled, or the peer is
 * choked), or take as a flood. As a seed, a second copy of a piece promised to another peer
 * waits once (see FirstCopies).
 */
import type { Bitfield } from '../../lib/bitfield.js';
import type { BlockRef } from '../geometry/pieces.js';
import type { PeerPieces } from '../picker/piece-picker.js';
import type { PeerMessage } from '../wire/messages.js';
import { FirstCopies } from './first-copies.js';
import { blockKey, type PeerKey, type PeerState } from './peer-state.js';

export interface UploadsPort {
  readonly have: Bitfield;
  readonly complete: boolean;
  send(peer: PeerKey, message: PeerMessage): void;
  serve(peer: PeerKey, ref: BlockRef): void;
  unserve(peer: PeerKey, ref: BlockRef): void;
  /** A peer that floods us with requests goes. */
  flood(peer: PeerKey, reason: string): void;
}

export class Uploads {
  private readonly firstCopies: FirstCopies;

  constructor(
    pieceCount: number,
    /** Requests we accept from a peer at once (our `reqq`); twice this is a flood. */
    private readonly maxIncoming: number,
    private readonly port: UploadsPort,
  ) {
    this.firstCopies = new FirstCopies(pieceCount);
  }

  request(p: PeerState, ref: BlockRef): void {
    const refuse = (): void => {
      if (p.fast) this.port.send(p.key, { kind: 'reject', ...ref });
    };
    if (p.amChoking || !this.port.have.has(ref.index)) return refuse();
    if (p.toServe.size >= this.maxIncoming * 2) {
      this.port.flood(p.key, `request flood (${p.toServe.size} queued)`);
      return;
    }
    if (p.toServe.size >= this.maxIncoming) return refuse();
    const key = blockKey(ref);
    if (p.toServe.has(key)) return;
    if (this.secondCopy(p, ref.index, key)) return refuse();
    p.toServe.set(key, ref);
    this.firstCopies.promise(p.key, ref.index, key);
    this.port.serve(p.key, ref);
  }

  /**
   * Seeding: a block of a piece already promised to another peer is refused once (BEP 6
   * reject) while that second copy can wait (see FirstCopies).
   */
  private secondCopy(p: PeerState, piece: number, key: string): boolean {
    if (!p.fast || !this.port.complete || p.refusedCopies.has(key)) return false;
    if (!this.firstCopies.canWait(p.key, piece, p.pieces, this.port.have)) return false;
    p.refusedCopies.add(key);
    return true;
  }

  cancel(p: PeerState, ref: BlockRef): void {
    const key = blockKey(ref);
    if (!p.toServe.delete(key)) return;
    this.firstCopies.settled(p.key, key);
    this.port.unserve(p.key, ref);
  }

  /** A block went out (frees its serve slot). */
  served(p: PeerState, ref: BlockRef): void {
    const key = blockKey(ref);
    p.toServe.delete(key);
    this.firstCopies.settled(p.key, key);
    p.upBytes += ref.length;
  }

  /** We choked the peer: what it asked for is dropped (and rejected, BEP 6). */
  choked(p: PeerState): void {
    for (const ref of p.toServe.values()) {
      this.port.unserve(p.key, ref);
      if (p.fast) this.port.send(p.key, { kind: 'reject', ...ref });
    }
    p.toServe.clear();
    p.refusedCopies.clear();
    this.firstCopies.settledAll(p.key);
  }

  peerGone(peer: PeerKey, pieces: PeerPieces): void {
    this.firstCopies.peerGone(peer, pieces);
  }
}
