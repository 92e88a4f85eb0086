import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlockRef } from '../../core/geometry/pieces.js';
import type { PeerSocket } from './peer-socket.js';
import { UploadQueue } from './upload-queue.js';

const BLOCK = 16 * 1024;
const ref = (index: number, block: number): BlockRef => ({
  index,
  begin: block * BLOCK,
  length: BLOCK,
});

/** A socket that takes everything once opened, and a queue over it whose reads finish when told. */
const setup = () => {
  const sent: string[] = [];
  const prefetched: number[] = [];
  const reads: Array<() => void> = [];
  const sock = {
    congested: true,
    closed: false,
    sendBlock: (index: number, begin: number) => sent.push(`${index}:${begin / BLOCK}`),
  } as unknown as PeerSocket;
  const queue = new UploadQueue(sock, {
    read: (r) =>
      new Promise<Uint8Array>((resolve) => reads.push(() => resolve(new Uint8Array(r.length)))),
    prefetch: (piece) => prefetched.push(piece),
    limits: [],
    sent: () => undefined,
    failed: (_r, e) => assert.fail(e),
  });
  /** Lets every read in flight finish, and the sends and reads they lead to. */
  const settle = async (): Promise<void> => {
    while (reads.length > 0) {
      for (const done of reads.splice(0)) done();
      await new Promise((r) => setImmediate(r));
    }
  };
  /** The socket takes data from now on. */
  const open = (): void => {
    (sock as { congested: boolean }).congested = false;
    queue.pump();
  };
  return { queue, sent, prefetched, settle, open };
};

describe('UploadQueue', () => {
  it('serves blocks in the order they were asked for, and each only once', async () => {
    const { queue, sent, settle, open } = setup();
    for (const b of [0, 1, 2]) queue.add(ref(5, b));
    queue.add(ref(5, 1));
    queue.add(ref(6, 0));
    open();
    await settle();
    assert.deepEqual(sent, ['5:0', '5:1', '5:2', '6:0']);
  });

  it('forgets a block removed before its turn', async () => {
    const { queue, sent, settle, open } = setup();
    for (const b of [0, 1, 2, 3, 4, 5]) queue.add(ref(1, b));
    queue.remove(ref(1, 5));
    open();
    await settle();
    assert.deepEqual(sent, ['1:0', '1:1', '1:2', '1:3', '1:4']);
  });

  it('reads the next two pieces in line ahead once a piece has all gone out to be read', () => {
    const { queue, prefetched, open } = setup();
    for (const piece of [7, 8, 9, 10]) for (const b of [0, 1, 2]) queue.add(ref(piece, b));
    open(); // four reads start: piece 7's three blocks and the first of piece 8
    assert.deepEqual(prefetched, [8, 9]);
  });
});
