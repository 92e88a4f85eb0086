/**
 * A hostile corpus: inputs a malicious or broken peer could send, each refused with its exact
 * code (or, for truncation, patiently waited on) and never with an exception.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes, concatBytes } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { nodeHash } from '../../runtime/node-hash.js';
import { decodeExtendedHandshake } from './extension.js';
import { encodeHandshake, HandshakeReader, type PeerId, peerId } from './handshake.js';
import { encodeMessage, type PeerMessage } from './messages.js';
import { MessageReader } from './reader.js';
import { readChunks } from './testing.js';
import { decodeMetadataMessage, MetadataAssembler } from './ut-metadata.js';
import { validateMessage, type WireGeometry } from './validate.js';

const code = <T>(r: Result<T, ErrorValue>): string | undefined => (r.ok ? undefined : r.error.code);
const read = (...chunks: Uint8Array[]) => readChunks(new MessageReader(), chunks);
const frame = (length: number, ...rest: number[]): Uint8Array => {
  const out = new Uint8Array(4 + rest.length);
  new DataView(out.buffer).setUint32(0, length);
  out.set(rest, 4);
  return out;
};

// 100 pieces of 64 KiB; the last is 1,000 bytes.
const geometry: WireGeometry = {
  pieceCount: 100,
  pieceLength: 65536,
  totalLength: 99 * 65536 + 1000,
};
const validate = (m: PeerMessage) => code(validateMessage(m, geometry));

const SAMPLES: PeerMessage[] = [
  { kind: 'keep-alive' },
  { kind: 'interested' },
  { kind: 'have', index: 3 },
  { kind: 'bitfield', bytes: new Uint8Array(13) },
  { kind: 'request', index: 1, begin: 0, length: 16384 },
  { kind: 'piece', index: 1, begin: 0, block: new Uint8Array(40).fill(1) },
  { kind: 'cancel', index: 1, begin: 0, length: 16384 },
  { kind: 'port', port: 6881 },
  { kind: 'reject', index: 1, begin: 0, length: 16384 },
  { kind: 'extended', id: 1, payload: binaryToBytes('d8:msg_typei0e5:piecei0ee') },
  {
    kind: 'hash-request',
    piecesRoot: new Uint8Array(32),
    baseLayer: 0,
    index: 0,
    length: 2,
    proofLayers: 1,
  },
];

describe('hostile peers: framing', () => {
  it('refuses a length of 0xFFFFFFFF after its four bytes, before any body', () => {
    assert.equal(code(read(frame(0xffffffff))), 'WIRE_BAD_LENGTH');
  });

  it('refuses a length just over the limit', () => {
    const reader = new MessageReader({ maxMessageLength: 1 << 17 });
    assert.equal(code(readChunks(reader, [frame((1 << 17) + 1, 7)])), 'WIRE_BAD_LENGTH');
  });

  it('refuses unknown message ids', () => {
    for (const id of [10, 11, 12, 18, 19, 24, 100, 255]) {
      assert.equal(code(read(frame(1, id))), 'WIRE_UNKNOWN_MESSAGE', `id ${id}`);
    }
  });

  it('waits, without error, on every message truncated at every byte', () => {
    for (const m of SAMPLES) {
      const bytes = encodeMessage(m);
      for (let n = 0; n < bytes.length; n++) {
        const reader = new MessageReader();
        const r = readChunks(reader, [bytes.subarray(0, n)]);
        assert.deepEqual(r, { ok: true, value: [] }, `${m.kind} cut at ${n}`);
        assert.equal(reader.bufferedBytes, n);
      }
    }
  });

  it('refuses fixed-size messages whose length prefix cuts or pads the body', () => {
    const variable = ['keep-alive', 'bitfield', 'piece', 'extended'];
    for (const m of SAMPLES.filter((s) => !variable.includes(s.kind))) {
      const bytes = encodeMessage(m);
      const declared = bytes.length - 4;
      for (const wrong of [declared - 1, declared + 1].filter((n) => n > 0)) {
        const lied = bytes.slice();
        new DataView(lied.buffer).setUint32(0, wrong);
        const r = read(concatBytes([lied, new Uint8Array(8)]));
        assert.equal(code(r), 'WIRE_BAD_LENGTH', `${m.kind} as ${wrong}`);
      }
    }
    assert.equal(code(read(frame(1, 4))), 'WIRE_BAD_LENGTH'); // have without its index
    assert.equal(code(read(frame(8, 7, 0, 0, 0, 0, 0, 0, 0))), 'WIRE_BAD_LENGTH'); // piece, no begin
    assert.equal(code(read(frame(1, 20))), 'WIRE_BAD_LENGTH'); // extended without its id
    assert.equal(code(read(frame(50, 22))), 'WIRE_BAD_LENGTH'); // hashes, not 32 bytes each
  });

  it('reads 1,000,000 keep-alives pushed in one chunk quickly, holding nothing back', () => {
    const reader = new MessageReader();
    const start = performance.now();
    assert.ok(reader.push(new Uint8Array(4_000_000)).ok);
    let count = 0;
    for (;;) {
      const r = reader.pull();
      assert.ok(r.ok);
      if (r.value === undefined) break;
      assert.equal(r.value.kind, 'keep-alive');
      count++;
    }
    assert.equal(count, 1_000_000);
    assert.equal(reader.bufferedBytes, 0);
    assert.ok(performance.now() - start < 5000, 'took over 5 s');
  });

  it('refuses a flood pushed beyond the buffer limit without pulling', () => {
    const reader = new MessageReader();
    let r: Result<void, ErrorValue> = { ok: true, value: undefined };
    for (let i = 0; i < 100 && r.ok; i++) r = reader.push(new Uint8Array(64 * 1024));
    assert.equal(code(r), 'WIRE_BAD_LENGTH');
  });

  it('refuses garbage after a valid handshake', () => {
    const info = infoHashV1(new Uint8Array(20).fill(1)) as InfoHashV1;
    const id = peerId(new Uint8Array(20).fill(2)) as PeerId;
    const garbage = binaryToBytes('GET /announce HTTP/1.1\r\n\r\n');
    const handshake = new HandshakeReader().push(concatBytes([encodeHandshake(info, id), garbage]));
    assert.ok(handshake.ok && handshake.value.kind === 'handshake');
    // "GET " as a length is 0x47455420: far over any limit.
    assert.equal(code(read(handshake.value.rest)), 'WIRE_BAD_LENGTH');
    assert.equal(code(read(frame(5, 0x4a, 1, 2, 3, 4))), 'WIRE_UNKNOWN_MESSAGE');
  });

  it('refuses a second handshake in place of the first messages', () => {
    const info = infoHashV1(new Uint8Array(20).fill(1)) as InfoHashV1;
    const id = peerId(new Uint8Array(20).fill(2)) as PeerId;
    // 0x13 'B' 'i' 't' read as a length: 0x13426974, over the limit.
    assert.equal(code(read(encodeHandshake(info, id))), 'WIRE_BAD_LENGTH');
  });
});

describe('hostile peers: contents', () => {
  it('refuses a bitfield with spare bits set', () => {
    const bytes = new Uint8Array(13);
    bytes[12] = 0x01; // pieces 96..99 are real, the low 4 bits are spare
    assert.equal(validate({ kind: 'bitfield', bytes }), 'WIRE_BAD_MESSAGE');
    bytes[12] = 0x10;
    assert.equal(validate({ kind: 'bitfield', bytes }), undefined);
  });

  it('refuses a bitfield longer or shorter than the torrent', () => {
    assert.equal(validate({ kind: 'bitfield', bytes: new Uint8Array(14) }), 'WIRE_BAD_LENGTH');
    assert.equal(validate({ kind: 'bitfield', bytes: new Uint8Array(0) }), 'WIRE_BAD_LENGTH');
  });

  it('refuses requests out of range, over 16 KiB or empty', () => {
    const request = (index: number, begin: number, length: number) =>
      validate({ kind: 'request', index, begin, length });
    assert.equal(request(100, 0, 16384), 'WIRE_BAD_MESSAGE');
    assert.equal(request(0xffffffff, 0, 16384), 'WIRE_BAD_MESSAGE');
    assert.equal(request(0, 65536, 1), 'WIRE_BAD_MESSAGE');
    assert.equal(request(0, 0xffffffff, 16384), 'WIRE_BAD_MESSAGE');
    assert.equal(request(99, 0, 1001), 'WIRE_BAD_MESSAGE');
    assert.equal(request(0, 0, 16385), 'WIRE_BAD_MESSAGE');
    assert.equal(request(0, 0, 0xffffffff), 'WIRE_BAD_MESSAGE');
    assert.equal(request(0, 0, 0), 'WIRE_BAD_MESSAGE');
  });

  it('refuses piece data beyond the piece end', () => {
    const block = new Uint8Array(16384);
    assert.equal(
      validate({ kind: 'piece', index: 0, begin: 65536 - 16383, block }),
      'WIRE_BAD_MESSAGE',
    );
    assert.equal(validate({ kind: 'piece', index: 99, begin: 0, block }), 'WIRE_BAD_MESSAGE');
    assert.equal(validate({ kind: 'piece', index: 100, begin: 0, block }), 'WIRE_BAD_MESSAGE');
  });

  it('refuses an extended handshake that is not a dictionary', () => {
    for (const text of ['i42e', '4:spam', 'le', '', 'd', '\x00\x01\x02']) {
      assert.equal(code(decodeExtendedHandshake(binaryToBytes(text))), 'WIRE_BAD_EXTENSION', text);
    }
  });

  it('refuses an extended handshake with a huge m dictionary', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `x${String(i).padStart(5, '0')}`);
    const m = names.map((n) => `${n.length}:${n}i1e`).join('');
    assert.equal(code(decodeExtendedHandshake(binaryToBytes(`d1:md${m}ee`))), 'WIRE_BAD_EXTENSION');
  });

  it('refuses an extended handshake nested deeper than the limit', () => {
    const deep = `d1:x${'l'.repeat(1000)}${'e'.repeat(1000)}e`;
    assert.equal(code(decodeExtendedHandshake(binaryToBytes(deep))), 'WIRE_BAD_EXTENSION');
  });

  it('refuses ut_metadata with a metadata_size over the limit', () => {
    const handshake = decodeExtendedHandshake(
      binaryToBytes('d1:md11:ut_metadatai1ee13:metadata_sizei999999999999ee'),
    );
    assert.ok(handshake.ok);
    const size = handshake.value.metadataSize ?? 0;
    const infoHash = { v1: infoHashV1(new Uint8Array(20)), v2: undefined };
    assert.equal(
      code(MetadataAssembler.create({ size, infoHash, hash: nodeHash })),
      'WIRE_BAD_METADATA',
    );
    assert.equal(
      code(MetadataAssembler.create({ size: 0, infoHash, hash: nodeHash })),
      'WIRE_BAD_METADATA',
    );
  });

  it('refuses a ut_metadata data message over 16 KiB or with an absurd piece', () => {
    const dict = 'd8:msg_typei1e5:piecei0e10:total_sizei99999ee';
    const payload = concatBytes([binaryToBytes(dict), new Uint8Array(16385)]);
    assert.equal(code(decodeMetadataMessage(payload)), 'WIRE_BAD_METADATA');
    assert.equal(
      code(decodeMetadataMessage(binaryToBytes('d8:msg_typei0e5:piecei-1ee'))),
      'WIRE_BAD_METADATA',
    );
  });
});
