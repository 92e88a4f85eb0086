/**
 * Message Stream Encryption against libtorrent 2.0, which requires it here (out_enc_policy and
 * in_enc_policy pe_forced) with allowed_enc_level pe_rc4 or pe_plaintext, on 127.0.0.1. Both
 * roles, with real bytes:
 * - libtorrent dials: our responder accepts its encrypted connection, reads its BitTorrent
 *   handshake (its IA), answers with ours, and libtorrent reports the connection handshaken and
 *   encrypted the way it was negotiated;
 * - we dial: our initiator completes the handshake with libtorrent, sends our BitTorrent
 *   handshake as IA and reads libtorrent's back through the negotiated stream.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeHandshake, encodeHandshake, type Handshake } from '../../src/core/wire/handshake.js';
import { skeyLookup } from '../../src/core/wire/mse/keys.js';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { type InfoHashV1, type PeerId, peerId } from '../../src/lib/ids.js';
import { nodeHash } from '../../src/runtime/node-hash.js';
import {
  acceptIncoming,
  encryptOutgoing,
  type IncomingConnection,
  type StreamCipher,
} from '../../src/runtime/peer/mse.js';
import {
  describeRun,
  Processes,
  PY,
  type Running,
  requireLibtorrent,
  SYSTEM_PYTHON,
  waitForJson,
  within,
} from './support.js';

const HOST = '127.0.0.1';
const TEST_TIMEOUT_MS = 30_000;
const WAIT_MS = 15_000;
const ME = peerId(new TextEncoder().encode('-FS0001-msetest00001')) as PeerId;

const procs = new Processes();
let dir: string;

before(async () => {
  await requireLibtorrent();
  dir = await mkdtemp(join(tmpdir(), 'fanseed-mse-'));
});
afterEach(() => procs.killAll());
after(async () => {
  await procs.killAll();
  await rm(dir, { recursive: true, force: true });
});

interface Peer {
  readonly proc: Running;
  readonly port: number;
  readonly infoHash: InfoHashV1;
}

/** lt_mse_peer.py in its own folder, ready (told to dial with `dial`). */
const startLibtorrent = async (level: 'rc4' | 'plaintext'): Promise<Peer> => {
  const work = await mkdtemp(join(dir, `${level}-`));
  const args = [join(PY, 'lt_mse_peer.py'), work, '--level', level];
  const proc = procs.start(`libtorrent (${level})`, SYSTEM_PYTHON, args, { stdin: true });
  const ready = await waitForJson(proc, (v) => 'ready' in v, WAIT_MS, 'the ready line');
  assert.equal(ready.ready, true, describeRun(proc));
  const infoHash = fromHex(String(ready.info_hash)) as InfoHashV1;
  assert.equal(infoHash.length, 20);
  return { proc, port: Number(ready.port), infoHash };
};

/**
 * The payload stream of a connection after the MSE handshake: `first` (already decrypted), then
 * the socket's bytes through `cipher` when there is one. `take(n)` waits for the next n bytes.
 */
