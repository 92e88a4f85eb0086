import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binaryToBytes, bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, type InfoHashV2, infoHashV1, infoHashV2 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { pseudoRandomBytes } from '../../lib/testing.js';
import { nodeHash } from '../../runtime/node-hash.js';
import {
  type AcceptOutcome,
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_SIZE,
  MetadataAssembler,
  type MetadataMessage,
  metadataPiece,
} from './ut-metadata.js';

const code = <T>(r: Result<T, ErrorValue>): string | undefined => (r.ok ? undefined : r.error.code);
const decodeText = (text: string) => decodeMetadataMessage(binaryToBytes(text));

const metadata = pseudoRandomBytes(2 * METADATA_PIECE_SIZE + 100, 7);
const v1 = infoHashV1(nodeHash.sha1(metadata)) as InfoHashV1;
const v2 = infoHashV2(nodeHash.sha256(metadata)) as InfoHashV2;

const assembler = (
  infoHash: { v1: InfoHashV1 | undefined; v2: InfoHashV2 | undefined } = { v1, v2: undefined },
  size = metadata.length,
): MetadataAssembler => {
  const r = MetadataAssembler.create({ size, infoHash, hash: nodeHash });
  assert.ok(r.ok);
  return r.value;
};

const data = (
  piece: number,
  bytes = metadataPiece(metadata, piece) as Uint8Array,
  totalSize = metadata.length,
) => ({
  kind: 'data' as const,
  piece,
  totalSize,
  data: bytes,
});

describe('ut_metadata messages (BEP 9)', () => {
  it('encodes a request, a reject and a data message as BEP 9 shows them', () => {
    assert.equal(
      bytesToBinary(encodeMetadataMessage({ kind: 'request', piece: 0 })),
      'd8:msg_typei0e5:piecei0ee',
    );
    assert.equal(
      bytesToBinary(encodeMetadataMessage({ kind: 'reject', piece: 3 })),
      'd8:msg_typei2e5:piecei3ee',
    );
    const d = encodeMetadataMessage({
      kind: 'data',
      piece: 1,
      totalSize: 20000,
      data: binaryToBytes('xyz'),
    });
    assert.equal(bytesToBinary(d), 'd8:msg_typei1e5:piecei1e10:total_sizei20000eexyz');
  });

  it('decodes a data message with the raw bytes after the dictionary, as a view', () => {
    const payload = binaryToBytes('d8:msg_typei1e5:piecei1e10:total_sizei20000eexyz');
    const r = decodeMetadataMessage(payload);
    assert.ok(r.ok && r.value.kind === 'data');
    assert.equal(bytesToBinary(r.value.data), 'xyz');
    assert.equal(r.value.data.buffer, payload.buffer);
    assert.equal(r.value.totalSize, 20000);
  });

  it('ignores an unknown msg_type as BEP 9 asks', () => {
    assert.deepEqual(decodeText('d8:msg_typei7e5:piecei0ee'), {
      ok: true,
      value: { kind: 'unknown', msgType: 7 },
    });
  });

  it('refuses malformed messages', () => {
    for (const text of [
      'li1ee',
      'd5:piecei0ee',
      'd8:msg_typei0ee',
      'd8:msg_typei0e5:piecei-1ee',
      'd8:msg_typei0e5:piecei0eexx',
      'd8:msg_typei1e5:piecei0ee',
      'd8:msg_typei1e5:piecei0e10:total_sizei0eex',
      'd8:msg_typei1e5:piecei0e10:total_sizei5ee',
      'd8:msg_type',
    ]) {
      assert.equal(code(decodeText(text)), 'WIRE_BAD_METADATA', text);
    }
  });

  it('refuses a data message carrying over 16 KiB', () => {
    const m = {
      kind: 'data' as const,
      piece: 0,
      totalSize: 1 << 20,
      data: new Uint8Array(METADATA_PIECE_SIZE),
    };
    const payload = new Uint8Array([...encodeMetadataMessage(m), 0]);
    assert.equal(code(decodeMetadataMessage(payload)), 'WIRE_BAD_METADATA');
  });

  it('serves pieces of our metadata and nothing past its end', () => {
    assert.equal(metadataPiece(metadata, 0)?.length, METADATA_PIECE_SIZE);
    assert.equal(metadataPiece(metadata, 2)?.length, 100);
    assert.equal(metadataPiece(metadata, 3), undefined);
    assert.equal(metadataPiece(metadata, -1), undefined);
  });
});

