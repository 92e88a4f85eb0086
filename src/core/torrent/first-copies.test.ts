import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bitfield } from '../../lib/bitfield.js';
import { FirstCopies } from './first-copies.js';

const bits = (size: number, set: number[]): Bitfield => {
  const b = new Bitfield(size);
  for (const i of set) b.set(i);
  return b;
};
const none = bits(10, []);
const all = Bitfield.full(10);

describe('FirstCopies', () => {
  it('lets a second copy wait while the asker lacks a piece nobody was promised', () => {
    const f = new FirstCopies(10);
    f.promise(1, 3, '3:0');
    f.settled(1, '3:0');
    assert.equal(f.canWait(1, 3, none, all), false, 'its own promise');
    assert.equal(f.canWait(2, 4, none, all), false, 'nobody was promised 4');
    assert.equal(f.canWait(2, 3, none, all), true);
    for (let piece = 0; piece < 10; piece++) {
      f.promise(1, piece, `${piece}:0`);
      f.settled(1, `${piece}:0`);
    }
    assert.equal(f.canWait(2, 3, none, all), false, 'everything is promised and sent');
  });

  it('lets a second copy wait while first copies wait to go out to other peers', () => {
    const f = new FirstCopies(2);
    const two = Bitfield.full(2);
    f.promise(1, 0, '0:0');
    f.promise(1, 1, '1:0');
    f.promise(2, 0, '0:0');
    assert.equal(f.canWait(2, 0, bits(2, []), two), true, 'piece 1 waits for peer 1');
    assert.equal(f.canWait(1, 1, bits(2, []), two), false, 'first copies of its own');
    f.settled(1, '1:0');
    assert.equal(f.canWait(2, 0, bits(2, []), two), true, 'piece 0 waits for peer 1');
    f.settledAll(1);
    assert.equal(f.canWait(2, 0, bits(2, []), two), false);
  });

  it('counts only pieces we have and the asker lacks', () => {
    const f = new FirstCopies(10);
    f.promise(1, 0, '0:0');
    f.settled(1, '0:0');
    assert.equal(f.canWait(2, 0, bits(10, [1, 2, 3, 4, 5, 6, 7, 8, 9]), all), false);
    assert.equal(f.canWait(2, 0, none, bits(10, [0])), false);
  });

  it('voids a promise to a peer that left without the piece, not one it kept or shared', () => {
    const f = new FirstCopies(10);
    f.promise(1, 0, '0:0');
    f.promise(1, 1, '1:0');
    f.promise(1, 2, '2:0');
    f.promise(3, 2, '2:0');
    f.peerGone(1, bits(10, [1]));
    assert.equal(f.canWait(2, 0, none, all), false, 'void, and nothing waits to go out');
    assert.equal(f.canWait(2, 1, none, all), true, 'the peer had it');
    assert.equal(f.canWait(2, 2, none, all), true, 'promised to another too');
  });
});