class PayloadReader {
  private got: Buffer;
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(
    socket: Socket,
    first: Uint8Array,
    private readonly cipher: StreamCipher | undefined,
  ) {
    this.got = Buffer.from(first);
    socket.on('data', (chunk: Buffer) => {
      this.got = Buffer.concat([
        this.got,
        this.cipher === undefined ? chunk : this.cipher.decrypt(chunk),
      ]);
      this.waiter?.();
    });
    socket.once('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.resume();
  }

  async take(n: number, what: string): Promise<Buffer> {
    while (this.got.length < n) {
      if (this.closed) assert.fail(`the connection closed before ${what}`);
      const arrived = await within(WAIT_MS, new Promise<void>((r) => (this.waiter = r)));
      assert.notEqual(arrived, 'timeout', `no ${what} within ${WAIT_MS} ms`);
    }
    const out = this.got.subarray(0, n);
    this.got = this.got.subarray(n);
    return out;
  }
}

const readHandshake = async (reader: PayloadReader): Promise<Handshake> => {
  const r = decodeHandshake(await reader.take(68, "libtorrent's BitTorrent handshake"));
  assert.ok(r.ok && r.value.kind === 'handshake', r.ok ? 'short' : r.error.message);
  return r.value.handshake;
};

/**
 * The first message after the handshakes is libtorrent's extension handshake (BEP 10: id 20,
 * sub-id 0, a bencoded dictionary): proof the stream decrypts past the handshake too.
 */
const readExtensionHandshake = async (reader: PayloadReader): Promise<void> => {
  const head = await reader.take(7, "libtorrent's first message");
  const length = head.readUInt32BE(0);
  assert.ok(length > 3 && length < 100_000, `message length ${length}`);
  assert.deepEqual([...head.subarray(4, 7)], [20, 0, 0x64]);
  const rest = await reader.take(length - 3, 'the extension handshake');
  assert.equal(rest[rest.length - 1], 0x65); // the dictionary's closing 'e'
};

/** Has libtorrent dial us, once it has told us its info-hash. */
const dial = (peer: Peer, port: number): void => {
  peer.proc.child.stdin?.write(`dial ${HOST}:${port}\n`);
};

const assertLibtorrentHandshake = (h: Handshake, infoHash: Uint8Array): void => {
  assert.equal(toHex(h.infoHash), toHex(infoHash));
  assert.match(new TextDecoder().decode(h.peerId.subarray(0, 3)), /^-LT/);
};

/** libtorrent's own account of the connection: handshaken, and encrypted as negotiated. */
const assertLibtorrentSees = async (peer: Peer, level: 'rc4' | 'plaintext'): Promise<void> => {
  const line = await waitForJson(peer.proc, (v) => 'peer' in v, WAIT_MS, 'a handshaken peer');
  assert.equal(line.rc4, level === 'rc4', describeRun(peer.proc));
  assert.equal(line.plaintext_encrypted, level === 'plaintext', describeRun(peer.proc));
};

const ourHandshake = (infoHash: InfoHashV1): Uint8Array =>
  encodeHandshake(infoHash, ME, { extensionProtocol: true, fast: true });

for (const level of ['rc4', 'plaintext'] as const) {
  describe(`MSE with libtorrent requiring it, allowed_enc_level pe_${level}`, () => {
    it('our responder accepts libtorrent encrypted connection and reads its handshake', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const peer = await startLibtorrent(level);
      const lookup = skeyLookup(nodeHash, [peer.infoHash]);
      const server: Server = createServer();
      const accepted = new Promise<{ socket: Socket; result: Promise<IncomingConnection> }>(
        (resolve) =>
          server.once('connection', (socket) =>
            resolve({ socket, result: acceptIncoming(socket, { lookup, plaintext: 'refuse' }) }),
          ),
      );
      server.listen(0, HOST);
      await new Promise((r) => server.once('listening', r));
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      try {
        dial(peer, port);
        const got = await within(WAIT_MS, accepted);
        assert.notEqual(got, 'timeout', `libtorrent did not dial\n${describeRun(peer.proc)}`);
        if (got === 'timeout') return;
        const r = await got.result.catch((e: unknown) =>
          assert.fail(`${String(e)}\n${describeRun(peer.proc)}`),
        );
        assert.ok(r.encrypted);
        assert.equal(r.method, level);
        assert.equal(toHex(r.infoHash), toHex(peer.infoHash));
        const reader = new PayloadReader(got.socket, r.leftover, r.cipher);
        assertLibtorrentHandshake(await readHandshake(reader), peer.infoHash);
        const mine = ourHandshake(peer.infoHash);
        got.socket.write(r.cipher?.encrypt(mine) ?? mine);
        await readExtensionHandshake(reader);
        await assertLibtorrentSees(peer, level);
        got.socket.destroy();
      } finally {
        server.close();
      }
    });

    it('our initiator completes the handshake with libtorrent and reads its handshake back', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const peer = await startLibtorrent(level);
      const socket = connect({ host: HOST, port: peer.port });
      try {
        const r = await encryptOutgoing(socket, {
          infoHash: peer.infoHash,
          initialPayload: ourHandshake(peer.infoHash),
        }).catch((e: unknown) => assert.fail(`${String(e)}\n${describeRun(peer.proc)}`));
        assert.equal(r.method, level);
        assert.equal(r.cipher === undefined, level === 'plaintext');
        const reader = new PayloadReader(socket, r.leftover, r.cipher);
        assertLibtorrentHandshake(await readHandshake(reader), peer.infoHash);
        await readExtensionHandshake(reader);
        await assertLibtorrentSees(peer, level);
      } finally {
        socket.destroy();
      }
    });
  });
}
