import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeId } from '../../lib/ids.js';
import { decodeDhtState, encodeDhtState } from './dht-state.js';
import { ExternalAddressVotes } from './external-address.js';

describe('our external address (BEP 42)', () => {
  it('is believed once three distinct nodes report it, and a lone liar does not move it', () => {
    const v = new ExternalAddressVotes();
    assert.equal(v.vote({ host: '198.51.100.1', port: 1 }, '203.0.113.5'), undefined);
    assert.equal(v.vote({ host: '198.51.100.1', port: 2 }, '203.0.113.5'), undefined, 'same host');
    assert.equal(v.vote({ host: '198.51.100.2', port: 1 }, '203.0.113.5'), undefined);
    assert.equal(v.vote({ host: '198.51.100.3', port: 1 }, '203.0.113.5'), '203.0.113.5');
    assert.equal(v.vote({ host: '198.51.100.4', port: 1 }, '192.0.2.66'), undefined);
    assert.equal(v.address, '203.0.113.5');
  });

  it('counts nodes on loopback by socket, since they share one host', () => {
    const v = new ExternalAddressVotes();
    for (const port of [1, 2]) v.vote({ host: '127.0.0.1', port }, '127.0.0.1');
    assert.equal(v.vote({ host: '127.0.0.1', port: 3 }, '127.0.0.1'), '127.0.0.1');
  });

  it('is kept in the DHT state file', () => {
    const id = nodeId(new Uint8Array(20).fill(5));
    assert.ok(id !== undefined);
    const back = decodeDhtState(encodeDhtState({ id, nodes: [], external: '203.0.113.5' }));
    assert.equal(back?.external, '203.0.113.5');
    assert.equal(decodeDhtState(encodeDhtState({ id, nodes: [] }))?.external, undefined);
    const nodes = [
      { id, address: { host: '198.51.100.7', port: 6881 } },
      { id, address: { host: '2001:db8::7', port: 6882 } },
    ];
    assert.deepEqual(decodeDhtState(encodeDhtState({ id, nodes }))?.nodes, nodes, 'nodes survive');
    assert.equal(
      decodeDhtState(new Uint8Array([1, 2, 3])),
      undefined,
      'a damaged file is no state',
    );
  });
});
