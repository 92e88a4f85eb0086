/**
 * Streaming deadlines on the requesting side: the picker asks for readers' pieces first; this
 * takes back requests that stand in their way. A piece that leaves the list while others take
 * its place (a seek: the old reader may go before the new one comes) has its requests
 * cancelled; a reader that opens (a start, or a seek) also cancels what is queued at the peers
 * for the background, asked for again later. A window sliding on cancels nothing.
 */
import type { Bitfield } from '../../lib/bitfield.js';
import type { BlockRef } from '../geometry/pieces.js';
import type { PiecePicker } from '../picker/piece-picker.js';
import type { PeerKey, PeerState } from './peer-state.js';

export interface DeadlinesPort {
  readonly have: Bitfield;
  peers(): Iterable<PeerState>;
  peer(key: PeerKey): PeerState | undefined;
  /** Sends a cancel for a request to the peer (and remembers it, for a late copy). */
  cancel(p: PeerState, ref: BlockRef): void;
}

export class Deadlines {
  /** Deadline pieces not yet verified. */
  private readonly former = new Set<number>();

  constructor(
    private readonly picker: PiecePicker,
    private readonly port: DeadlinesPort,
  ) {}

  set(pieces: readonly number[], readerStarted: boolean): void {
    const first = pieces[0];
    const jump = readerStarted && first !== undefined && !this.port.have.has(first);
    this.picker.setDeadlines(pieces);
    if (jump) for (const p of this.port.peers()) this.cancelBackground(p);
    if (pieces.length === 0) return;
    const keep = new Set(pieces);
    for (const piece of this.former) {
      if (keep.has(piece)) continue;
      this.former.delete(piece);
      for (const { peer, ref } of this.picker.requestsFor(piece)) {
        const p = this.port.peer(peer);
        if (p !== undefined) this.takeBack(p, ref);
      }
    }
    for (const piece of pieces) this.former.add(piece);
  }

  verified(piece: number): void {
    this.former.delete(piece);
  }

  private cancelBackground(p: PeerState): void {
    for (const ref of this.picker.requestsOf(p.key))
      if (!this.picker.isDeadline(ref.index)) this.takeBack(p, ref);
  }

  private takeBack(p: PeerState, ref: BlockRef): void {
    this.picker.requestEnded(p.key, ref);
    p.outstanding = Math.max(0, p.outstanding - 1);
    this.port.cancel(p, ref);
  }
}
