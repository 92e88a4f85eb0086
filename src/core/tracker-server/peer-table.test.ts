import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRng } from '../../lib/ports.js';
import type { IpAddress } from '../tracker-protocol/address.js';
import { PEER_RECORD_BYTES, PeerSelection, PeerTable, peerKeyOf } from './peer-table.js';

const v4 = (n: number): IpAddress => ({
  family: 'ipv4',
  bytes: Uint8Array.of(10, 0, n >> 8, n & 255),
});
const v6 = (n: number): IpAddress => {
  const bytes = new Uint8Array(16);
  bytes[0] = 0x20;
  bytes[1] = 0x01;
  bytes[14] = n >> 8;
  bytes[15] = n & 255;
  return { family: 'ipv6', bytes };
};
const id = (n: number): Uint8Array => new Uint8Array(20).fill(n & 255);

interface ModelPeer {
  readonly n: number;
  seeder: boolean;
  seen: number;
}

/** Checks the table against a model: same members, partition and per-slot lookups. */
const agree = (table: PeerTable, model: Map<number, ModelPeer>): void => {
  assert.equal(table.count, model.size);
  const seeders = [...model.values()].filter((p) => p.seeder).length;
  assert.equal(table.seeders, seeders);
  for (const p of model.values()) {
    const slot = table.slotOf(peerKeyOf(v4(p.n), 1000 + p.n));
    assert.ok(slot >= 0 && slot < table.count, `peer ${p.n} has slot ${slot}`);
    assert.equal(table.isSeeder(slot), p.seeder);
    assert.equal(table.seenAt(slot), p.seen);
  }
};

describe('PeerTable', () => {
  it('keeps leechers before seeders and every lookup right through any sequence of changes', () => {
    const op = fc.record({
      kind: fc.constantFrom('add', 'remove', 'flip', 'touch', 'expire'),
      n: fc.integer({ min: 0, max: 40 }),
      seeder: fc.boolean(),
      t: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const table = new PeerTable();
        const model = new Map<number, ModelPeer>();
        for (const o of ops) {
          const key = peerKeyOf(v4(o.n), 1000 + o.n);
          const slot = table.slotOf(key);
          if (o.kind === 'add' && slot < 0) {
            table.add(key, v4(o.n), 1000 + o.n, id(o.n), o.seeder, o.t);
            model.set(o.n, { n: o.n, seeder: o.seeder, seen: o.t });
          } else if (o.kind === 'remove' && slot >= 0) {
            table.remove(slot);
            model.delete(o.n);
          } else if (o.kind === 'flip' && slot >= 0) {
            const p = model.get(o.n) as ModelPeer;
            p.seeder = !p.seeder;
            table.setSeeder(slot, p.seeder);
          } else if (o.kind === 'touch' && slot >= 0) {
            table.touch(slot, o.t, id(o.n));
            (model.get(o.n) as ModelPeer).seen = o.t;
          } else if (o.kind === 'expire') {
            const removed = table.expire(o.t);
            let expected = 0;
            for (const [n, p] of model) {
              if (p.seen < o.t) {
                model.delete(n);
                expected++;
              }
            }
            assert.equal(removed, expected);
          }
          agree(table, model);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('selects distinct peers, never the excluded one, only from the range asked', () => {
    const table = new PeerTable();
    for (let n = 0; n < 30; n++) table.add(peerKeyOf(v4(n), 2000), v4(n), 2000, id(n), n >= 20, 0);
    const out = new PeerSelection(50);
    const rng = seededRng(3);
    for (let round = 0; round < 200; round++) {
      const exclude = round % 30;
      const want = 1 + (round % 35);
      const end = round % 2 === 0 ? table.count : table.leechers;
      table.select(out, end, exclude, want, 'any', false, 0, () => rng.next());
      const seen = new Set<number>();
      for (let i = 0; i < out.n4; i++) {
        const n = ((out.v4[i * 6 + 2] as number) << 8) | (out.v4[i * 6 + 3] as number);
        const slot = table.slotOf(peerKeyOf(v4(n), 2000));
        assert.notEqual(slot, exclude);
        assert.ok(slot < end, 'outside the range');
        assert.ok(!seen.has(n), 'twice');
        seen.add(n);
      }
      const available = end - (exclude < end ? 1 : 0);
      assert.equal(out.n4, Math.min(want, available));
    }
  });

  it('spreads selections over the swarm (random start and stride)', () => {
    const table = new PeerTable();
    for (let n = 0; n < 1000; n++) table.add(peerKeyOf(v4(n), 1), v4(n), 1, id(n), false, 0);
    const out = new PeerSelection(50);
    const rng = seededRng(11);
    const hits = new Uint32Array(1000);
    for (let round = 0; round < 400; round++) {
      table.select(out, table.count, -1, 50, 'any', false, 0, () => rng.next());
      for (let i = 0; i < out.n4; i++) {
        const n = ((out.v4[i * 6 + 2] as number) << 8) | (out.v4[i * 6 + 3] as number);
        hits[n] = (hits[n] as number) + 1;
      }
    }
    // 20,000 picks over 1,000 peers: each about 20 times; none starved, none hogging.
    assert.ok(Math.min(...hits) >= 3, `least picked ${Math.min(...hits)}`);
    assert.ok(Math.max(...hits) <= 60, `most picked ${Math.max(...hits)}`);
  });

  it('writes compact entries and ids per family, and filters by family', () => {
    const table = new PeerTable();
    table.add(peerKeyOf(v4(1), 6881), v4(1), 6881, id(1), false, 5);
    table.add(peerKeyOf(v6(2), 6882), v6(2), 6882, id(2), false, 5);
    const out = new PeerSelection(10);
    table.select(out, 2, -1, 10, 'any', true, 0, () => 0);
    assert.deepEqual([...out.v4.subarray(0, 6)], [10, 0, 0, 1, 0x1a, 0xe1]);
    assert.deepEqual([...out.v6.subarray(16, 18)], [0x1a, 0xe2]);
    assert.deepEqual(out.ids6.subarray(0, 20), id(2));
    table.select(out, 2, -1, 10, 'ipv6', false, 0, () => 0);
    assert.equal(out.n4, 0);
    assert.equal(out.n6, 1);
    table.select(out, 2, -1, 10, 'ipv4', false, 0, () => 0);
    assert.equal(out.n6, 0);
    assert.equal(out.n4, 1);
    // Peers older than the cutoff are never handed out.
    table.select(out, 2, -1, 10, 'any', false, 6, () => 0);
    assert.equal(out.count, 0);
  });

  it('costs 44 bytes of record a peer, and gives memory back as peers leave', () => {
    const table = new PeerTable();
    for (let n = 0; n < 1024; n++) table.add(peerKeyOf(v4(n), 1), v4(n), 1, id(n), false, 0);
    assert.equal(table.capacityBytes, 1024 * PEER_RECORD_BYTES);
    table.expire(1);
    assert.equal(table.count, 0);
    assert.ok(table.capacityBytes <= 8 * PEER_RECORD_BYTES * 2);
  });
});
