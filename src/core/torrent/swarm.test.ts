import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bitfield } from '../../lib/bitfield.js';
import { seededRng } from '../../lib/ports.js';
import { Choker } from '../choker/choker.js';
import { contiguousLayout } from '../geometry/layout.js';
import { PieceGeometry } from '../geometry/pieces.js';
import { PiecePicker } from '../picker/piece-picker.js';
import type { PeerMessage } from '../wire/messages.js';
import { Swarm, type SwarmCommand } from './swarm.js';

const KIB16 = 16 * 1024;
/** `pieces` pieces of one 16 KiB block each. */
const geometry = (pieces: number): PieceGeometry =>
  PieceGeometry.fromLayout(contiguousLayout([pieces * KIB16], KIB16));
const swarm = (pieces: number, seeding: boolean): Swarm => {
  const g = geometry(pieces);
  const have = seeding ? Bitfield.full(pieces) : undefined;
  return new Swarm(g, new PiecePicker(g, seededRng(1), have), new Choker(seededRng(2)));
};
const block = (index: number) => ({ index, begin: 0, length: KIB16 });

const sentTo = (commands: SwarmCommand[], peer: number): PeerMessage[] =>
  commands.flatMap((c) => (c.kind === 'send' && c.peer === peer ? [c.message] : []));
const kinds = (commands: SwarmCommand[], peer: number): string[] =>
  sentTo(commands, peer).map((m) => m.kind);
const served = (commands: SwarmCommand[], peer: number): number[] =>
  commands.flatMap((c) => (c.kind === 'serve' && c.peer === peer ? [c.ref.index] : []));
const requested = (commands: SwarmCommand[], peer: number): number[] =>
  sentTo(commands, peer).flatMap((m) => (m.kind === 'request' ? [m.index] : []));

/** A fast (BEP 6) leecher with nothing yet, interested in a seed: unchoked at once. */
const leecherJoins = (s: Swarm, peer: number): void => {
  s.peerConnected(peer, true, 0);
  s.message(peer, { kind: 'have-none' }, 0);
  s.message(peer, { kind: 'interested' }, 0);
};

/** A fast seed that unchokes us. */
const seedJoins = (s: Swarm, peer: number): void => {
  s.peerConnected(peer, true, 0);
  s.message(peer, { kind: 'have-all' }, 0);
  s.message(peer, { kind: 'unchoke' }, 0);
};

describe('Swarm: serving', () => {
  it('answers a request it will not serve with a reject, not a request', () => {
    const s = swarm(2, true);
    s.peerConnected(1, true, 0);
    s.message(1, { kind: 'have-none' }, 0);
    s.drain();
    s.message(1, { kind: 'request', ...block(0) }, 0);
    // Choked: BEP 6 says reject. The message must be a plain reject of that block.
    assert.deepEqual(sentTo(s.drain(), 1), [{ kind: 'reject', ...block(0) }]);
  });

  it('as a seed, refuses once a piece promised to another peer while the asker lacks an unsent one', () => {
    const s = swarm(2, true);
    leecherJoins(s, 1);
    leecherJoins(s, 2);
    assert.deepEqual(
      s.drain().filter((c) => c.kind === 'send' && c.message.kind === 'unchoke').length,
      2,
    );
    s.message(1, { kind: 'request', ...block(0) }, 0);
    assert.deepEqual(served(s.drain(), 1), [0]);
    s.message(2, { kind: 'request', ...block(0) }, 0);
    const refused = s.drain();
    assert.deepEqual(served(refused, 2), []);
    assert.deepEqual(sentTo(refused, 2), [{ kind: 'reject', ...block(0) }]);
    s.message(2, { kind: 'request', ...block(0) }, 0);
    assert.deepEqual(served(s.drain(), 2), [0], 'asked again, it is sent');
  });

  it('as a seed, holds second copies back while first copies wait to go out', () => {
    const s = swarm(2, true);
    leecherJoins(s, 1);
    leecherJoins(s, 2);
    s.message(1, { kind: 'request', ...block(0) }, 0);
    s.message(1, { kind: 'request', ...block(1) }, 0);
    s.drain();
    s.message(2, { kind: 'request', ...block(1) }, 0);
    assert.deepEqual(served(s.drain(), 2), [], 'piece 0 has not left yet');
    s.served(1, block(0));
    s.message(2, { kind: 'request', ...block(0) }, 0);
    assert.deepEqual(served(s.drain(), 2), [], 'piece 1 has not left yet');
    s.served(1, block(1));
    s.drain();
    leecherJoins(s, 3);
    s.message(3, { kind: 'request', ...block(1) }, 0);
    assert.deepEqual(served(s.drain(), 3), [1], 'every piece is out: second copies go');
  });

  it('as a seed, forgets a promise to a peer that left without the piece', () => {
    const s = swarm(2, true);
    leecherJoins(s, 1);
    leecherJoins(s, 2);
    s.message(1, { kind: 'request', ...block(0) }, 0);
    s.peerClosed(1);
    s.drain();
    s.message(2, { kind: 'request', ...block(0) }, 0);
    assert.deepEqual(served(s.drain(), 2), [0]);
  });

  it('as a leecher, uploads whatever is asked (the rule is for seeds)', () => {
    const s = swarm(2, false);
    s.peerConnected(9, true, 0);
    s.message(9, { kind: 'have-all' }, 0);
    s.message(9, { kind: 'unchoke' }, 0);
    s.message(9, { kind: 'piece', ...block(0), block: new Uint8Array(KIB16) }, 0);
    s.message(9, { kind: 'piece', ...block(1), block: new Uint8Array(KIB16) }, 0);
    s.pieceChecked(0, true);
    leecherJoins(s, 1);
    leecherJoins(s, 2);
    s.message(1, { kind: 'request', ...block(0) }, 0);
    s.message(2, { kind: 'request', ...block(0) }, 0);
    const commands = s.drain();
    assert.deepEqual([served(commands, 1), served(commands, 2)], [[0], [0]]);
  });
});

