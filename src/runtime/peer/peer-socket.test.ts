import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { encodeHandshake } from '../../core/wire/handshake.js';
import { encodeMessage, type PeerMessage } from '../../core/wire/messages.js';
import type { ValidPeerMessage } from '../../core/wire/validate.js';
import { concatBytes } from '../../lib/bytes.js';
import type { InfoHashV1, PeerId } from '../../lib/ids.js';
import { pseudoRandomBytes } from '../../lib/testing.js';
import { PeerSocket, readInto } from './peer-socket.js';

const PIECES = 64;
const BLOCK = 16 * 1024;
const geometry = { pieceCount: PIECES, pieceLength: BLOCK, totalLength: PIECES * BLOCK };
const infoHash = new Uint8Array(20).fill(1) as InfoHashV1;
const peerId = new Uint8Array(20).fill(2) as PeerId;

interface Seen {
  readonly kind: string;
  /** A copy of the message's bytes taken when it was handed over. */
  readonly bytes: Uint8Array;
  /** The message's own array, to look at again after later reads. */
  readonly live: Uint8Array;
}

const bytesOf = (m: ValidPeerMessage): Uint8Array | undefined => {
  if (m.kind === 'piece') return m.block;
  if (m.kind === 'extended') return m.payload;
  if (m.kind === 'bitfield') return m.bitfield.bytes;
  return undefined;
};
const sentBytes = (m: PeerMessage): Uint8Array | undefined => {
  if (m.kind === 'piece') return m.block;
  if (m.kind === 'extended') return m.payload;
  if (m.kind === 'bitfield') return m.bytes;
  return undefined;
};

/** A server that sends `stream` in `cuts`-sized writes; a plain PeerSocket reading it through
 * the shared read buffer. Resolves with what the PeerSocket handed over. */
const receive = async (stream: Uint8Array, cut: number): Promise<Seen[]> => {
  const server = createServer((s: Socket) => {
    void (async () => {
      for (let at = 0; at < stream.length; at += cut) {
        if (!s.write(stream.subarray(at, at + cut))) await once(s, 'drain');
        await new Promise((r) => setImmediate(r));
      }
      s.end();
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const seen: Seen[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let sock: PeerSocket | undefined;
      const socket = connect({ host: '127.0.0.1', port, onread: readInto(() => sock) });
      sock = new PeerSocket(socket, {
        handshake: () => {
          sock?.attach(geometry, PIECES);
          return 'accept';
        },
        message: (m) => {
          const bytes = bytesOf(m);
          if (bytes !== undefined)
            seen.push({ kind: m.kind, bytes: new Uint8Array(bytes), live: bytes });
        },
        batchEnd: () => undefined,
        closed: (reason, error) =>
          error === undefined ? resolve() : reject(new Error(`${reason}: ${error.message}`)),
        drained: () => undefined,
      });
    });
  } finally {
    server.close();
  }
  return seen;
};

describe('PeerSocket reading into the shared buffer', () => {
  const messages: PeerMessage[] = [
    { kind: 'bitfield', bytes: pseudoRandomBytes(PIECES / 8, 1) },
    { kind: 'extended', id: 3, payload: pseudoRandomBytes(300, 2) },
    ...Array.from(
      { length: 40 },
      (_, i): PeerMessage => ({
        kind: 'piece',
        index: i,
        begin: 0,
        block: pseudoRandomBytes(BLOCK, 10 + i),
      }),
    ),
    { kind: 'extended', id: 3, payload: pseudoRandomBytes(5000, 3) },
  ];
  const stream = concatBytes([
    encodeHandshake(infoHash, peerId, { extensionProtocol: true, fast: true }),
    ...messages.map(encodeMessage),
  ]);

  for (const cut of [7, 1000, 16_397, 300_000]) {
    it(`hands over every message intact, and keeps only copies (writes of ${cut} bytes)`, async () => {
      const seen = await receive(stream, cut);
      assert.deepEqual(
        seen.map((s) => s.kind),
        messages.map((m) => m.kind),
      );
      for (const [i, m] of messages.entries()) {
        const expected = sentBytes(m) as Uint8Array;
        const s = seen[i] as Seen;
        assert.deepEqual(s.bytes, expected, `message ${i} (${m.kind}) as handed over`);
        // Blocks are borrowed views of the read buffer; everything else must still hold.
        if (m.kind !== 'piece') assert.deepEqual(s.live, expected, `message ${i} kept intact`);
      }
    });
  }
});
