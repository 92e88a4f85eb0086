import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressRateLimiter } from './rate-limiter.js';

describe('per-address rate limit', () => {
  it('allows a burst, then the refill rate', () => {
    const l = new AddressRateLimiter({ perSecond: 10, burst: 5, maxAddresses: 100 });
    let allowed = 0;
    for (let i = 0; i < 20; i++) if (l.allow('a', 0)) allowed++;
    assert.equal(allowed, 5);
    assert.equal(l.refused, 15);
    assert.ok(!l.allow('a', 50));
    assert.ok(l.allow('a', 100), 'one token back after 100 ms');
    // Another address has its own bucket.
    assert.ok(l.allow('b', 100));
  });

  it('tracks at most maxAddresses, forgetting the oldest', () => {
    const l = new AddressRateLimiter({ perSecond: 1, burst: 1, maxAddresses: 1000 });
    for (let i = 0; i < 100_000; i++) l.allow(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 0);
    assert.equal(l.tracked, 1000);
    // A recent address is still limited.
    assert.ok(!l.allow('10.1.134.159', 0));
  });

  it('forgets quiet addresses in a sweep', () => {
    const l = new AddressRateLimiter({ perSecond: 10, burst: 10, maxAddresses: 100 });
    l.allow('a', 0);
    l.allow('b', 900);
    l.sweep(1500);
    assert.equal(l.tracked, 1);
  });
});