describe('Swarm: choking', () => {
  it('gives the slot of a peer that lost interest to a waiting peer at the next tick', () => {
    const s = swarm(2, true);
    for (const peer of [1, 2, 3, 4, 5]) leecherJoins(s, peer);
    const first = s.drain();
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((peer) => kinds(first, peer).includes('unchoke')),
      [true, true, true, true, false],
    );
    s.message(2, { kind: 'not-interested' }, 500);
    s.tick(1000);
    assert.ok(kinds(s.drain(), 5).includes('unchoke'));
  });
});

describe('Swarm: requesting', () => {
  it('asks a peer that refused a piece for others, and again for it once nothing is on the way', () => {
    const s = swarm(3, false);
    seedJoins(s, 1);
    assert.deepEqual(requested(s.drain(), 1).sort(), [0, 1, 2]);
    s.message(1, { kind: 'reject', ...block(1) }, 0);
    assert.deepEqual(requested(s.drain(), 1), [], 'not at once again');
    s.message(1, { kind: 'piece', ...block(0), block: new Uint8Array(KIB16) }, 0);
    s.tick(1000);
    assert.deepEqual(requested(s.drain(), 1), [], 'piece 2 is still on its way');
    s.message(1, { kind: 'piece', ...block(2), block: new Uint8Array(KIB16) }, 1500);
    assert.deepEqual(requested(s.drain(), 1), [], 'not before the next tick');
    s.tick(2000);
    assert.deepEqual(requested(s.drain(), 1), [1], 'asked again');
  });

  it('tops up its requests in batches of a quarter of the queue, not one per block', () => {
    const s = swarm(64, false);
    seedJoins(s, 1);
    const first = requested(s.drain(), 1);
    assert.equal(first.length, 16, 'the first queue');
    const arrive = (index: number): number[] => {
      s.message(1, { kind: 'piece', ...block(index), block: new Uint8Array(KIB16) }, 0);
      return requested(s.drain(), 1);
    };
    const batches = first.map(arrive).filter((batch) => batch.length > 0);
    assert.ok(batches.length <= first.length / 2, `${batches.length} batches for 16 blocks`);
    for (const batch of batches) assert.ok(batch.length >= 4, `a batch of ${batch.length}`);
  });

  it('asks again at once when nothing is on the way', () => {
    const s = swarm(2, false);
    seedJoins(s, 1);
    assert.deepEqual(requested(s.drain(), 1).sort(), [0, 1]);
    s.message(1, { kind: 'piece', ...block(0), block: new Uint8Array(KIB16) }, 0);
    s.message(1, { kind: 'reject', ...block(1) }, 0);
    s.pieceChecked(0, true);
    s.tick(1000);
    assert.deepEqual(requested(s.drain(), 1), [1]);
  });

  it('holds a reject against nobody while the peer chokes us', () => {
    const s = swarm(2, false);
    seedJoins(s, 1);
    s.drain();
    s.message(1, { kind: 'choke' }, 0);
    s.message(1, { kind: 'reject', ...block(0) }, 0);
    s.message(1, { kind: 'reject', ...block(1) }, 0);
    s.message(1, { kind: 'unchoke' }, 0);
    assert.deepEqual(requested(s.drain(), 1).sort(), [0, 1]);
  });

  it('drops a block that crosses our end-game cancel, even after the piece is checked', () => {
    const s = swarm(1, false);
    seedJoins(s, 1);
    seedJoins(s, 2);
    seedJoins(s, 3);
    const asked = s.drain();
    assert.deepEqual([requested(asked, 1), requested(asked, 2)], [[0], [0]], 'end game');
    s.message(1, { kind: 'piece', ...block(0), block: new Uint8Array(KIB16) }, 0);
    assert.ok(kinds(s.drain(), 2).includes('cancel'));
    s.pieceChecked(0, true);
    s.drain();
    s.message(2, { kind: 'piece', ...block(0), block: new Uint8Array(KIB16) }, 0);
    s.message(3, { kind: 'reject', ...block(0) }, 0);
    assert.deepEqual(
      s.drain().filter((c) => c.kind === 'disconnect'),
      [],
    );
  });

  it('still disconnects a peer that sends a block nobody asked it for', () => {
    const s = swarm(2, false);
    s.peerConnected(1, true, 0);
    s.message(1, { kind: 'have-all' }, 0);
    s.message(1, { kind: 'piece', ...block(0), block: new Uint8Array(KIB16) }, 0);
    const [gone] = s.drain().filter((c) => c.kind === 'disconnect');
    assert.equal(gone?.kind === 'disconnect' && gone.misbehaving, true);
  });
});

