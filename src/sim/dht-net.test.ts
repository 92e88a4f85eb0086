import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../lib/ports.js';
import { nodeHash } from '../runtime/node-hash.js';
import { DhtNet } from './dht-net.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

describe('a simulated network of 500 DHT nodes', () => {
  it('finds announced peers in at least 99% of 1,000 lookups, and 95% with 20% of nodes gone', () => {
    const net = new DhtNet({ nodes: 500, seed: 5, hash: nodeHash });
    net.bootstrapAll();
    const sizes = net.nodes.map((n) => n.node.table.size);
    assert.ok(median(sizes) >= 10, `median routing table size ${median(sizes)}`);

    const rng = seededRng(11);
    const pick = (alive = false): number => {
      for (;;) {
        const i = Math.floor(rng.next() * net.nodes.length);
        if (!alive || net.nodes[i]?.alive) return i;
      }
    };
    // 100 torrents, each announced by one node (its port stands for its peer).
    const torrents = Array.from({ length: 100 }, (_, n) => {
      const infoHash = new Uint8Array(20);
      rng.fill(infoHash);
      const seeder = pick();
      const r = net.getPeers(seeder, infoHash, { port: 10_000 + n });
      assert.ok(r.stats.answered > 0);
      return { infoHash, host: net.nodes[seeder]?.address.host, port: 10_000 + n };
    });
    net.runUntil(() => false, 5000); // the announces land

    const round = (count: number): { found: number; hops: number[]; ms: number[] } => {
      const hops: number[] = [];
      const ms: number[] = [];
      let found = 0;
      // Twenty at a time, as a busy client would.
      for (let started = 0; started < count; started += 20) {
        const batch = Array.from({ length: Math.min(20, count - started) }, () => {
          const t = torrents[Math.floor(rng.next() * torrents.length)] as (typeof torrents)[0];
          return { t, key: net.startGetPeers(pick(true), t.infoHash) };
        });
        net.runUntil(() => batch.every((b) => net.result(b.key) !== undefined));
        for (const { t, key } of batch) {
          const r = net.result(key);
          assert.ok(r !== undefined, 'every lookup ends');
          if (r.peers.some((p) => p.host === t.host && p.port === t.port)) {
            found++;
            if (r.stats.hops !== undefined) hops.push(r.stats.hops);
          }
          ms.push(r.ms);
        }
      }
      return { found, hops, ms };
    };

    const healthy = round(500);
    for (const n of net.nodes.slice(1)) if (rng.next() < 0.2) net.kill(n.index);
    const damaged = round(500);
    const dead = net.nodes.filter((n) => !n.alive).length;
    console.log(
      `500 nodes: ${healthy.found}/500 found, median ${median(healthy.hops)} hops, ` +
        `median ${median(healthy.ms)} ms; with ${dead} nodes gone: ${damaged.found}/500, ` +
        `median ${median(damaged.hops)} hops, median ${median(damaged.ms)} ms; ` +
        `${net.packets} packets`,
    );
    assert.ok(healthy.found >= 495, `${healthy.found}/500 found with every node up`);
    assert.ok(damaged.found >= 475, `${damaged.found}/500 found with ${dead} nodes gone`);
  });
});
