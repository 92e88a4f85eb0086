import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Bitfield } from '../../lib/bitfield.js';
import { seededRng } from '../../lib/ports.js';
import { contiguousLayout } from '../geometry/layout.js';
import { type BlockRef, PieceGeometry } from '../geometry/pieces.js';
import { PiecePicker } from './piece-picker.js';

const KIB16 = 16 * 1024;
/** `pieces` pieces of `blocks` blocks each, the last one short by 100 bytes. */
const geometry = (pieces: number, blocks = 2): PieceGeometry =>
  PieceGeometry.fromLayout(contiguousLayout([pieces * blocks * KIB16 - 100], blocks * KIB16));
const bits = (size: number, set: number[]): Bitfield => {
  const b = new Bitfield(size);
  for (const i of set) b.set(i);
  return b;
};

describe('PiecePicker', () => {
  it('asks for deadline pieces first, in deadline order, before rarer pieces', () => {
    const picker = new PiecePicker(geometry(8), seededRng(1));
    picker.addPeer(bits(8, [0, 1, 2, 3, 4, 5, 6, 7]));
    picker.addPeer(bits(8, [0, 1, 2, 3, 4, 5, 6])); // 7 is the rarest
    picker.setDeadlines([5, 3, 4]);
    const picked = picker.pick(1, 'all', 6).map((b) => b.index);
    assert.deepEqual(picked, [5, 5, 3, 3, 4, 4]);
    // Once the window is asked for, rarest first again.
    assert.equal(picker.pick(2, 'all', 1)[0]?.index, 7);
  });

  it('skips deadline pieces a peer lacks or we have', () => {
    const picker = new PiecePicker(geometry(4), seededRng(1));
    picker.pieceVerified(1);
    picker.setDeadlines([1, 2, 3]);
    const picked = picker.pick(1, bits(4, [0, 1, 3]), 2).map((b) => b.index);
    assert.deepEqual(picked, [3, 3]);
  });

  it('picks the rarest piece a peer has first', () => {
    const picker = new PiecePicker(geometry(4), seededRng(1));
    picker.addPeer(bits(4, [0, 1, 2, 3]));
    picker.addPeer(bits(4, [0, 1, 3]));
    picker.addPeer(bits(4, [0, 3]));
    const [first] = picker.pick(1, 'all', 1);
    assert.equal(first?.index, 2);
  });

  it('spreads peers over equally rare pieces at random', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const picker = new PiecePicker(geometry(8), seededRng(seed));
      seen.add(picker.pick(1, 'all', 1)[0]?.index ?? -1);
    }
    assert.ok(seen.size >= 4, `only pieces ${[...seen]} were chosen`);
  });

  it('finishes the piece a peer started before starting another (whole-piece affinity)', () => {
    const picker = new PiecePicker(geometry(4, 4), seededRng(2));
    const a = picker.pick(1, 'all', 2);
    const b = picker.pick(1, 'all', 2);
    assert.equal(a[0]?.index, b[0]?.index);
    assert.deepEqual(
      [...a, ...b].map((r) => r.begin),
      [0, KIB16, 2 * KIB16, 3 * KIB16],
    );
  });

  it('sizes the last block of the last piece short', () => {
    const g = geometry(1, 2);
    const picker = new PiecePicker(g, seededRng(3));
    assert.deepEqual(picker.pick(1, 'all', 5), [
      { index: 0, begin: 0, length: KIB16 },
      { index: 0, begin: KIB16, length: KIB16 - 100 },
    ]);
  });

  it('takes higher priority first and never picks a skipped piece', () => {
    const picker = new PiecePicker(geometry(3, 1), seededRng(4));
    picker.setPriority(0, 0);
    picker.setPriority(2, 7);
    assert.equal(picker.pick(1, 'all', 1)[0]?.index, 2);
    assert.equal(picker.pick(1, 'all', 1)[0]?.index, 1);
    assert.deepEqual(picker.pick(1, 'all', 1), []);
    assert.equal(picker.remaining, 2);
  });

  it('never picks a skipped piece for that peer, not even in end game', () => {
    const picker = new PiecePicker(geometry(2, 1), seededRng(9));
    const skip = new Set([1]);
    assert.deepEqual(
      picker.pick(1, 'all', 4, skip).map((r) => r.index),
      [0],
    );
    assert.deepEqual(picker.pick(1, 'all', 4, skip), [], 'piece 0 is out, piece 1 skipped');
    assert.deepEqual(
      picker.pick(2, 'all', 4, new Set([0])).map((r) => r.index),
      [1],
    );
    assert.deepEqual(picker.pick(3, 'all', 4, new Set([0, 1])), [], 'end game skips them too');
    assert.equal(picker.pick(3, 'all', 4).length, 2, 'without skips, end game asks for both');
  });

  it('accepts only blocks requested from that peer', () => {
    const picker = new PiecePicker(geometry(2, 1), seededRng(5));
    const [ref] = picker.pick(1, 'all', 1) as [BlockRef];
    assert.equal(picker.blockReceived(2, ref).kind, 'unrequested');
    assert.equal(picker.blockReceived(1, { ...ref, length: 5 }).kind, 'unrequested');
    assert.deepEqual(picker.blockReceived(1, ref), {
      kind: 'accepted',
      pieceComplete: true,
      cancel: [],
    });
  });

  it('frees a rejected or timed-out block for another peer', () => {
    const picker = new PiecePicker(geometry(1, 1), seededRng(6));
    const [ref] = picker.pick(1, 'all', 1) as [BlockRef];
    assert.deepEqual(picker.pick(2, 'all', 1).length, 1, 'end game hands it to a second peer');
    picker.requestEnded(1, ref);
    picker.requestEnded(2, ref);
    assert.deepEqual(picker.pick(3, 'all', 1), [ref]);
  });

  it('puts a piece that failed its hash back to be fetched again, from scratch', () => {
    const picker = new PiecePicker(geometry(1, 2), seededRng(7));
    const refs = picker.pick(1, 'all', 2);
    for (const r of refs) picker.blockReceived(1, r);
    picker.pieceFailed(0);
    assert.deepEqual(picker.pick(2, 'all', 2), refs);
  });

  it('enters end game: asks a second peer for blocks out to a first, and names whom to cancel', () => {
    const picker = new PiecePicker(geometry(1, 2), seededRng(8));
    const slow = picker.pick(1, 'all', 2);
    const fast = picker.pick(2, 'all', 2);
    assert.deepEqual(fast, slow);
    const receipt = picker.blockReceived(2, fast[0] as BlockRef);
    assert.deepEqual(receipt, { kind: 'accepted', pieceComplete: false, cancel: [1] });
    assert.equal(picker.blockReceived(1, slow[0] as BlockRef).kind, 'duplicate');
  });

  it('frees every request of a peer that went away', () => {
    const picker = new PiecePicker(geometry(2, 2), seededRng(9));
    const refs = picker.pick(1, 'all', 4);
    assert.equal(picker.requestsOf(1).length, 4);
    picker.peerGone(1);
    assert.equal(picker.requestsOf(1).length, 0);
    assert.equal(picker.pick(2, 'all', 4).length, refs.length);
  });

  it('is interested only in peers with a wanted piece', () => {
    const picker = new PiecePicker(geometry(3, 1), seededRng(10));
    picker.pieceVerified(1);
    assert.equal(picker.interestedIn(bits(3, [1])), false);
    assert.equal(picker.interestedIn(bits(3, [1, 2])), true);
    picker.pieceVerified(0);
    picker.pieceVerified(2);
    assert.equal(picker.interestedIn('all'), false);
    assert.equal(picker.remaining, 0);
  });

  it('downloads everything exactly once with random peers, losses and failures (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (pieces, blocks, seed) => {
          const g = geometry(pieces, blocks);
          const rng = seededRng(seed);
          const picker = new PiecePicker(g, rng);
          const peers = [1, 2, 3];
          const has = new Map(peers.map((p) => [p, Bitfield.full(pieces)] as const));
          for (const b of has.values()) picker.addPeer(b);
          const failedOnce = new Set<number>();
          for (let round = 0; round < 10_000 && picker.remaining > 0; round++) {
            const peer = peers[Math.floor(rng.next() * peers.length)] as number;
            const refs = picker.pick(
              peer,
              has.get(peer) as Bitfield,
              1 + Math.floor(rng.next() * 4),
            );
            for (const ref of refs) {
              if (rng.next() < 0.2) {
                picker.requestEnded(peer, ref);
                continue;
              }
              const r = picker.blockReceived(peer, ref);
              assert.notEqual(r.kind, 'unrequested');
              if (r.kind === 'accepted' && r.pieceComplete) {
                if (!failedOnce.has(ref.index) && rng.next() < 0.3) {
                  failedOnce.add(ref.index);
                  picker.pieceFailed(ref.index);
                } else picker.pieceVerified(ref.index);
              }
            }
          }
          assert.equal(picker.remaining, 0);
          assert.ok(picker.have.complete);
        },
      ),
      { numRuns: 200 },
    );
  });
});
