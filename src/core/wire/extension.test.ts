import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binaryToBytes, bytesToBinary, toHex } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  encodeExtendedHandshake,
  localExtensions,
  mergeExtensions,
  remoteIdFor,
  routeIncoming,
  UT_METADATA,
  UT_PEX,
} from './extension.js';

const bytes = (text: string): Uint8Array => binaryToBytes(text);
const code = <T>(r: Result<T, ErrorValue>): string | undefined => (r.ok ? undefined : r.error.code);
const decoded = (text: string): ExtendedHandshake => {
  const r = decodeExtendedHandshake(bytes(text));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
};

describe('extended handshake (BEP 10)', () => {
  it('decodes a handshake as libtorrent sends it', () => {
    const h = decoded(
      'd1:md11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi500e' +
        '11:upload_onlyi1e1:v16:libtorrent 2.0.96:yourip4:\x7f\x00\x00\x01e',
    );
    assert.deepEqual(
      [...h.extensions],
      [
        ['ut_metadata', 2],
        ['ut_pex', 1],
      ],
    );
    assert.equal(h.metadataSize, 31235);
    assert.equal(h.port, 6881);
    assert.equal(h.requestQueue, 500);
    assert.equal(h.uploadOnly, true);
    assert.equal(h.client, 'libtorrent 2.0.9');
    assert.equal(toHex(h.yourIp ?? new Uint8Array()), '7f000001');
  });

  it('encodes a canonical dictionary and decodes it back', () => {
    const h: ExtendedHandshake = {
      extensions: localExtensions([UT_METADATA, UT_PEX]),
      client: 'fanseed 0.1',
      port: 51413,
      requestQueue: 250,
      metadataSize: 1234,
      yourIp: new Uint8Array([10, 0, 0, 1]),
      uploadOnly: false,
    };
    const payload = encodeExtendedHandshake(h);
    assert.equal(
      bytesToBinary(payload),
      'd1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei1234e1:pi51413e4:reqqi250e' +
        '11:upload_onlyi0e1:v11:fanseed 0.16:yourip4:\x0a\x00\x00\x01e',
    );
    assert.deepEqual(decodeExtendedHandshake(payload), { ok: true, value: h });
  });

  it('takes a handshake without m as one with no extensions', () => {
    assert.equal(decoded('d1:pi1ee').extensions.size, 0);
  });

  it('drops malformed informational fields and ignores unknown keys', () => {
    const h = decoded(
      'd1:mde1:pi70000e4:reqqi-1e11:upload_only3:yes1:v2:\xff\xfe6:yourip3:abc3:zzzi1ee',
    );
    assert.deepEqual(h, { extensions: new Map() });
  });

  it('refuses a payload that is not a bencoded dictionary', () => {
    assert.equal(code(decodeExtendedHandshake(bytes('li1ee'))), 'WIRE_BAD_EXTENSION');
    assert.equal(code(decodeExtendedHandshake(bytes('d1:m'))), 'WIRE_BAD_EXTENSION');
    assert.equal(code(decodeExtendedHandshake(bytes(''))), 'WIRE_BAD_EXTENSION');
    assert.equal(code(decodeExtendedHandshake(bytes('de garbage'))), 'WIRE_BAD_EXTENSION');
  });

  it('refuses an m that is not a dictionary of names to byte ids', () => {
    for (const m of ['li1ee', 'd0:i1ee', 'd1:ai256ee', 'd1:ai-1ee', 'd1:a1:xe']) {
      assert.equal(code(decodeExtendedHandshake(bytes(`d1:m${m}e`))), 'WIRE_BAD_EXTENSION', m);
    }
    const longName = 'x'.repeat(65);
    assert.equal(
      code(decodeExtendedHandshake(bytes(`d1:md65:${longName}i1eee`))),
      'WIRE_BAD_EXTENSION',
    );
  });

  it('refuses a negative metadata_size', () => {
    assert.equal(
      code(decodeExtendedHandshake(bytes('d13:metadata_sizei-5ee'))),
      'WIRE_BAD_EXTENSION',
    );
  });

  it('throws a RangeError when asked to encode ids that do not fit a byte', () => {
    assert.throws(() => encodeExtendedHandshake({ extensions: new Map([['a', 256]]) }), RangeError);
    assert.throws(() => encodeExtendedHandshake({ extensions: new Map([['', 1]]) }), RangeError);
  });
});

