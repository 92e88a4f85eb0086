import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '../../lib/bytes.js';
import { encodeMessage, type PeerMessage } from './messages.js';
import { MessageReader, MIN_MESSAGE_LIMIT, readerLimitsFor } from './reader.js';
import { cut, peerMessageArb, plain, readChunks } from './testing.js';

const code = (r: { ok: boolean; error?: { code: string } }): string | undefined =>
  r.ok ? undefined : r.error?.code;

const pullOne = (reader: MessageReader): PeerMessage | undefined => {
  const r = reader.pull();
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
};

describe('MessageReader', () => {
  it('reads back every kind of message in one chunk', () => {
    const messages: PeerMessage[] = [
      { kind: 'keep-alive' },
      { kind: 'unchoke' },
      { kind: 'have', index: 42 },
      { kind: 'bitfield', bytes: new Uint8Array([0xff, 0x80]) },
      { kind: 'request', index: 1, begin: 16384, length: 16384 },
      { kind: 'piece', index: 1, begin: 0, block: new Uint8Array([1, 2, 3]) },
      { kind: 'port', port: 51413 },
      { kind: 'allowed-fast', index: 7 },
      { kind: 'extended', id: 0, payload: new Uint8Array([0x64, 0x65]) },
      {
        kind: 'hashes',
        piecesRoot: new Uint8Array(32).fill(1),
        baseLayer: 0,
        index: 0,
        length: 2,
        proofLayers: 1,
        hashes: new Uint8Array(96).fill(2),
      },
    ];
    const r = readChunks(new MessageReader(), [concatBytes(messages.map(encodeMessage))]);
    assert.ok(r.ok);
    assert.deepEqual(r.value.map(plain), messages.map(plain));
  });

  it('returns views into the pushed chunk when a message lies within it', () => {
    const chunk = encodeMessage({ kind: 'piece', index: 0, begin: 0, block: new Uint8Array(64) });
    const reader = new MessageReader();
    reader.push(chunk);
    const m = pullOne(reader);
    assert.ok(m?.kind === 'piece');
    assert.equal(m.block.buffer, chunk.buffer);
    assert.equal(m.block.byteOffset, chunk.byteOffset + 13);
  });

  it('copies a message that spans chunks once, into a buffer of its own', () => {
    const bytes = encodeMessage({
      kind: 'piece',
      index: 0,
      begin: 0,
      block: new Uint8Array(64).fill(9),
    });
    const reader = new MessageReader();
    reader.push(bytes.slice(0, 20));
    assert.equal(pullOne(reader), undefined);
    reader.push(bytes.slice(20));
    const m = pullOne(reader);
    assert.ok(m?.kind === 'piece');
    assert.equal(m.block.length, 64);
    assert.ok(m.block.every((b) => b === 9));
    // The body (index, begin, block) was copied into one buffer of exactly its size.
    assert.equal(m.block.buffer.byteLength, 8 + 64);
    assert.notEqual(m.block.buffer, bytes.buffer);
  });

  it('keeps the start of an unfinished message after detach, when the chunk is reused', () => {
    const bytes = encodeMessage({
      kind: 'piece',
      index: 3,
      begin: 0,
      block: new Uint8Array(64).fill(7),
    });
    const scratch = new Uint8Array(64);
    const reader = new MessageReader();
    scratch.set(bytes.subarray(0, 40));
    reader.push(scratch.subarray(0, 40));
    assert.equal(pullOne(reader), undefined);
    reader.detach();
    scratch.fill(0xee);
    scratch.set(bytes.subarray(40));
    reader.push(scratch.subarray(0, bytes.length - 40));
    const m = pullOne(reader);
    assert.ok(m?.kind === 'piece');
    assert.equal(m.index, 3);
    assert.ok(m.block.every((b) => b === 7));
  });

  it('needs more bytes, without error, until a message is whole', () => {
    const bytes = encodeMessage({ kind: 'request', index: 1, begin: 2, length: 3 });
    const reader = new MessageReader();
    for (let i = 0; i < bytes.length - 1; i++) {
      assert.ok(reader.push(bytes.subarray(i, i + 1)).ok);
      assert.equal(pullOne(reader), undefined);
    }
    reader.push(bytes.subarray(bytes.length - 1));
    assert.deepEqual(pullOne(reader), { kind: 'request', index: 1, begin: 2, length: 3 });
    assert.equal(reader.bufferedBytes, 0);
  });

  it('refuses an oversized length as soon as the 4 length bytes arrive', () => {
    const reader = new MessageReader({ maxMessageLength: 1000 });
    reader.push(new Uint8Array([0, 0, 0x03, 0xe9]));
    assert.equal(code(reader.pull()), 'WIRE_BAD_LENGTH');
  });

  it('refuses a wrong length for a fixed-size message before its body arrives', () => {
    const reader = new MessageReader();
    reader.push(new Uint8Array([0, 0, 0, 9, 4]));
    assert.equal(code(reader.pull()), 'WIRE_BAD_LENGTH');
  });

  it('refuses a push beyond the buffered-bytes limit', () => {
    const reader = new MessageReader({ maxMessageLength: 100, maxBufferedBytes: 200 });
    assert.ok(reader.push(new Uint8Array(150)).ok);
    assert.equal(code(reader.push(new Uint8Array(51))), 'WIRE_BAD_LENGTH');
  });

  it('keeps returning its first error', () => {
    const reader = new MessageReader();
    reader.push(new Uint8Array([0, 0, 0, 1, 99]));
    assert.equal(code(reader.pull()), 'WIRE_UNKNOWN_MESSAGE');
    assert.equal(code(reader.push(encodeMessage({ kind: 'choke' }))), 'WIRE_UNKNOWN_MESSAGE');
    assert.equal(code(reader.pull()), 'WIRE_UNKNOWN_MESSAGE');
    assert.equal(reader.bufferedBytes, 0);
  });

  it('sizes its default limit for 16 KiB blocks and for the bitfield of large torrents', () => {
    assert.equal(readerLimitsFor().maxMessageLength, MIN_MESSAGE_LIMIT);
    assert.equal(readerLimitsFor(8_000_000).maxMessageLength, 1_000_001);
    const big = new MessageReader(readerLimitsFor(8_000_000));
    const bitfield = encodeMessage({ kind: 'bitfield', bytes: new Uint8Array(1_000_000) });
    const r = readChunks(big, cut(bitfield, [1000, 70000, 500000]));
    assert.ok(r.ok && r.value[0]?.kind === 'bitfield');
  });

  it('throws a RangeError on limits that cannot hold one message', () => {
    assert.throws(() => new MessageReader({ maxMessageLength: 0 }), RangeError);
    assert.throws(
      () => new MessageReader({ maxMessageLength: 100, maxBufferedBytes: 103 }),
      RangeError,
    );
  });
});

