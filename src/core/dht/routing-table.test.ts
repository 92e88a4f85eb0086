import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeId } from '../../lib/ids.js';
import { seededRng } from '../../lib/ports.js';
import { commonPrefixBits, randomIdInBucket } from './node-id.js';
import { QUESTIONABLE_AFTER_MS, RoutingTable } from './routing-table.js';
import type { NodeInfo } from './types.js';

const rng = seededRng(42);
const own = new Uint8Array(20) as NodeId;
let port = 1000;
/** A node sharing exactly `prefix` leading bits with `own` (all zero bits). */
const nodeAt = (prefix: number): NodeInfo => ({
  id: randomIdInBucket(own, prefix, rng),
  address: { host: '10.0.0.1', port: port++ },
});

describe('RoutingTable', () => {
  it('takes nodes that answered us, up to k per bucket, splitting only the bucket near us', () => {
    const t = new RoutingTable(own, 8);
    for (let i = 0; i < 8; i++) assert.equal(t.heard(nodeAt(0), 0, true).added, true);
    // The ninth far node splits the only bucket; far nodes stay 8 at most.
    t.heard(nodeAt(0), 0, true);
    assert.equal(t.closest(new Uint8Array(20).fill(0xff), 100).length, 8);
    for (let i = 0; i < 20; i++) t.heard(nodeAt(5), 0, true);
    assert.ok(t.bucketCount > 5);
    const near = t.closest(own, 100).filter((n) => commonPrefixBits(n.id, own) === 5);
    assert.equal(near.length, 8);
  });

  it('asks for a ping of a node that only queried us, when there is room for it', () => {
    const t = new RoutingTable(own, 8);
    const n = nodeAt(3);
    const heard = t.heard(n, 0, false);
    assert.equal(heard.added, false);
    assert.equal(heard.ping, n);
    assert.equal(t.size, 0);
  });

  it('keeps the first id of an address, and ignores our own id and port 0', () => {
    const t = new RoutingTable(own, 8);
    const n = nodeAt(2);
    t.heard(n, 0, true);
    t.heard({ id: randomIdInBucket(own, 7, rng), address: n.address }, 0, true);
    assert.equal(t.size, 1);
    assert.equal(
      t.heard({ id: own, address: { host: '10.0.0.9', port: 1 } }, 0, true).added,
      false,
    );
    assert.equal(
      t.heard({ ...nodeAt(4), address: { host: '10.0.0.9', port: 0 } }, 0, true).added,
      false,
    );
  });

  it('replaces a bad node by a waiting one, and asks to ping a questionable node when full', () => {
    const t = new RoutingTable(own, 2);
    // Fill the far bucket beyond splitting: two nodes at prefix 0 after the split.
    const a = nodeAt(0);
    const b = nodeAt(0);
    t.heard(a, 0, true);
    t.heard(b, 0, true);
    t.heard(nodeAt(9), 0, true); // splits: a and b stay in bucket 0
    t.heard(nodeAt(9), 0, true);
    const c = nodeAt(0);
    assert.deepEqual(t.heard(c, 1000, true), { added: false }, 'full, nobody questionable');
    const later = QUESTIONABLE_AFTER_MS + 1000;
    const d = nodeAt(0);
    const r = t.heard(d, later, true);
    assert.equal(r.added, false);
    assert.ok(r.ping === a || r.ping === b, 'ping the silent one');
    t.failed((r.ping as NodeInfo).id, true);
    assert.ok(t.has(d.id), 'the waiting node took the bad one’s place');
    assert.equal(t.has((r.ping as NodeInfo).id), false);
  });

  it('lists questionable nodes and stale buckets after 15 minutes of silence', () => {
    const t = new RoutingTable(own, 8, 0);
    t.heard(nodeAt(1), 0, true);
    assert.deepEqual(t.questionable(1000), []);
    assert.equal(t.questionable(QUESTIONABLE_AFTER_MS).length, 1);
    assert.deepEqual(t.staleBuckets(QUESTIONABLE_AFTER_MS), [0]);
    t.touchBucket(0, QUESTIONABLE_AFTER_MS);
    assert.deepEqual(t.staleBuckets(QUESTIONABLE_AFTER_MS + 1), []);
  });

  it('returns the closest nodes in XOR order, bad nodes left out', () => {
    const t = new RoutingTable(own, 8);
    const nodes = [nodeAt(1), nodeAt(3), nodeAt(6), nodeAt(10)];
    for (const n of nodes) t.heard(n, 0, true);
    assert.deepEqual(
      t.closest(own, 4).map((n) => commonPrefixBits(n.id, own)),
      [10, 6, 3, 1],
    );
    t.failed((nodes[3] as NodeInfo).id);
    t.failed((nodes[3] as NodeInfo).id);
    assert.deepEqual(
      t.closest(own, 4).map((n) => commonPrefixBits(n.id, own)),
      [6, 3, 1],
    );
  });
});
