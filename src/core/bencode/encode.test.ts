import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes, bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import type { BEncodable } from './types.js';

/** One byte per char (latin1), so tests can spell exact bytes. */
const b = (text: string): Uint8Array => binaryToBytes(text);

/** Encodes and returns the output as a binary string, failing the test on an error. */
const enc = (value: BEncodable): string => {
  const r = encode(value);
  if (!r.ok) assert.fail(`expected ${String(value)} to encode, got ${r.error.code}`);
  return bytesToBinary(r.value);
};

const assertUnencodable = (r: Result<Uint8Array, ErrorValue>): ErrorValue => {
  if (r.ok) assert.fail(`expected BENCODE_UNENCODABLE, got ${bytesToBinary(r.value)}`);
  assert.equal(r.error.code, 'BENCODE_UNENCODABLE');
  assert.equal(r.error.offset, undefined);
  assert.equal(typeof r.error.message, 'string');
  return r.error;
};

/** Values the type system forbids but JavaScript callers can still pass. */
const smuggle = (value: unknown): BEncodable => value as BEncodable;

const nest = (depth: number): BEncodable => {
  let v: BEncodable = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
};

describe('encode: integers', () => {
  it('writes zero, positive and negative integers in shortest form', () => {
    assert.equal(enc(0), 'i0e');
    assert.equal(enc(42), 'i42e');
    assert.equal(enc(-42), 'i-42e');
    assert.equal(enc(1_000_000), 'i1000000e');
  });

  it('writes -0 as i0e, never i-0e', () => {
    assert.equal(enc(-0), 'i0e');
  });

  it('writes the largest safe integers as numbers', () => {
    assert.equal(enc(Number.MAX_SAFE_INTEGER), 'i9007199254740991e');
    assert.equal(enc(Number.MIN_SAFE_INTEGER), 'i-9007199254740991e');
  });

  it('writes BigInt values of any size', () => {
    assert.equal(enc(0n), 'i0e');
    assert.equal(enc(-1n), 'i-1e');
    assert.equal(enc(2n ** 64n), 'i18446744073709551616e');
    assert.equal(enc(-(2n ** 64n)), 'i-18446744073709551616e');
    assert.equal(enc(10n ** 100n), `i1${'0'.repeat(100)}e`);
  });

  it('refuses fractions', () => {
    assertUnencodable(encode(1.5));
    assertUnencodable(encode(-0.1));
  });

  it('refuses NaN and infinities', () => {
    assertUnencodable(encode(Number.NaN));
    assertUnencodable(encode(Number.POSITIVE_INFINITY));
    assertUnencodable(encode(Number.NEGATIVE_INFINITY));
  });

  it('refuses numbers beyond the safe range rather than writing a rounded value', () => {
    const e = assertUnencodable(encode(2 ** 53));
    assert.match(e.message, /not a safe integer/);
    assertUnencodable(encode(-(2 ** 53)));
    assertUnencodable(encode(1e21));
  });

  it('refuses an unencodable integer nested deep inside a value', () => {
    assertUnencodable(encode({ info: { files: [{ length: 0.5 }] } }));
  });
});

describe('encode: byte strings and text', () => {
  it('writes the empty string as 0:', () => {
    assert.equal(enc(''), '0:');
    assert.equal(enc(new Uint8Array(0)), '0:');
  });

  it('writes text as UTF-8 prefixed by its byte length, not its char length', () => {
    assert.equal(enc('spam'), '4:spam');
    assert.equal(enc('é'), '2:\xc3\xa9');
    assert.equal(enc('€'), '3:\xe2\x82\xac');
    assert.equal(enc('🎬'), '4:\xf0\x9f\x8e\xac');
  });

  it('writes byte strings exactly, including bytes that are not UTF-8', () => {
    assert.equal(enc(b('\x00\xff\x80e:')), '5:\x00\xff\x80e:');
  });

  it('writes only the bytes of a view, not the whole underlying buffer', () => {
    const whole = b('xxabcyy');
    assert.equal(enc(whole.subarray(2, 5)), '3:abc');
  });

  it('accepts Node buffers as byte strings', () => {
    assert.equal(enc(Buffer.from('abc')), '3:abc');
  });

  it('returns a fresh buffer rather than the caller’s bytes', () => {
    const input = b('abc');
    const r = encode(input);
    assert.ok(r.ok);
    assert.notEqual(r.value.buffer, input.buffer);
  });

  it('writes a long byte string with a multi-digit length', () => {
    const data = new Uint8Array(1234).fill(0x61);
    assert.equal(enc(data), `1234:${'a'.repeat(1234)}`);
  });
});

describe('encode: lists', () => {
  it('writes the empty list as le', () => {
    assert.equal(enc([]), 'le');
  });

  it('writes items in order', () => {
    assert.equal(enc([1, 'a', b('bc'), -2n]), 'li1e1:a2:bci-2ee');
  });

  it('writes nested lists', () => {
    assert.equal(enc([[], [[]], [1, [2]]]), 'llelleeli1eli2eeee');
  });
});