describe('MetadataAssembler', () => {
  it('refuses a size of 0 or over the limit', () => {
    const create = (size: number, maxSize?: number) =>
      MetadataAssembler.create({
        size,
        infoHash: { v1, v2: undefined },
        hash: nodeHash,
        ...(maxSize === undefined ? {} : { maxSize }),
      });
    assert.equal(code(create(0)), 'WIRE_BAD_METADATA');
    assert.equal(code(create(16 * 1024 * 1024 + 1)), 'WIRE_BAD_METADATA');
    assert.equal(code(create(1001, 1000)), 'WIRE_BAD_METADATA');
    assert.equal(code(create(1.5)), 'WIRE_BAD_METADATA');
    assert.ok(create(16 * 1024 * 1024).ok);
  });

  it('hands out each piece once until it is released', () => {
    const a = assembler();
    assert.equal(a.pieceCount, 3);
    assert.deepEqual(
      [a.nextRequest(), a.nextRequest(), a.nextRequest(), a.nextRequest()],
      [0, 1, 2, undefined],
    );
    a.release(1);
    assert.equal(a.nextRequest(), 1);
  });

  it('completes with the metadata once every piece is in and the SHA-1 matches', () => {
    const a = assembler();
    assert.deepEqual(a.accept(data(2)), {
      ok: true,
      value: { kind: 'progress', received: 1, pieceCount: 3 },
    });
    assert.ok(a.accept(data(0)).ok);
    const r = a.accept(data(1));
    assert.ok(r.ok && r.value.kind === 'complete');
    assert.deepEqual(r.value.metadata, metadata);
    assert.equal(a.nextRequest(), undefined);
  });

  it('checks a v2 info-hash with SHA-256, and both for a hybrid', () => {
    for (const infoHash of [
      { v1: undefined, v2 },
      { v1, v2 },
    ]) {
      const a = assembler(infoHash);
      let last: Result<AcceptOutcome, ErrorValue> | undefined;
      for (let p = 0; p < a.pieceCount; p++) last = a.accept(data(p));
      assert.ok(last?.ok && last.value.kind === 'complete');
    }
  });

  it('refuses metadata that does not match the info-hash and starts again', () => {
    const a = assembler({ v1, v2 });
    a.accept(data(0));
    a.accept(data(1));
    const bad = new Uint8Array(100);
    assert.equal(code(a.accept(data(2, bad))), 'WIRE_BAD_METADATA');
    assert.equal(a.received, 0);
    assert.equal(a.nextRequest(), 0);
  });

  it('refuses a piece of the wrong size, a wrong index or a wrong total_size', () => {
    const a = assembler();
    assert.equal(code(a.accept(data(0, new Uint8Array(100)))), 'WIRE_BAD_METADATA');
    assert.equal(code(a.accept(data(2, new Uint8Array(METADATA_PIECE_SIZE)))), 'WIRE_BAD_METADATA');
    assert.equal(code(a.accept(data(3, new Uint8Array(100)))), 'WIRE_BAD_METADATA');
    assert.equal(code(a.accept(data(0, undefined, metadata.length + 1))), 'WIRE_BAD_METADATA');
    assert.equal(a.received, 0);
  });

  it('counts a piece received twice once', () => {
    const a = assembler();
    a.accept(data(0));
    assert.deepEqual(a.accept(data(0)), { ok: true, value: { kind: 'duplicate' } });
    assert.equal(a.received, 1);
  });
});

describe('ut_metadata properties', () => {
  const messageArb: fc.Arbitrary<Exclude<MetadataMessage, { kind: 'unknown' }>> = fc.oneof(
    fc.record({ kind: fc.constantFrom('request' as const, 'reject' as const), piece: fc.nat() }),
    fc.record({
      kind: fc.constant('data' as const),
      piece: fc.nat(),
      totalSize: fc.integer({ min: 1, max: 2 ** 40 }),
      data: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
  );

  it('round-trips any message', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const r = decodeMetadataMessage(encodeMetadataMessage(m));
        assert.ok(r.ok);
        assert.deepEqual(
          { ...r.value, ...('data' in r.value ? { data: Uint8Array.from(r.value.data) } : {}) },
          { ...m },
        );
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    const syntax = fc.oneof(
      fc.constantFrom(...binaryToBytes('dlie0123456789:')),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(syntax, { maxLength: 80 }), (b) => {
        decodeMetadataMessage(new Uint8Array(b));
      }),
    );
  });

  it('completes from pieces given in any order, with duplicates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 12 }),
        (order) => {
          const a = assembler();
          for (const p of [...order, 0, 1, 2]) {
            const r = a.accept(data(p));
            assert.ok(r.ok);
            if (r.value.kind === 'complete') assert.deepEqual(r.value.metadata, metadata);
          }
          assert.ok(a.complete);
        },
      ),
    );
  });
});
