import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { skeyLookup } from '../../core/wire/mse/keys.js';
import type { MseMethod } from '../../core/wire/mse/method.js';
import { toHex } from '../../lib/bytes.js';
import { FanseedError } from '../../lib/errors.js';
import { nodeHash } from '../node-hash.js';
import {
  acceptIncoming,
  cryptoRng,
  encryptOutgoing,
  type IncomingConnection,
  type IncomingMseOptions,
} from './mse.js';

const HOST = '127.0.0.1';
const INFO_HASH = new Uint8Array(20).map((_, i) => i + 100);
const lookup = skeyLookup(nodeHash, [INFO_HASH]);
const IA = new Uint8Array(68).map((_, i) => i);

/** A loopback server whose accepted sockets go through `acceptIncoming`. */
class Harness {
  server: Server = createServer();
  accepted: Promise<{ socket: Socket; result: Promise<IncomingConnection> }>[] = [];
  private waiting: ((v: { socket: Socket; result: Promise<IncomingConnection> }) => void)[] = [];
  options: IncomingMseOptions = { lookup };

  async start(): Promise<number> {
    this.server.on('connection', (socket) => {
      const result = acceptIncoming(socket, this.options);
      result.catch(() => {});
      this.waiting.shift()?.({ socket, result });
    });
    this.server.listen(0, HOST);
    await once(this.server, 'listening');
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  next(): Promise<{ socket: Socket; result: Promise<IncomingConnection> }> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Reads exactly `n` bytes after a handshake, through `decrypt` when given. */
const readBytes = (
  socket: Socket,
  first: Uint8Array,
  n: number,
  decrypt?: (u: Uint8Array) => Uint8Array,
): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    let got = Buffer.from(first);
    const check = (): void => {
      if (got.length >= n) {
        socket.off('data', onData);
        resolve(got.subarray(0, n));
      }
    };
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, decrypt === undefined ? chunk : decrypt(chunk)]);
      check();
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
    check();
  });

const rejectsWith = async (promise: Promise<unknown>, code: string): Promise<void> => {
  await assert.rejects(promise, (e: unknown) => e instanceof FanseedError && e.code === code);
};

describe('MSE over TCP (runtime glue)', () => {
  const harness = new Harness();
  let port = 0;
  before(async () => {
    port = await harness.start();
  });
  after(() => harness.server.close());

  for (const [provide, expected] of [
    [['plaintext', 'rc4'], 'rc4'],
    [['plaintext'], 'plaintext'],
  ] as const) {
    it(`encrypts both ways with ${expected}, IA and later bytes intact`, async () => {
      const accepted = harness.next();
      const dial = connect({ host: HOST, port });
      const outgoing = encryptOutgoing(dial, {
        infoHash: INFO_HASH,
        provide: provide as readonly MseMethod[],
        initialPayload: IA,
      });
      const { socket, result } = await accepted;
      const [mine, theirs] = await Promise.all([outgoing, result]);
      assert.equal(mine.method, expected);
      assert.ok(theirs.encrypted);
      assert.equal(theirs.method, expected);
      assert.equal(toHex(theirs.infoHash), toHex(INFO_HASH));
      assert.equal(mine.cipher === undefined, expected === 'plaintext');
      // IA arrives as the first payload bytes; then a megabyte each way.
      const up = new Uint8Array(1 << 20);
      cryptoRng.fill(up);
      const down = new Uint8Array(1 << 20);
      cryptoRng.fill(down);
      const serverReads = readBytes(
        socket,
        theirs.leftover,
        IA.length + up.length,
        theirs.cipher?.decrypt,
      );
      const clientReads = readBytes(dial, mine.leftover, down.length, mine.cipher?.decrypt);
      dial.write(mine.cipher?.encrypt(up) ?? up);
      socket.write(theirs.cipher?.encrypt(down) ?? down);
      const [atServer, atClient] = await Promise.all([serverReads, clientReads]);
      assert.equal(toHex(atServer.subarray(0, IA.length)), toHex(IA));
      assert.ok(Buffer.from(atServer.subarray(IA.length)).equals(up));
      assert.ok(Buffer.from(atClient).equals(down));
      dial.destroy();
      socket.destroy();
    });
  }

  it('passes a plaintext BitTorrent handshake through, bytes read kept', async () => {
    const accepted = harness.next();
    const dial = connect({ host: HOST, port });
    const hello = new Uint8Array([19, ...Buffer.from('BitTorrent protocol'), 1, 2, 3]);
    dial.write(hello);
    const { socket, result } = await accepted;
    const r = await result;
    assert.equal(r.encrypted, false);
    const rest = await readBytes(socket, r.leftover, hello.length);
    assert.equal(toHex(rest), toHex(hello));
    dial.destroy();
    socket.destroy();
  });

  it('refuses plaintext when encryption is required', async () => {
    harness.options = { lookup, plaintext: 'refuse' };
    const accepted = harness.next();
    const dial = connect({ host: HOST, port });
    dial.write(new Uint8Array([19, ...Buffer.from('BitTorrent protocol')]));
    const { socket, result } = await accepted;
    await rejectsWith(result, 'MSE_REQUIRED');
    assert.ok(socket.destroyed);
    dial.destroy();
    harness.options = { lookup };
  });

  it('fails an initiator for a torrent the other side lacks, on both sides', async () => {
    const accepted = harness.next();
    const dial = connect({ host: HOST, port });
    const outgoing = encryptOutgoing(dial, { infoHash: new Uint8Array(20).fill(1) });
    const { result } = await accepted;
    await rejectsWith(result, 'MSE_UNKNOWN_TORRENT');
    await rejectsWith(outgoing, 'MSE_CLOSED');
    assert.ok(dial.destroyed);
  });

  it('times out a peer that sends part of a key and stalls', async () => {
    harness.options = { lookup, timeoutMs: 200 };
    const accepted = harness.next();
    const dial = connect({ host: HOST, port });
    dial.write(new Uint8Array(50).fill(0xee));
    const { socket, result } = await accepted;
    await rejectsWith(result, 'MSE_TIMEOUT');
    assert.ok(socket.destroyed);
    dial.destroy();
    harness.options = { lookup };
  });

  it('drops garbage longer than the sync window', async () => {
    const accepted = harness.next();
    const dial = connect({ host: HOST, port });
    dial.on('error', () => {});
    dial.write(new Uint8Array(2000).fill(0x42));
    const { result } = await accepted;
    await rejectsWith(result, 'MSE_NO_SYNC');
    dial.destroy();
  });
});
