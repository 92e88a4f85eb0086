import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import { alignedLayout } from '../geometry/layout.js';
import { PieceGeometry } from '../geometry/pieces.js';
import type { HashRange, PeerMessage } from './messages.js';
import { peerMessageArb } from './testing.js';
import { pieceSizeOf, validateMessage, type WireGeometry } from './validate.js';

// 10 pieces of 32 KiB, the last one 10,000 bytes.
const geometry: WireGeometry = {
  pieceCount: 10,
  pieceLength: 32768,
  totalLength: 9 * 32768 + 10000,
};

const code = <T>(r: Result<T, ErrorValue>): string | undefined => (r.ok ? undefined : r.error.code);
const check = (m: PeerMessage, g: WireGeometry = geometry): string | undefined =>
  code(validateMessage(m, g));

const range = (over: Partial<HashRange> = {}): HashRange => ({
  piecesRoot: new Uint8Array(32),
  baseLayer: 0,
  index: 4,
  length: 4,
  proofLayers: 3,
  ...over,
});

describe('validateMessage', () => {
  it('works out piece sizes with a short last piece', () => {
    assert.equal(pieceSizeOf(geometry, 0), 32768);
    assert.equal(pieceSizeOf(geometry, 9), 10000);
  });

  it('accepts a have of the last piece and refuses one past it', () => {
    assert.equal(check({ kind: 'have', index: 9 }), undefined);
    assert.equal(check({ kind: 'have', index: 10 }), 'WIRE_BAD_MESSAGE');
    assert.equal(check({ kind: 'suggest', index: 10 }), 'WIRE_BAD_MESSAGE');
    assert.equal(check({ kind: 'allowed-fast', index: 2 ** 32 - 1 }), 'WIRE_BAD_MESSAGE');
  });

  it('parses a bitfield of the right size into a Bitfield', () => {
    const r = validateMessage({ kind: 'bitfield', bytes: new Uint8Array([0x80, 0x40]) }, geometry);
    assert.ok(r.ok && r.value.kind === 'bitfield');
    assert.equal(r.value.bitfield.has(0), true);
    assert.equal(r.value.bitfield.has(9), true);
    assert.equal(r.value.bitfield.count, 2);
  });

  it('refuses a bitfield of the wrong size', () => {
    assert.equal(check({ kind: 'bitfield', bytes: new Uint8Array(3) }), 'WIRE_BAD_LENGTH');
    assert.equal(check({ kind: 'bitfield', bytes: new Uint8Array(1) }), 'WIRE_BAD_LENGTH');
  });

  it('refuses a bitfield with spare bits set', () => {
    assert.equal(check({ kind: 'bitfield', bytes: new Uint8Array([0, 0x20]) }), 'WIRE_BAD_MESSAGE');
  });

  it('accepts requests within a piece and up to 16 KiB', () => {
    assert.equal(check({ kind: 'request', index: 0, begin: 16384, length: 16384 }), undefined);
    assert.equal(check({ kind: 'request', index: 9, begin: 0, length: 10000 }), undefined);
    assert.equal(check({ kind: 'cancel', index: 9, begin: 9999, length: 1 }), undefined);
  });

  it('refuses requests past the piece end, empty, or over 16 KiB', () => {
    assert.equal(check({ kind: 'request', index: 9, begin: 0, length: 10001 }), 'WIRE_BAD_MESSAGE');
    assert.equal(check({ kind: 'request', index: 0, begin: 32768, length: 1 }), 'WIRE_BAD_MESSAGE');
    assert.equal(check({ kind: 'request', index: 0, begin: 0, length: 0 }), 'WIRE_BAD_MESSAGE');
    assert.equal(check({ kind: 'request', index: 0, begin: 0, length: 16385 }), 'WIRE_BAD_MESSAGE');
    assert.equal(check({ kind: 'reject', index: 10, begin: 0, length: 1 }), 'WIRE_BAD_MESSAGE');
  });

  it('refuses a piece message past the piece end or with an empty block', () => {
    const block = new Uint8Array(16384);
    assert.equal(check({ kind: 'piece', index: 0, begin: 16384, block }), undefined);
    assert.equal(check({ kind: 'piece', index: 9, begin: 0, block }), 'WIRE_BAD_MESSAGE');
    assert.equal(
      check({ kind: 'piece', index: 0, begin: 0, block: new Uint8Array() }),
      'WIRE_BAD_MESSAGE',
    );
  });

  it('uses the piece sizes of a v2 torrent when given', () => {
    const v2: WireGeometry = { ...geometry, pieceSize: (i) => (i === 3 ? 100 : 32768) };
    assert.equal(check({ kind: 'request', index: 3, begin: 0, length: 100 }, v2), undefined);
    assert.equal(
      check({ kind: 'request', index: 3, begin: 0, length: 101 }, v2),
      'WIRE_BAD_MESSAGE',
    );
  });

  it('holds hash ranges to BEP 52: a power of two from 2 to 512, index a multiple of it', () => {
    assert.equal(check({ kind: 'hash-request', ...range() }), undefined);
    assert.equal(
      check({ kind: 'hash-request', ...range({ length: 1, index: 0 }) }),
      'WIRE_BAD_MESSAGE',
    );
    assert.equal(
      check({ kind: 'hash-request', ...range({ length: 6, index: 0 }) }),
      'WIRE_BAD_MESSAGE',
    );
    assert.equal(
      check({ kind: 'hash-reject', ...range({ length: 1024, index: 0 }) }),
      'WIRE_BAD_MESSAGE',
    );
    assert.equal(check({ kind: 'hash-request', ...range({ index: 2 }) }), 'WIRE_BAD_MESSAGE');
  });

  it('wants the range and at most one uncle per proof layer in a hashes message', () => {
    const hashes = (n: number): PeerMessage => ({
      kind: 'hashes',
      ...range(),
      hashes: new Uint8Array(32 * n),
    });
    assert.equal(check(hashes(4)), undefined);
    assert.equal(check(hashes(7)), undefined);
    assert.equal(check(hashes(3)), 'WIRE_BAD_MESSAGE');
    assert.equal(check(hashes(8)), 'WIRE_BAD_MESSAGE');
  });

  it('passes messages that need no torrent knowledge through', () => {
    assert.equal(check({ kind: 'keep-alive' }), undefined);
    assert.equal(check({ kind: 'extended', id: 9, payload: new Uint8Array() }), undefined);
    assert.equal(check({ kind: 'port', port: 0 }), undefined);
  });

  it('never throws on any message against any geometry', () => {
    const geometryArb = fc
      .tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 14, max: 24 }))
      .chain(([total, log]) =>
        fc.constant({
          pieceLength: 2 ** log,
          totalLength: total,
          pieceCount: Math.ceil(total / 2 ** log),
        }),
      );
    fc.assert(
      fc.property(peerMessageArb, geometryArb, (m, g) => {
        validateMessage(m, g);
      }),
    );
  });
});

describe('validateMessage with a torrent geometry', () => {
  it('takes the PieceGeometry of a v2 layout, whose file-final pieces are short', () => {
    const g = PieceGeometry.fromLayout(alignedLayout([40_000, 100], 32_768));
    assert.equal(validateMessage({ kind: 'request', index: 2, begin: 0, length: 100 }, g).ok, true);
    assert.equal(
      validateMessage({ kind: 'request', index: 1, begin: 0, length: 16_384 }, g).ok,
      false,
    );
  });
});
