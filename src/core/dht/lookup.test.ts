import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeId } from '../../lib/ids.js';
import { seededRng } from '../../lib/ports.js';
import { Lookup } from './lookup.js';
import { randomIdInBucket } from './node-id.js';
import type { NodeInfo } from './types.js';

const rng = seededRng(7);
const target = new Uint8Array(20) as NodeId;
let port = 2000;
const at = (prefix: number): NodeInfo => ({
  id: randomIdInBucket(target, prefix, rng),
  address: { host: '10.0.0.2', port: port++ },
});

describe('Lookup', () => {
  it('asks alpha nodes at a time, closest first, and ends once the k closest answered', () => {
    const start = [at(1), at(2), at(3), at(4)];
    const l = new Lookup('find_node', target, start, { alpha: 2, k: 2, maxCandidates: 50 });
    const first = l.next();
    assert.deepEqual(first, [start[3], start[2]]);
    assert.deepEqual(l.next(), [], 'two in flight');
    const closer = [at(10), at(12)];
    l.answer((start[3] as NodeInfo).id, closer);
    assert.deepEqual(l.next(), [closer[1]], 'the new closest first');
    l.answer((start[2] as NodeInfo).id, []);
    assert.deepEqual(l.next(), [closer[0]]);
    assert.equal(l.done, false);
    l.answer((closer[1] as NodeInfo).id, []);
    l.answer((closer[0] as NodeInfo).id, []);
    assert.equal(l.done, true);
    assert.equal(l.stats().answered, 4);
  });

  it('moves past failures and frees a slot for a slow node, still taking its late answer', () => {
    const start = [at(1), at(2), at(3)];
    const l = new Lookup('get_peers', target, start, { alpha: 1, k: 8, maxCandidates: 50 });
    const [a] = l.next();
    l.slow((a as NodeInfo).id);
    const [b] = l.next();
    assert.notEqual(b, a);
    l.failed((b as NodeInfo).id);
    const [c] = l.next();
    l.answer((c as NodeInfo).id, [], [{ host: '10.9.9.9', port: 6881 }], new Uint8Array([1]));
    assert.equal(l.done, false, 'a slow query among the closest is still awaited');
    l.answer((a as NodeInfo).id, [], [{ host: '10.9.9.9', port: 6881 }]);
    assert.equal(l.done, true);
    assert.deepEqual(l.peers, [{ host: '10.9.9.9', port: 6881 }]);
    assert.equal(l.stats().hops, 1);
    assert.deepEqual(
      l.closestAnswered().map((x) => x.token),
      [undefined, new Uint8Array([1])],
    );
  });

  it('ends at once with nobody to ask', () => {
    const l = new Lookup('find_node', target, []);
    assert.deepEqual(l.next(), []);
    assert.equal(l.done, true);
  });
});
