import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeKrpc, encodeKrpc } from '../../core/dht/krpc.js';
import { bep42Valid } from '../../core/dht/node-id.js';
import { utf8 } from '../../lib/bytes.js';
import type { NodeId } from '../../lib/ids.js';
import { seededRng } from '../../lib/ports.js';
import { DhtService } from './dht-service.js';
import { saveDhtState } from './dht-state-file.js';

const HOST = '127.0.0.1';
const ping = (t: number) =>
  encodeKrpc({
    kind: 'query',
    t: new Uint8Array([t >> 8, t & 0xff]),
    id: new Uint8Array(20).fill(7) as NodeId,
    readOnly: false,
    query: { method: 'ping' },
  });

describe('DhtService under hostile traffic', () => {
  it('drops garbage and floods, answers within its per-address limit, and keeps serving', async () => {
    const dht = await DhtService.start({ host: HOST, bootstrap: [], rng: seededRng(4) });
    const client = createSocket('udp4');
    client.bind(0, HOST);
    await once(client, 'listening');
    const answers: Uint8Array[] = [];
    client.on('message', (m) => answers.push(m));
    try {
      const hostile = [
        utf8('not bencode at all'),
        new Uint8Array(4000).fill(0x64),
        utf8('d1:t2:aa1:y1:q1:q4:ping1:ad2:id3:abcee'),
        utf8(`d1:t2:aa1:y1:r1:rd2:id20:${'x'.repeat(20)}5:nodes5:abcdeee`),
        utf8('li1ei2ei3ee'),
      ];
      for (const h of hostile) client.send(h, dht.port, HOST);
      // A flood of valid pings from one address: 2,000 in a burst.
      for (let i = 0; i < 2000; i++) client.send(ping(i), dht.port, HOST);
      await new Promise((r) => setTimeout(r, 500));
      const s = dht.stats();
      assert.ok(s.packetsRefused >= hostile.length - 1, `refused ${s.packetsRefused}`);
      // What the kernel let through: at most a burst of 100 and 20 a second are answered.
      assert.ok(s.queriesDropped > 0, `dropped ${s.queriesDropped} of the flood`);
      assert.ok(s.queriesServed <= 130, `served ${s.queriesServed}`);
      assert.ok(answers.length > 0 && answers.length <= 130, `${answers.length} answers`);
      for (const a of answers) assert.equal(decodeKrpc(a).ok, true);
      // A second later the address may ask again.
      await new Promise((r) => setTimeout(r, 1100));
      const before = answers.length;
      client.send(ping(9999), dht.port, HOST);
      const deadline = Date.now() + 2000;
      while (answers.length === before && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(answers.length > before, 'answers again after the flood');
      assert.equal(s.nodes, 0, 'nobody got into the table without answering a ping');
    } finally {
      client.close();
      await dht.close();
    }
  });
});

describe('DhtService and BEP 42', () => {
  it('starts with an id derived from the external address its state file remembers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fanseed-dht-state-'));
    const file = join(dir, 'dht.state');
    try {
      const old = new Uint8Array(20).fill(1) as NodeId;
      await saveDhtState(file, { id: old, nodes: [], external: '203.0.113.5' });
      const dht = await DhtService.start({
        host: HOST,
        bootstrap: [],
        rng: seededRng(8),
        stateFile: file,
      });
      try {
        assert.equal(bep42Valid(dht.node.id, '203.0.113.5'), true);
        assert.equal(dht.externalAddress, '203.0.113.5');
      } finally {
        await dht.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
