import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTorrent } from '../../core/metainfo/parse.js';
import { encodeHandshake } from '../../core/wire/handshake.js';
import { encodeMessage, type PeerMessage } from '../../core/wire/messages.js';
import { MessageReader } from '../../core/wire/reader.js';
import type { InfoHashV1, PeerId } from '../../lib/ids.js';
import { pseudoRandomBytes } from '../../lib/testing.js';
import { createTorrent } from '../create-torrent.js';
import { nodeHash } from '../node-hash.js';
import { Session } from '../session.js';
import type { PeerLookup } from './dht-discovery.js';

describe('the BEP 5 PORT message', () => {
  it('goes to a peer that runs a DHT, and the peer’s own port goes to our DHT node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fanseed-port-'));
    const added: string[] = [];
    const dht: PeerLookup = {
      port: 7777,
      getPeers: async () => ({
        peers: [],
        stats: { queried: 1, answered: 1, failed: 0, hops: 1 },
        announced: 0,
      }),
      addNode: (host, port) => added.push(`${host}:${port}`),
    };
    const session = await Session.open({ host: '127.0.0.1', port: 0, dht });
    try {
      await mkdir(join(dir, 'seed'));
      await writeFile(join(dir, 'seed', 'a.bin'), pseudoRandomBytes(40_000, 1));
      const created = await createTorrent(join(dir, 'seed', 'a.bin'), {
        pieceLength: 16_384,
        format: 'v1',
      });
      const meta = parseTorrent(created.torrent, nodeHash);
      assert.ok(meta.ok);
      await session.add(meta.value, { path: join(dir, 'seed'), skipCheck: true });

      const socket = connect({ host: '127.0.0.1', port: session.port });
      const reader = new MessageReader();
      const got: PeerMessage[] = [];
      let handshake = true;
      socket.on('data', (chunk: Buffer) => {
        let data: Uint8Array = chunk;
        if (handshake) {
          handshake = false;
          assert.equal((chunk[27] ?? 0) & 0x01, 1, 'our handshake says we run a DHT');
          data = chunk.subarray(68);
        }
        reader.push(new Uint8Array(data));
        for (let m = reader.pull(); m.ok && m.value !== undefined; m = reader.pull())
          got.push(m.value);
      });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        encodeHandshake(meta.value.infoHashV1 as InfoHashV1, new Uint8Array(20).fill(9) as PeerId, {
          dht: true,
          fast: true,
        }),
      );
      socket.write(encodeMessage({ kind: 'port', port: 6881 }));
      const deadline = Date.now() + 5000;
      while ((added.length === 0 || !got.some((m) => m.kind === 'port')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
      assert.deepEqual(
        got.filter((m) => m.kind === 'port'),
        [{ kind: 'port', port: 7777 }],
      );
      assert.deepEqual(added, ['127.0.0.1:6881']);
    } finally {
      await session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
