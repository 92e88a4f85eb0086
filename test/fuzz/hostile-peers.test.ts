/**
 * Hostile peers against a real fanseed seeder on 127.0.0.1, over raw TCP: each misdeed closes
 * the connection and is counted, nothing crashes, memory stays bounded, and an honest peer is
 * still served afterwards.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTorrent } from '../../src/core/metainfo/parse.js';
import type { Metainfo } from '../../src/core/metainfo/types.js';
import { encodeHandshake } from '../../src/core/wire/handshake.js';
import { encodeMessage, type PeerMessage } from '../../src/core/wire/messages.js';
import { unwrap } from '../../src/lib/errors.js';
import { type PeerId, peerId } from '../../src/lib/ids.js';
import { pseudoRandomBytes } from '../../src/lib/testing.js';
import { createTorrent } from '../../src/runtime/create-torrent.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import { Session } from '../../src/runtime/session.js';
import type { Torrent } from '../../src/runtime/torrent.js';

let dir: string;
let session: Session;
let torrent: Torrent;
let meta: Metainfo;
const them = peerId(new TextEncoder().encode('-XX0001-hostilepeer!')) as PeerId;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-hostile-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'clip.bin'), pseudoRandomBytes(200_000, 9));
  meta = unwrap(
    parseTorrent(
      (await createTorrent(join(dir, 'data', 'clip.bin'), { format: 'v1', pieceLength: 16_384 }))
        .torrent,
      nodeHash,
    ),
  );
  session = await Session.open({
    host: '127.0.0.1',
    peerTimeouts: { handshakeMs: 500, idleMs: 800 },
  });
  torrent = await session.add(meta, { path: join(dir, 'data') });
});

after(async () => {
  await session.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens a connection, misbehaves, resolves when the seeder closes it (or fails after 5 s). */
const closedAfter = (build: (s: Socket) => void): Promise<void> =>
  new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: session.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the seeder kept the connection open'));
    }, 5000);
    s.on('error', () => {});
    s.resume(); // read and drop what the seeder says, or 'close' never comes
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('connect', () => build(s));
  });

const handshake = (infoHash = meta.infoHashV1 as Uint8Array): Uint8Array =>
  encodeHandshake(infoHash as Parameters<typeof encodeHandshake>[0], them, {
    fast: true,
    extensionProtocol: true,
  });
const msg = (m: PeerMessage): Uint8Array => encodeMessage(m);
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

describe('a seeder facing hostile peers', () => {
  const cases: Array<[string, (s: Socket) => void]> = [
    [
      'a message length over the limit',
      (s) => s.write(Buffer.concat([handshake(), u32(0xffffffff), new Uint8Array([7])])),
    ],
    [
      'an unknown message id',
      (s) => s.write(Buffer.concat([handshake(), u32(1), new Uint8Array([99])])),
    ],
    [
      'piece data never requested',
      (s) =>
        s.write(
          Buffer.concat([
            handshake(),
            msg({ kind: 'piece', index: 0, begin: 0, block: new Uint8Array(16) }),
          ]),
        ),
    ],
    [
      'a piece index out of range',
      (s) => s.write(Buffer.concat([handshake(), msg({ kind: 'have', index: 10_000 })])),
    ],
    [
      'a request beyond the piece',
      (s) =>
        s.write(
          Buffer.concat([
            handshake(),
            msg({ kind: 'request', index: 0, begin: 16_000, length: 16_384 }),
          ]),
        ),
    ],
    [
      'a bitfield with spare bits set',
      (s) =>
        s.write(
          Buffer.concat([
            handshake(),
            msg({ kind: 'bitfield', bytes: new Uint8Array([0xff, 0xff]) }),
          ]),
        ),
    ],
    ['a handshake for another torrent', (s) => s.write(handshake(new Uint8Array(20).fill(1)))],
    [
      'garbage after the handshake',
      (s) => s.write(Buffer.concat([handshake(), pseudoRandomBytes(4096, 3)])),
    ],
    ['garbage instead of a handshake', (s) => s.write(pseudoRandomBytes(200, 4))],
    ['a handshake that never finishes', (s) => s.write(handshake().subarray(0, 30))],
    [
      'a message trickled forever',
      (s) => {
        s.write(Buffer.concat([handshake(), u32(13), new Uint8Array([6])]));
        const t = setInterval(
          () => (s.destroyed ? clearInterval(t) : s.write(new Uint8Array([0]))),
          100,
        );
      },
    ],
    [
      'a request flood',
      (s) => {
        const requests: Uint8Array[] = [handshake(), msg({ kind: 'interested' })];
        for (let i = 0; i < 2000; i++)
          requests.push(msg({ kind: 'request', index: i % 12, begin: 0, length: 16_384 }));
        setTimeout(() => s.write(Buffer.concat(requests)), 50);
      },
    ],
  ];
  for (const [name, build] of cases) {
    it(`closes on ${name}`, async () => {
      await closedAfter(build);
    });
  }

  it('counted the misbehaving peers and kept its memory bounded', () => {
    assert.ok(torrent.stats().misbehaving >= 9, `misbehaving: ${torrent.stats().misbehaving}`);
    assert.ok(process.memoryUsage().rss < 300 * 1024 * 1024);
  });

  it('still serves an honest peer afterwards', async () => {
    const block = await new Promise<Buffer>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: session.port });
      const chunks: Buffer[] = [];
      s.on('error', reject);
      s.on('connect', () => s.write(Buffer.concat([handshake(), msg({ kind: 'interested' })])));
      let asked = false;
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        const all = Buffer.concat(chunks);
        // After the unchoke (id 1) arrives, ask for one block; then wait for the piece (id 7).
        if (!asked && all.includes(Buffer.from([0, 0, 0, 1, 1]))) {
          asked = true;
          s.write(msg({ kind: 'request', index: 1, begin: 0, length: 16_384 }));
        }
        const at = all.indexOf(Buffer.from([0, 0, 0x40, 0x09, 7]));
        if (at >= 0 && all.length >= at + 13 + 16_384) {
          s.destroy();
          resolve(all.subarray(at + 13, at + 13 + 16_384));
        }
      });
    });
    assert.deepEqual(new Uint8Array(block), pseudoRandomBytes(200_000, 9).subarray(16_384, 32_768));
  });
});
