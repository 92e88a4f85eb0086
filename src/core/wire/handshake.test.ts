import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../lib/bytes.js';
import { type InfoHashV1, type InfoHashV2, infoHashV1, infoHashV2 } from '../../lib/ids.js';
import {
  decodeHandshake,
  encodeHandshake,
  HANDSHAKE_LENGTH,
  type HandshakeFlags,
  HandshakeReader,
  matchInfoHash,
  type PeerId,
  peerId,
} from './handshake.js';
import { cut } from './testing.js';

const v1 = infoHashV1(new Uint8Array(20).fill(0xaa)) as InfoHashV1;
const v2 = infoHashV2(new Uint8Array(32).map((_, i) => i)) as InfoHashV2;
const me = peerId(new TextEncoder().encode('-FS0001-abcdefghijkl')) as PeerId;
const NO_FLAGS: HandshakeFlags = {
  extensionProtocol: false,
  fast: false,
  dht: false,
  v2Upgrade: false,
};

const decoded = (bytes: Uint8Array) => {
  const r = decodeHandshake(bytes);
  assert.ok(r.ok);
  assert.equal(r.value.kind, 'handshake');
  return r.value.kind === 'handshake' ? r.value.handshake : assert.fail('no handshake');
};

describe('handshake (BEP 3)', () => {
  it('encodes 68 bytes: length 19, the protocol string, reserved, info-hash, peer id', () => {
    const bytes = encodeHandshake(v1, me);
    assert.equal(bytes.length, HANDSHAKE_LENGTH);
    assert.equal(bytes[0], 19);
    assert.equal(new TextDecoder().decode(bytes.subarray(1, 20)), 'BitTorrent protocol');
    assert.equal(toHex(bytes.subarray(20, 28)), '0000000000000000');
    assert.equal(toHex(bytes.subarray(28, 48)), toHex(v1));
    assert.equal(toHex(bytes.subarray(48)), toHex(me));
  });

  it('sets each reserved flag on its own bit', () => {
    const reserved = (flags: Partial<HandshakeFlags>): string =>
      toHex(encodeHandshake(v1, me, flags).subarray(20, 28));
    assert.equal(reserved({ extensionProtocol: true }), '0000000000100000');
    assert.equal(reserved({ fast: true }), '0000000000000004');
    assert.equal(reserved({ dht: true }), '0000000000000001');
    assert.equal(reserved({ v2Upgrade: true }), '0000000000000010');
    assert.equal(
      reserved({ extensionProtocol: true, fast: true, dht: true, v2Upgrade: true }),
      '0000000000100015',
    );
  });

  it('decodes what it encodes, flags included', () => {
    const flags = { extensionProtocol: true, fast: true, dht: false, v2Upgrade: true };
    const h = decoded(encodeHandshake(v1, me, flags));
    assert.deepEqual(h.flags, flags);
    assert.equal(toHex(h.infoHash), toHex(v1));
    assert.equal(toHex(h.peerId), toHex(me));
  });

  it('truncates a v2 info-hash to its first 20 bytes (BEP 52)', () => {
    const h = decoded(encodeHandshake(v2, me));
    assert.equal(toHex(h.infoHash), toHex(v2.subarray(0, 20)));
  });

  it('keeps reserved bits it does not know', () => {
    const bytes = encodeHandshake(v1, me);
    bytes[20] = 0x80;
    bytes[25] = 0x01;
    const h = decoded(bytes);
    assert.equal(toHex(h.reserved), '8000000000010000');
    assert.deepEqual(h.flags, NO_FLAGS);
  });

  it('says how many bytes it still needs at every prefix', () => {
    const bytes = encodeHandshake(v1, me);
    for (let n = 0; n < HANDSHAKE_LENGTH; n++) {
      const r = decodeHandshake(bytes.subarray(0, n));
      assert.deepEqual(r, { ok: true, value: { kind: 'need-more', needed: HANDSHAKE_LENGTH - n } });
    }
  });

  it('reads a handshake followed by more bytes and says how many it used', () => {
    const bytes = new Uint8Array(HANDSHAKE_LENGTH + 5);
    bytes.set(encodeHandshake(v1, me));
    const r = decodeHandshake(bytes);
    assert.ok(r.ok && r.value.kind === 'handshake');
    assert.equal(r.value.consumed, HANDSHAKE_LENGTH);
  });

  it('refuses a wrong protocol string length from the first byte', () => {
    const r = decodeHandshake(new Uint8Array([0x13 + 1]));
    assert.equal(r.ok ? undefined : r.error.code, 'WIRE_BAD_HANDSHAKE');
  });

  it('refuses a wrong protocol string as soon as the wrong byte arrives', () => {
    const bytes = encodeHandshake(v1, me);
    bytes[5] = 0x78; // "BitTxrrent"
    assert.ok(decodeHandshake(bytes.subarray(0, 5)).ok);
    const r = decodeHandshake(bytes.subarray(0, 6));
    assert.equal(r.ok ? undefined : r.error.code, 'WIRE_BAD_HANDSHAKE');
    assert.equal(r.ok ? undefined : r.error.offset, 5);
  });

  it('copies the fields so the handshake outlives the input buffer', () => {
    const bytes = encodeHandshake(v1, me);
    const h = decoded(bytes);
    bytes.fill(0);
    assert.equal(toHex(h.infoHash), toHex(v1));
  });
});