describe('Swarm: streaming deadlines', () => {
  it('a seek cancels the requests for the old window and the background, and asks for the new one', () => {
    const s = swarm(40, false);
    s.setDeadlines([0, 1, 2, 3], true);
    seedJoins(s, 1);
    const first = requested(s.drain(), 1);
    // Busy with the reader's blocks, the peer is asked for nothing else.
    assert.deepEqual(first, [0, 1, 2, 3]);
    // The old reader goes (empty window): the background fills the queue, nothing is cancelled.
    s.setDeadlines([]);
    const between = s.drain();
    assert.deepEqual(
      sentTo(between, 1).filter((m) => m.kind === 'cancel'),
      [],
      'a reader going away alone cancels nothing',
    );
    const background = requested(between, 1);
    assert.ok(background.length > 0);
    // The new reader comes at 30.
    s.setDeadlines([30, 31], true);
    const out = s.drain();
    const cancelled = sentTo(out, 1).flatMap((m) => (m.kind === 'cancel' ? [m.index] : []));
    // The old window's pieces, and what was queued for the background, so that 30 comes next.
    assert.deepEqual(
      cancelled.sort((a, b) => a - b),
      [...first, ...background].sort((a, b) => a - b),
    );
    assert.deepEqual(requested(out, 1), [30, 31]);
  });

  it('asks again at once for a deadline piece a seed refused (a reader waits on it)', () => {
    const s = swarm(40, false);
    s.setDeadlines([7], true);
    seedJoins(s, 1);
    const first = requested(s.drain(), 1);
    assert.equal(first[0], 7);
    // The seed spares a second copy: BEP 6 reject while it keeps unchoking us.
    s.message(1, { kind: 'reject', ...block(7) }, 0);
    assert.deepEqual(requested(s.drain(), 1).slice(0, 1), [7]);
    // Refused twice: it waits like any refused piece.
    s.message(1, { kind: 'reject', ...block(7) }, 0);
    assert.ok(!requested(s.drain(), 1).includes(7));
  });

  it('a window sliding on (no new reader) leaves the background requests alone', () => {
    const s = swarm(40, false);
    seedJoins(s, 1);
    s.drain();
    s.setDeadlines([20, 21], false);
    const out = s.drain();
    assert.deepEqual(
      sentTo(out, 1).filter((m) => m.kind === 'cancel'),
      [],
    );
  });
});