describe('MessageReader properties', () => {
  it('reads back any sequence of messages cut at any points', () => {
    fc.assert(
      fc.property(fc.array(peerMessageArb, { maxLength: 12 }), fc.array(fc.nat()), (ms, points) => {
        const bytes = concatBytes(ms.map(encodeMessage));
        const r = readChunks(new MessageReader(), cut(bytes, points));
        assert.ok(r.ok);
        assert.deepEqual(r.value.map(plain), ms.map(plain));
      }),
    );
  });

  it('never throws on arbitrary bytes in arbitrary chunks, and an error is final', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat()), (bytes, points) => {
        const reader = new MessageReader({ maxMessageLength: 200 });
        const r = readChunks(reader, cut(bytes, points));
        if (!r.ok) assert.deepEqual(reader.pull(), r);
      }),
    );
  });

  it('never throws on messages with a valid header and arbitrary bodies', () => {
    const framed = fc
      .tuple(fc.integer({ min: 0, max: 30 }), fc.uint8Array({ maxLength: 80 }))
      .map(([id, body]) => {
        const out = new Uint8Array(5 + body.length);
        new DataView(out.buffer).setUint32(0, 1 + body.length);
        out[4] = id;
        out.set(body, 5);
        return out;
      });
    fc.assert(
      fc.property(fc.array(framed, { maxLength: 8 }), (frames) => {
        readChunks(new MessageReader(), [concatBytes(frames)]);
      }),
    );
  });
});