describe('HandshakeReader', () => {
  it('reads a handshake pushed one byte at a time and hands back the bytes after it', () => {
    const bytes = new Uint8Array([...encodeHandshake(v1, me), 0, 0, 0, 0]);
    const reader = new HandshakeReader();
    for (let i = 0; i < HANDSHAKE_LENGTH - 1; i++) {
      const r = reader.push(bytes.subarray(i, i + 1));
      assert.ok(r.ok && r.value.kind === 'need-more');
    }
    const last = reader.push(bytes.subarray(HANDSHAKE_LENGTH - 1));
    assert.ok(last.ok && last.value.kind === 'handshake');
    assert.equal(toHex(last.value.handshake.peerId), toHex(me));
    assert.equal(toHex(last.value.rest), '00000000');
  });

  it('refuses garbage and stays failed', () => {
    const reader = new HandshakeReader();
    const first = reader.push(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    assert.equal(first.ok ? undefined : first.error.code, 'WIRE_BAD_HANDSHAKE');
    const again = reader.push(encodeHandshake(v1, me));
    assert.equal(again.ok ? undefined : again.error.code, 'WIRE_BAD_HANDSHAKE');
  });

  it('refuses to read a second handshake', () => {
    const reader = new HandshakeReader();
    assert.ok(reader.push(encodeHandshake(v1, me)).ok);
    const r = reader.push(encodeHandshake(v1, me));
    assert.equal(r.ok ? undefined : r.error.code, 'WIRE_BAD_HANDSHAKE');
  });
});

describe('matchInfoHash', () => {
  it('matches a v1 hash, a truncated v2 hash, and refuses another torrent', () => {
    const torrent = { v1, v2 };
    assert.deepEqual(matchInfoHash(v1, torrent), { ok: true, value: 'v1' });
    assert.deepEqual(matchInfoHash(v2.subarray(0, 20), torrent), { ok: true, value: 'v2' });
    const other = matchInfoHash(new Uint8Array(20), torrent);
    assert.equal(other.ok ? undefined : other.error.code, 'WIRE_WRONG_INFOHASH');
    const v1Only = matchInfoHash(v2.subarray(0, 20), { v1, v2: undefined });
    assert.equal(v1Only.ok ? undefined : v1Only.error.code, 'WIRE_WRONG_INFOHASH');
  });
});

describe('handshake properties', () => {
  const flagsArb = fc.record({
    extensionProtocol: fc.boolean(),
    fast: fc.boolean(),
    dht: fc.boolean(),
    v2Upgrade: fc.boolean(),
  });
  const hashArb = fc.oneof(
    fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => infoHashV1(b) as InfoHashV1),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => infoHashV2(b) as InfoHashV2),
  );
  const idArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => peerId(b) as PeerId);

  it('round-trips any info-hash, peer id and flags, in any chunking', () => {
    fc.assert(
      fc.property(hashArb, idArb, flagsArb, fc.array(fc.nat()), (hash, id, flags, points) => {
        const bytes = encodeHandshake(hash, id, flags);
        const h = decoded(bytes);
        assert.deepEqual(h.flags, { ...flags });
        assert.equal(toHex(h.infoHash), toHex(hash.subarray(0, 20)));
        assert.equal(toHex(h.peerId), toHex(id));
        const reader = new HandshakeReader();
        let done = false;
        for (const chunk of cut(bytes, points)) {
          const r = reader.push(chunk);
          assert.ok(r.ok);
          done = r.value.kind === 'handshake';
        }
        assert.ok(done);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        decodeHandshake(bytes);
        new HandshakeReader().push(bytes);
      }),
    );
  });

  it('never throws on arbitrary bytes after a valid protocol prefix', () => {
    const prefix = encodeHandshake(v1, me).subarray(0, 20);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (tail) => {
        const r = decodeHandshake(new Uint8Array([...prefix, ...tail]));
        assert.ok(r.ok);
      }),
    );
  });
});
