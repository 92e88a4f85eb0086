import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bitfield } from './bitfield.js';
import { seededRng } from './ports.js';

describe('Bitfield', () => {
  it('puts piece 0 in the high bit of the first byte', () => {
    const b = new Bitfield(10);
    b.set(0);
    b.set(9);
    assert.deepEqual([...b.bytes], [0x80, 0x40]);
    assert.equal(b.count, 2);
    assert.ok(b.has(9) && !b.has(8));
  });

  it('refuses wire bytes with spare bits set or the wrong length', () => {
    assert.equal(Bitfield.fromWire(10, new Uint8Array([0xff, 0xc1])), undefined);
    assert.equal(Bitfield.fromWire(10, new Uint8Array([0xff])), undefined);
    assert.equal(Bitfield.fromWire(10, new Uint8Array([0xff, 0xc0]))?.complete, true);
  });

  it('counts sets and clears once each', () => {
    const b = new Bitfield(3);
    assert.equal(b.set(1), true);
    assert.equal(b.set(1), false);
    assert.equal(b.clear(1), true);
    assert.equal(b.clear(1), false);
    assert.ok(b.empty);
    assert.ok(Bitfield.full(13).complete);
    assert.throws(() => b.set(3), RangeError);
  });
});

describe('seededRng', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      assert.equal(x, b.next());
      assert.ok(x >= 0 && x < 1);
    }
  });
});
