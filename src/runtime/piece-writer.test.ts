import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contiguousLayout } from '../core/geometry/layout.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { PieceWriter } from './piece-writer.js';
import { MemoryStorage } from './storage/memory-storage.js';

const PIECE = 64 * 1024;
const setup = (maxHeld: number) => {
  const storage = new MemoryStorage(contiguousLayout([PIECE * 8], PIECE));
  const reading: boolean[] = [];
  const writer = new PieceWriter(storage, {
    maxHeld,
    pauseAt: 1 << 30,
    resumeAt: 0,
    pieceSize: () => PIECE,
    setReading: (on) => reading.push(on),
    onError: (e) => assert.fail(e),
  });
  return { storage, writer, reading };
};
const blocksOf = (piece: Uint8Array) =>
  [0, 1, 2, 3].map((i) => ({
    ref: { index: 0, begin: i * 16_384, length: 16_384 },
    data: piece.subarray(i * 16_384, (i + 1) * 16_384),
  }));

describe('PieceWriter', () => {
  it('assembles a piece from memory and writes it only once it is committed', async () => {
    const { storage, writer } = setup(1 << 30);
    const piece = pseudoRandomBytes(PIECE, 1);
    for (const b of blocksOf(piece).reverse()) writer.add(b.ref, b.data);
    await assert.rejects(storage.read(0, 0, 10), 'nothing on disk before the check');
    const data = await writer.take(0, PIECE);
    assert.deepEqual(data, piece);
    await writer.commit(0, data);
    assert.deepEqual(await storage.read(0, 0, PIECE), piece);
  });

  it('never writes a piece that failed its check', async () => {
    const { storage, writer } = setup(1 << 30);
    for (const b of blocksOf(pseudoRandomBytes(PIECE, 2))) writer.add(b.ref, b.data);
    writer.discard(0);
    await writer.drain();
    await assert.rejects(storage.read(0, 0, 10));
  });

  it('spills to storage past its memory bound and still returns the whole piece', async () => {
    const { storage, writer } = setup(40_000);
    const pieces = [pseudoRandomBytes(PIECE, 3), pseudoRandomBytes(PIECE, 4)];
    for (const [n, piece] of pieces.entries()) {
      for (const b of blocksOf(piece)) writer.add({ ...b.ref, index: n }, b.data);
    }
    for (const [n, piece] of pieces.entries()) {
      const data = await writer.take(n, PIECE);
      assert.deepEqual(data, piece);
      await writer.commit(n, data);
      assert.deepEqual(await storage.read(n, 0, PIECE), piece);
    }
  });

  it('copies each block on arrival, so the sender may reuse its memory at once', async () => {
    const { writer } = setup(1 << 30);
    const piece = pseudoRandomBytes(PIECE, 5);
    const scratch = new Uint8Array(16_384);
    for (const b of blocksOf(piece)) {
      scratch.set(b.data);
      writer.add(b.ref, scratch);
      scratch.fill(0xee);
    }
    assert.deepEqual(await writer.take(0, PIECE), piece);
  });

  it('reuses a written piece buffer for the next piece, never while it is being written', async () => {
    const { storage, writer } = setup(1 << 30);
    const first = pseudoRandomBytes(PIECE, 6);
    for (const b of blocksOf(first)) writer.add(b.ref, b.data);
    const data = await writer.take(0, PIECE);
    await writer.commit(0, data);
    const second = pseudoRandomBytes(PIECE, 7);
    for (const b of blocksOf(second)) writer.add({ ...b.ref, index: 1 }, b.data);
    const again = await writer.take(1, PIECE);
    assert.equal(again.buffer, data.buffer, 'the buffer came back');
    assert.deepEqual(again, second);
    assert.deepEqual(await storage.read(0, 0, PIECE), first);
  });

  it('sends blocks that arrive after a spill straight to storage', async () => {
    const { storage, writer } = setup(PIECE + 1);
    const a = pseudoRandomBytes(PIECE, 8);
    const b = pseudoRandomBytes(PIECE, 9);
    const [first, ...rest] = blocksOf(a);
    const bBlocks = blocksOf(b).map((x) => ({ ref: { ...x.ref, index: 1 }, data: x.data }));
    if (first === undefined) assert.fail('no blocks');
    writer.add(first.ref, first.data);
    for (const x of bBlocks) writer.add(x.ref, x.data); // two buffers held: piece 0 spills
    for (const x of rest) writer.add(x.ref, x.data);
    const got = await writer.take(0, PIECE);
    assert.deepEqual(got, a);
    await writer.commit(0, got);
    assert.deepEqual(await storage.read(0, 0, PIECE), a);
    assert.deepEqual(await writer.take(1, PIECE), b);
  });

  it('counts pieces being checked against the pause bound, and resumes once they are back', async () => {
    const storage = new MemoryStorage(contiguousLayout([PIECE * 8], PIECE));
    const reading: boolean[] = [];
    const writer = new PieceWriter(storage, {
      maxHeld: 1 << 30,
      pauseAt: PIECE + 1,
      resumeAt: PIECE + 1,
      pieceSize: () => PIECE,
      setReading: (on) => reading.push(on),
      onError: (e) => assert.fail(e),
    });
    const pieces = [pseudoRandomBytes(PIECE, 10), pseudoRandomBytes(PIECE, 11)];
    for (const [n, piece] of pieces.entries())
      for (const b of blocksOf(piece)) writer.add({ ...b.ref, index: n }, b.data);
    const first = await writer.take(0, PIECE);
    assert.deepEqual(reading, [], 'one piece in the checker: under the bound');
    const second = await writer.take(1, PIECE);
    assert.deepEqual(reading, [false], 'two pieces in the checker: reading pauses');
    writer.discard(0, first);
    assert.deepEqual(reading, [false, true], 'back under the resume mark');
    await writer.commit(1, second);
    assert.deepEqual(await storage.read(1, 0, PIECE), pieces[1]);
  });

  it('copies a block that goes straight to storage after a spill', async () => {
    const { writer } = setup(PIECE + 1);
    const a = pseudoRandomBytes(PIECE, 12);
    const b = pseudoRandomBytes(PIECE, 13);
    const [first, ...rest] = blocksOf(a);
    if (first === undefined) assert.fail('no blocks');
    writer.add(first.ref, first.data);
    for (const x of blocksOf(b)) writer.add({ ...x.ref, index: 1 }, x.data); // piece 0 spills
    const scratch = new Uint8Array(16_384);
    for (const x of rest) {
      scratch.set(x.data);
      writer.add(x.ref, scratch);
      scratch.fill(0xee);
    }
    assert.deepEqual(await writer.take(0, PIECE), a);
  });
});