describe('encode: dictionaries', () => {
  it('writes empty maps and objects as de', () => {
    assert.equal(enc(new Map()), 'de');
    assert.equal(enc({}), 'de');
  });

  it('sorts map keys in byte order whatever the insertion order', () => {
    const m = new Map<string, BEncodable>([
      ['zebra', 1],
      ['apple', 2],
      ['Mango', 3],
      ['ab', 4],
      ['a', 5],
    ]);
    assert.equal(enc(m), 'd5:Mangoi3e1:ai5e2:abi4e5:applei2e5:zebrai1ee');
  });

  it('sorts plain object keys in byte order', () => {
    assert.equal(enc({ b: 1, a: 2, A: 3 }), 'd1:Ai3e1:ai2e1:bi1ee');
  });

  it('sorts plain object keys by their UTF-8 bytes, not by UTF-16 code units', () => {
    // U+FFFD is EF BF BD, U+1F3AC is F0 9F 8E AC: the surrogate pair D83C DFAC sorts first in
    // UTF-16 but last in UTF-8 byte order, which is the order BEP 3 asks for.
    const out = enc({ '🎬': 1, '\ufffd': 2 });
    assert.equal(out, 'd3:\xef\xbf\xbdi2e4:\xf0\x9f\x8e\xaci1ee');
  });

  it('treats map keys as binary strings, one byte per char', () => {
    assert.equal(enc(new Map([['\xff\x00', 1]])), 'd2:\xff\x00i1ee');
  });

  it('treats plain object keys as text encoded as UTF-8', () => {
    assert.equal(enc({ é: 1 }), 'd2:\xc3\xa9i1ee');
  });

  it('orders binary map keys with high bytes after ASCII', () => {
    const m = new Map<string, BEncodable>([
      ['\x80', 1],
      ['z', 2],
    ]);
    assert.equal(enc(m), 'd1:zi2e1:\x80i1ee');
  });

  it('leaves out plain object members that are undefined', () => {
    assert.equal(enc({ a: 1, comment: undefined, b: 'x' }), 'd1:ai1e1:b1:xe');
  });

  it('writes nested dictionaries and lists', () => {
    const value = { info: { name: 'film', length: 3, files: [{ path: ['a', 'b'] }] } };
    assert.equal(enc(value), 'd4:infod5:filesld4:pathl1:a1:beee6:lengthi3e4:name4:filmee');
  });

  it('refuses plain object keys that collapse to the same UTF-8 bytes', () => {
    // Lone surrogates both become U+FFFD: writing both would give duplicate keys.
    const e = assertUnencodable(encode({ '\ud800': 1, '\udc00': 2 }));
    assert.match(e.message, /duplicate/);
  });

  it('refuses a map key with a char above 0xff instead of truncating it', () => {
    assertUnencodable(encode(new Map([['€', 1]])));
  });

  it('never writes duplicate or unsorted keys from map keys that only differ above 0xff', () => {
    // 'š' is U+0161: truncated to one byte it would be 'a' (0x61).
    for (const keys of [
      ['a', 'š'],
      ['b', 'š'],
    ]) {
      const m = new Map<string, BEncodable>(keys.map((k, i) => [k, i]));
      const r = encode(m);
      if (r.ok) assert.ok(decode(r.value).ok, `${bytesToBinary(r.value)} is not canonical`);
    }
  });
});

describe('encode: values it cannot represent', () => {
  it('refuses null, undefined and booleans', () => {
    assertUnencodable(encode(smuggle(null)));
    assertUnencodable(encode(smuggle(undefined)));
    assertUnencodable(encode(smuggle(true)));
    assertUnencodable(encode(smuggle([false])));
  });

  it('refuses functions and symbols', () => {
    assertUnencodable(encode(smuggle(() => 1)));
    assertUnencodable(encode(smuggle(Symbol('x'))));
  });

  it('refuses undefined inside a list, where it cannot be left out', () => {
    assertUnencodable(encode(smuggle([1, undefined])));
  });

  it('refuses undefined as a map value', () => {
    assertUnencodable(encode(smuggle(new Map([['a', undefined]]))));
  });

  it('refuses a cyclic value instead of overflowing the stack', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    const e = assertUnencodable(encode(smuggle(cycle)));
    assert.match(e.message, /deep/);

    const obj: Record<string, unknown> = {};
    obj.self = obj;
    assertUnencodable(encode(smuggle(obj)));
  });

  it('writes moderately deep nesting and refuses absurd depth', () => {
    assert.equal(enc(nest(500)), `${'l'.repeat(500)}${'e'.repeat(500)}`);
    assertUnencodable(encode(nest(1000)));
  });
});

describe('encode: canonical output', () => {
  it('writes what decode reads back to the same value', () => {
    const value = new Map<string, BEncodable>([
      ['announce', b('http://t.example/announce')],
      [
        'info',
        new Map<string, BEncodable>([
          ['length', 2n ** 60n],
          ['name', b('film.mkv')],
          ['piece length', 16384],
          ['pieces', new Uint8Array(20).fill(7)],
        ]),
      ],
    ]);
    const r = encode(value);
    assert.ok(r.ok);
    const back = decode(r.value);
    assert.ok(back.ok);
    assert.deepEqual(back.value, value);
  });

  it('reproduces canonical input bytes exactly after a decode', () => {
    const text = 'd8:announce3:url4:infod6:lengthi-5e4:name1:x5:pathsl1:a1:bee1:zi0ee';
    const d = decode(b(text));
    assert.ok(d.ok);
    assert.equal(enc(d.value), text);
  });

  it('gives the same bytes for a map and an equivalent plain object', () => {
    const m = new Map<string, BEncodable>([
      ['b', [1, 2]],
      ['a', 'x'],
    ]);
    assert.equal(enc(m), enc({ b: [1, 2], a: 'x' }));
  });
});
