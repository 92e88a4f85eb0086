import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contiguousLayout } from '../core/geometry/layout.js';
import { PieceGeometry } from '../core/geometry/pieces.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { nodeHash } from '../runtime/node-hash.js';
import { Mesh } from './mesh.js';

const make = (size: number, pieceLength: number, seed = 1, config = {}) => {
  const content = pseudoRandomBytes(size, seed);
  const geometry = PieceGeometry.fromLayout(contiguousLayout([size], pieceLength));
  return new Mesh({ geometry, content, hash: nodeHash, seed, config });
};

describe('a simulated swarm', () => {
  it('one leecher gets every byte from one seeder', () => {
    const mesh = make(300_001, 32 * 1024);
    const seeder = mesh.addNode(true);
    const leecher = mesh.addNode(false);
    mesh.connect(seeder, leecher);
    assert.ok(mesh.run(60_000), 'finished');
    assert.deepEqual(leecher.data, seeder.data);
  });

  it('20 leechers finish from one rate-limited seeder within 1.3x the lower bound', () => {
    const size = 2 * 1024 * 1024;
    const rate = 1024 * 1024; // bytes per virtual second
    const mesh = make(size, 32 * 1024, 7);
    const seeder = mesh.addNode(true, rate);
    const leechers = Array.from({ length: 20 }, () => mesh.addNode(false));
    const all = [seeder, ...leechers];
    all.forEach((a, i) => {
      for (const b of all.slice(i + 1)) mesh.connect(a, b);
    });
    assert.ok(mesh.run(60_000), 'finished');
    for (const l of leechers) assert.deepEqual(l.data, seeder.data);
    const last = Math.max(...leechers.map((l) => l.doneAt ?? Number.POSITIVE_INFINITY));
    const bound = (size / rate) * 1000;
    const ratio = last / bound;
    console.log(
      `# simulated swarm: last leecher done at ${last} ms, lower bound ${bound} ms, ratio ${ratio.toFixed(2)}`,
    );
    assert.ok(ratio <= 1.3, `ratio ${ratio.toFixed(2)}`);
  });

  it('bans a peer that sends corrupt pieces and still completes from honest peers', () => {
    const mesh = make(400_000, 16 * 1024, 3);
    const honest = mesh.addNode(true, 200_000);
    const liar = mesh.addNode(true);
    liar.data.fill(0x55); // every block it serves is wrong
    const leecher = mesh.addNode(false);
    mesh.connect(honest, leecher);
    mesh.connect(liar, leecher);
    liar.doneAt = 0;
    assert.ok(mesh.run(120_000), 'finished');
    assert.deepEqual(leecher.data, honest.data);
    assert.ok(
      leecher.log.some(
        (l) => l.startsWith(`disconnect ${liar.id}:`) && l.includes('failed their hash check'),
      ),
      leecher.log.join('\n'),
    );
  });
});
