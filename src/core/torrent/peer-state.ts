/** What a swarm knows of one connected peer. */
import { Bitfield } from '../../lib/bitfield.js';
import type { BlockRef } from '../geometry/pieces.js';
import type { PeerPieces } from '../picker/piece-picker.js';

export type PeerKey = number;

export const blockKey = (ref: BlockRef): string => `${ref.index}:${ref.begin}:${ref.length}`;

export class PeerState {
  pieces: PeerPieces;
  /** We choke them / they choke us; interest both ways (BEP 3: everyone starts choked). */
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** Requests we sent that are not answered yet. */
  outstanding = 0;
  /** How many requests we keep in flight to this peer. */
  queueTarget: number;
  /** Their `reqq` (BEP 10), the most requests they accept at once. */
  maxRequests = 250;
  /** Blocks they asked of us, not yet sent. */
  readonly toServe = new Map<string, BlockRef>();
  /** Blocks we cancelled (end game, time-out) that may yet cross the cancel on the wire: a late
   * copy or a reject of one of them is not held against the peer. Oldest dropped past a cap. */
  readonly cancelled = new Set<string>();
  /** Blocks we refused them once as second copies (see FirstCopies); sent if asked again. */
  readonly refusedCopies = new Set<string>();
  /** Pieces they refused us while unchoking us: asked of them again only when nothing else
   * is left to ask them for. */
  readonly refusedPieces = new Set<number>();
  /** Blocks of deadline pieces (a reader waits) they refused once: asked again at once; a
   * second refusal puts the piece with the others they refused. */
  readonly refusedDeadline = new Set<string>();
  /** Bytes per second, smoothed, and bytes since the last tick. */
  downRate = 0;
  upRate = 0;
  downBytes = 0;
  upBytes = 0;
  lastBlockAt: number;
  snubbed = false;
  badPieces = 0;
  /** An HTTP mirror (BEP 19) standing in as a peer. */
  webSeed = false;

  constructor(
    readonly key: PeerKey,
    readonly fast: boolean,
    readonly connectedAt: number,
    pieceCount: number,
    queueTarget: number,
  ) {
    this.pieces = new Bitfield(pieceCount);
    this.lastBlockAt = connectedAt;
    this.queueTarget = queueTarget;
  }

  has(piece: number): boolean {
    return this.pieces === 'all' || this.pieces.has(piece);
  }

  get isSeed(): boolean {
    return this.pieces === 'all' || this.pieces.complete;
  }
}
