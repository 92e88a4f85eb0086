import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { HashPort } from '../../lib/hash-port.js';
import { seededRng } from '../../lib/ports.js';
import { PEER_TTL_MS, PeerStore } from './peer-store.js';
import { TOKEN_ROTATION_MS, TokenIssuer } from './tokens.js';

const hash: HashPort = {
  sha1: (d) => new Uint8Array(createHash('sha1').update(d).digest()),
  sha256: (d) => new Uint8Array(createHash('sha256').update(d).digest()),
};
const ih = new Uint8Array(20).fill(3);

describe('TokenIssuer', () => {
  it('accepts its tokens for the same address for one rotation more, then refuses them', () => {
    const t = new TokenIssuer(hash, seededRng(1), 0);
    const token = t.issue('10.0.0.1', 0);
    assert.equal(t.valid(token, '10.0.0.1', 1000), true);
    assert.equal(t.valid(token, '10.0.0.2', 1000), false, 'another address');
    assert.equal(t.valid(token, '10.0.0.1', TOKEN_ROTATION_MS + 1), true, 'previous secret');
    assert.equal(t.valid(token, '10.0.0.1', 2 * TOKEN_ROTATION_MS + 1), false);
    assert.equal(t.valid(new Uint8Array(3), '10.0.0.1', 0), false);
  });
});

describe('PeerStore', () => {
  it('keeps announced peers for 30 minutes, each address once', () => {
    const s = new PeerStore();
    s.announce(ih, { host: '10.0.0.1', port: 1 }, false, 0);
    s.announce(ih, { host: '10.0.0.1', port: 1 }, true, 10);
    s.announce(ih, { host: '10.0.0.2', port: 2 }, false, 20);
    assert.equal(s.peers(ih, 100, seededRng(1)).length, 2);
    assert.deepEqual(s.peers(ih, PEER_TTL_MS + 15, seededRng(1)), [{ host: '10.0.0.2', port: 2 }]);
    assert.deepEqual(s.peers(ih, PEER_TTL_MS + 100, seededRng(1)), []);
    assert.equal(s.torrentCount, 0);
  });

  it('stays within its limits, and answers with a sample of at most 50 peers', () => {
    const s = new PeerStore({ maxTorrents: 2, maxPeersPerTorrent: 100 });
    for (let i = 0; i < 300; i++) s.announce(ih, { host: '10.0.1.1', port: i + 1 }, false, i);
    const sample = s.peers(ih, 400, seededRng(2));
    assert.equal(sample.length, 50);
    assert.ok(
      sample.every((p) => p.port > 200),
      'the oldest gave way',
    );
    s.announce(new Uint8Array(20).fill(4), { host: '10.0.0.1', port: 1 }, false, 0);
    s.announce(new Uint8Array(20).fill(5), { host: '10.0.0.1', port: 1 }, false, 0);
    assert.equal(s.torrentCount, 2);
    assert.deepEqual(s.peers(ih, 400, seededRng(2)), [], 'the least recently announced went');
  });
});
