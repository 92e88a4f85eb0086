import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../lib/ports.js';
import { Choker, type ChokerPeer, DEFAULT_CHOKER_CONFIG } from './choker.js';

const peer = (key: number, downloadRate: number, over: Partial<ChokerPeer> = {}): ChokerPeer => ({
  key,
  interested: true,
  downloadRate,
  snubbed: false,
  connectedAt: -1_000_000,
  ...over,
});

describe('Choker while leeching', () => {
  it('unchokes the three fastest uploaders to us plus one optimistic peer', () => {
    const choker = new Choker(seededRng(1));
    const peers = [peer(1, 10), peer(2, 500), peer(3, 300), peer(4, 0), peer(5, 200), peer(6, 100)];
    const chosen = choker.decide(peers, false, 0);
    assert.equal(chosen.size, 4);
    for (const k of [2, 3, 5]) assert.ok(chosen.has(k), `fast peer ${k} unchoked`);
  });

  it('never unchokes a peer that is not interested, and skips snubbed peers for regular slots', () => {
    const choker = new Choker(seededRng(2), { ...DEFAULT_CHOKER_CONFIG, slots: 2 });
    const chosen = choker.decide(
      [peer(1, 999, { interested: false }), peer(2, 900, { snubbed: true }), peer(3, 1)],
      false,
      0,
    );
    assert.ok(!chosen.has(1));
    assert.ok(chosen.has(3));
  });

  it('rotates the optimistic slot every few rounds so every slow peer gets a turn', () => {
    const choker = new Choker(seededRng(3));
    const peers = [
      peer(1, 900),
      peer(2, 800),
      peer(3, 700),
      ...[4, 5, 6, 7, 8].map((k) => peer(k, 0)),
    ];
    const lucky = new Set<number>();
    for (let round = 0; round < 60; round++) {
      for (const k of choker.decide(peers, false, round * 10_000)) if (k >= 4) lucky.add(k);
    }
    assert.equal(lucky.size, 5);
  });

  it('weights new peers up for the optimistic slot', () => {
    let newWins = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const choker = new Choker(seededRng(seed), { ...DEFAULT_CHOKER_CONFIG, slots: 1 });
      const chosen = choker.decide([peer(1, 0), peer(2, 0, { connectedAt: 0 })], false, 1000);
      if (chosen.has(2)) newWins++;
    }
    assert.ok(newWins > 180 && newWins < 270, `new peer won ${newWins} of 300`);
  });
});

describe('Choker while seeding', () => {
  it('spreads slots fairly: over time every interested peer is unchoked about as often', () => {
    const choker = new Choker(seededRng(4));
    const peers = Array.from({ length: 12 }, (_, i) => peer(i + 1, 0));
    const rounds = new Map<number, number>();
    for (let round = 0; round < 90; round++) {
      for (const k of choker.decide(peers, true, round * 10_000))
        rounds.set(k, (rounds.get(k) ?? 0) + 1);
    }
    const counts = [...rounds.values()];
    assert.equal(counts.length, 12);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 3, `unchoke rounds per peer: ${counts}`);
  });

  it('keeps at most the configured number of slots', () => {
    const choker = new Choker(seededRng(5));
    const peers = Array.from({ length: 9 }, (_, i) => peer(i + 1, 0));
    for (let round = 0; round < 10; round++)
      assert.ok(choker.decide(peers, true, round * 10_000).size <= 4);
  });
});