describe('extension routing', () => {
  const ours = localExtensions([UT_METADATA, UT_PEX]);
  const theirs = new Map([
    [UT_METADATA, 3],
    [UT_PEX, 0],
  ]);

  it('numbers our extensions from 1', () => {
    assert.deepEqual(
      [...ours],
      [
        [UT_METADATA, 1],
        [UT_PEX, 2],
      ],
    );
  });

  it('routes incoming ids by our map, 0 being the handshake', () => {
    assert.deepEqual(routeIncoming(ours, 0), { kind: 'handshake' });
    assert.deepEqual(routeIncoming(ours, 1), { kind: 'extension', name: UT_METADATA });
    assert.deepEqual(routeIncoming(ours, 3), { kind: 'unknown', id: 3 });
  });

  it('sends under their id, and not at all for an extension they lack or disabled', () => {
    assert.equal(remoteIdFor(theirs, UT_METADATA), 3);
    assert.equal(remoteIdFor(theirs, UT_PEX), undefined);
    assert.equal(remoteIdFor(theirs, 'lt_donthave'), undefined);
  });

  it('applies a later handshake: changes and additions replace, 0 removes, absent stays', () => {
    const r = mergeExtensions(
      new Map([
        [UT_METADATA, 3],
        [UT_PEX, 4],
      ]),
      new Map([
        [UT_PEX, 0],
        ['lt_donthave', 7],
      ]),
    );
    assert.ok(r.ok);
    assert.deepEqual([...r.value].sort(), [
      ['lt_donthave', 7],
      [UT_METADATA, 3],
    ]);
  });

  it('keeps the merged map within the limit', () => {
    const many = (prefix: string) =>
      new Map(Array.from({ length: 40 }, (_, i) => [`${prefix}${i}`, 1]));
    assert.equal(code(mergeExtensions(many('a'), many('b'))), 'WIRE_BAD_EXTENSION');
  });
});

describe('extended handshake properties', () => {
  const handshakeArb: fc.Arbitrary<ExtendedHandshake> = fc.record(
    {
      extensions: fc
        .uniqueArray(
          fc.tuple(
            fc.uint8Array({ minLength: 1, maxLength: 64 }).map(bytesToBinary),
            fc.integer({ min: 0, max: 255 }),
          ),
          {
            selector: (e) => e[0],
            maxLength: 64,
          },
        )
        .map((entries) => new Map(entries)),
      client: fc.string({ unit: 'grapheme', maxLength: 20 }),
      port: fc.integer({ min: 1, max: 0xffff }),
      requestQueue: fc.integer({ min: 1, max: 1 << 20 }),
      metadataSize: fc.integer({ min: 0, max: 2 ** 40 }),
      yourIp: fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
      ),
      uploadOnly: fc.boolean(),
    },
    { requiredKeys: ['extensions'] },
  );

  it('round-trips any handshake', () => {
    fc.assert(
      fc.property(handshakeArb, (h) => {
        assert.deepEqual(decodeExtendedHandshake(encodeExtendedHandshake(h)), {
          ok: true,
          value: { ...h },
        });
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    const syntax = fc.oneof(
      fc.constantFrom(...bytes('dlie0123456789:m')),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(syntax, { maxLength: 80 }), (b) => {
        decodeExtendedHandshake(new Uint8Array(b));
      }),
    );
  });
});

describe('extended handshakes from clients that do not sort keys', () => {
  it('reads a handshake whose keys are out of order', () => {
    const payload = new TextEncoder().encode('d1:v4:test1:md11:ut_metadatai3eee');
    const r = decodeExtendedHandshake(payload);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  });
});
