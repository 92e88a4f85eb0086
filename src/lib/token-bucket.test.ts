import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through, then the rate', () => {
    const b = new TokenBucket(1000, 2000);
    assert.equal(b.take(2000, 0), true);
    assert.equal(b.take(1, 0), false);
    assert.equal(b.waitMs(500, 0), 500);
    assert.equal(b.take(500, 500), true);
    assert.equal(b.take(600, 1000), false);
    assert.equal(b.take(500, 1000), true);
  });

  it('averages to its rate over time', () => {
    const b = new TokenBucket(16_384 * 10, 65_536);
    let sent = 0;
    for (let now = 0; now <= 10_000; now += 7) while (b.take(16_384, now)) sent += 16_384;
    assert.ok(Math.abs(sent - (16_384 * 10 * 10 + 65_536)) <= 2 * 16_384, `sent ${sent}`);
  });

  it('never limits at Infinity', () => {
    const b = new TokenBucket(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 100; i++) assert.equal(b.take(1e9, 0), true);
  });

  it('spends bytes already received and says how long to stop reading', () => {
    const b = new TokenBucket(1000, 1000);
    assert.equal(b.spend(600, 0), 0);
    assert.equal(b.spend(900, 0), 500);
    assert.equal(b.take(1, 400), false);
    assert.equal(b.spend(0, 500), 0);
    const unlimited = new TokenBucket(Number.POSITIVE_INFINITY);
    assert.equal(unlimited.spend(1e9, 0), 0);
  });
});
