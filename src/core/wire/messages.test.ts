import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../lib/bytes.js';
import {
  encodeMessage,
  encodePieceHeader,
  kindOfId,
  MESSAGE_ID,
  type PeerMessage,
} from './messages.js';

const hex = (m: PeerMessage): string => toHex(encodeMessage(m));

describe('peer messages (BEP 3, 6, 10, 52)', () => {
  it('numbers messages as the BEPs do', () => {
    assert.deepEqual(
      Object.values(MESSAGE_ID),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 20, 21, 22, 23],
    );
    assert.equal(kindOfId(14), 'have-all');
    assert.equal(kindOfId(10), undefined);
    assert.equal(kindOfId(255), undefined);
  });

  it('encodes a keep-alive as four zero bytes', () => {
    assert.equal(hex({ kind: 'keep-alive' }), '00000000');
  });

  it('encodes bodiless messages as length 1 and the id', () => {
    assert.equal(hex({ kind: 'choke' }), '0000000100');
    assert.equal(hex({ kind: 'not-interested' }), '0000000103');
    assert.equal(hex({ kind: 'have-none' }), '000000010f');
  });

  it('encodes have, request and port with big-endian fields', () => {
    assert.equal(hex({ kind: 'have', index: 0x01020304 }), '000000050401020304');
    assert.equal(
      hex({ kind: 'request', index: 1, begin: 0x4000, length: 0x4000 }),
      '0000000d06000000010000400000004000',
    );
    assert.equal(hex({ kind: 'port', port: 6881 }), '00000003091ae1');
  });

  it('encodes an extended message with its extension id first', () => {
    assert.equal(
      hex({ kind: 'extended', id: 3, payload: new Uint8Array([0x64, 0x65]) }),
      '0000000414036465',
    );
  });

  it('encodes a hash request as 49 bytes after the length', () => {
    const bytes = encodeMessage({
      kind: 'hash-request',
      piecesRoot: new Uint8Array(32).fill(0xee),
      baseLayer: 1,
      index: 2,
      length: 4,
      proofLayers: 5,
    });
    assert.equal(bytes.length, 53);
    assert.equal(toHex(bytes.subarray(0, 5)), '0000003115');
    assert.equal(toHex(bytes.subarray(37)), '00000001000000020000000400000005');
  });

  it('writes a piece header that is the first 13 bytes of the whole piece message', () => {
    const block = new Uint8Array(100).fill(7);
    const whole = encodeMessage({ kind: 'piece', index: 9, begin: 16384, block });
    const header = encodePieceHeader(9, 16384, block.length);
    assert.equal(header.length, 13);
    assert.equal(toHex(header), toHex(whole.subarray(0, 13)));
    assert.equal(toHex(header.subarray(0, 5)), '0000006d07');
  });

  it('throws a RangeError on fields a caller got wrong', () => {
    assert.throws(() => encodeMessage({ kind: 'have', index: -1 }), RangeError);
    assert.throws(() => encodeMessage({ kind: 'have', index: 2 ** 32 }), RangeError);
    assert.throws(() => encodeMessage({ kind: 'port', port: 65536 }), RangeError);
    assert.throws(
      () => encodeMessage({ kind: 'extended', id: 256, payload: new Uint8Array() }),
      RangeError,
    );
    assert.throws(
      () =>
        encodeMessage({
          kind: 'hashes',
          piecesRoot: new Uint8Array(32),
          baseLayer: 0,
          index: 0,
          length: 2,
          proofLayers: 0,
          hashes: new Uint8Array(33),
        }),
      RangeError,
    );
    assert.throws(() => encodePieceHeader(0, 1.5, 10), RangeError);
  });
});
