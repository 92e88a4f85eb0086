import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes } from '../../lib/bytes.js';
import type { ErrorCode } from '../../lib/errors.js';
import { decode, decodePrefix, rawBytes } from './decode.js';
import {
  type BDict,
  type BencodeLimits,
  type BList,
  type BValue,
  DEFAULT_BENCODE_LIMITS,
  isBytes,
  isDict,
  isList,
} from './types.js';

/** One byte per char (latin1), so tests can spell exact bytes. */
const b = (text: string): Uint8Array => binaryToBytes(text);

/** A bencoded byte string for ASCII text. */
const str = (text: string): string => `${text.length}:${text}`;

const decoded = (input: string | Uint8Array, limits?: Partial<BencodeLimits>): BValue => {
  const r = decode(typeof input === 'string' ? b(input) : input, limits);
  if (!r.ok) assert.fail(`expected a value, got ${r.error.code}: ${r.error.message}`);
  return r.value;
};

const refuses = (
  input: string | Uint8Array,
  code: ErrorCode,
  offset: number,
  limits?: Partial<BencodeLimits>,
): void => {
  const r = decode(typeof input === 'string' ? b(input) : input, limits);
  if (r.ok) assert.fail(`expected ${code}, got a value`);
  assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset });
};

const dictOf = (v: BValue | undefined): BDict => {
  assert.ok(isDict(v), 'expected a dictionary');
  return v;
};

const listOf = (v: BValue | undefined): BList => {
  assert.ok(isList(v), 'expected a list');
  return v;
};

describe('decode: integers', () => {
  it('decodes zero, positive and negative integers', () => {
    assert.equal(decoded('i0e'), 0);
    assert.equal(decoded('i42e'), 42);
    assert.equal(decoded('i-42e'), -42);
    assert.equal(decoded('i999999999999999e'), 999_999_999_999_999);
  });

  it('decodes integers at the edges of the safe range as numbers', () => {
    assert.equal(decoded('i9007199254740991e'), Number.MAX_SAFE_INTEGER);
    assert.equal(decoded('i-9007199254740991e'), Number.MIN_SAFE_INTEGER);
    assert.equal(decoded('i1000000000000000e'), 1e15);
  });

  it('decodes integers beyond the safe range as BigInt', () => {
    assert.equal(decoded('i9007199254740992e'), 9_007_199_254_740_992n);
    assert.equal(decoded('i-9007199254740992e'), -9_007_199_254_740_992n);
    assert.equal(decoded('i18446744073709551616e'), 2n ** 64n);
  });

  it('accepts as many digits as the limit allows', () => {
    assert.equal(decoded(`i${'9'.repeat(64)}e`), 10n ** 64n - 1n);
    assert.equal(decoded(`i-${'9'.repeat(64)}e`), -(10n ** 64n - 1n));
    assert.equal(decoded('i999e', { maxIntegerDigits: 3 }), 999);
    assert.equal(decoded('i-999e', { maxIntegerDigits: 3 }), -999);
  });

  it('refuses an integer with more digits than the limit', () => {
    refuses(`i${'9'.repeat(65)}e`, 'BENCODE_BAD_INTEGER', 0);
    refuses('i1000e', 'BENCODE_BAD_INTEGER', 0, { maxIntegerDigits: 3 });
    refuses('li1ei1000ee', 'BENCODE_BAD_INTEGER', 4, { maxIntegerDigits: 3 });
  });

  it('refuses leading zeros', () => {
    refuses('i03e', 'BENCODE_BAD_INTEGER', 0);
    refuses('i00e', 'BENCODE_BAD_INTEGER', 0);
    refuses('i-03e', 'BENCODE_BAD_INTEGER', 0);
  });

  it('refuses negative zero', () => {
    refuses('i-0e', 'BENCODE_BAD_INTEGER', 0);
  });

  it('refuses an empty integer', () => {
    refuses('ie', 'BENCODE_BAD_INTEGER', 0);
    refuses('i-e', 'BENCODE_BAD_INTEGER', 0);
  });

  it('refuses signs, points, spaces and letters, pointing at the bad byte', () => {
    refuses('i+1e', 'BENCODE_BAD_INTEGER', 1);
    refuses('i--1e', 'BENCODE_BAD_INTEGER', 2);
    refuses('i1-e', 'BENCODE_BAD_INTEGER', 2);
    refuses('i1.5e', 'BENCODE_BAD_INTEGER', 2);
    refuses('i 1e', 'BENCODE_BAD_INTEGER', 1);
    refuses('i1 e', 'BENCODE_BAD_INTEGER', 2);
    refuses('i0x1e', 'BENCODE_BAD_INTEGER', 2);
  });

  it('refuses an integer without its closing e', () => {
    refuses('i42', 'BENCODE_TRUNCATED', 0);
    refuses('i', 'BENCODE_TRUNCATED', 0);
    refuses('li1', 'BENCODE_TRUNCATED', 1);
  });

  it('reports the offset of a bad integer nested inside a list', () => {
    refuses('li1ei03ee', 'BENCODE_BAD_INTEGER', 4);
  });
});

describe('decode: byte strings', () => {
  it('decodes the empty string', () => {
    assert.deepEqual(decoded('0:'), new Uint8Array(0));
  });

  it('decodes a byte string', () => {
    assert.deepEqual(decoded('4:spam'), b('spam'));
  });

  it('keeps bytes that are not UTF-8', () => {
    assert.deepEqual(decoded('4:\x00\xff\x80\xfe'), b('\x00\xff\x80\xfe'));
  });

  it('does not read bencode syntax inside a byte string', () => {
    assert.deepEqual(decoded('5:i1e:e'), b('i1e:e'));
    assert.deepEqual(decoded('l2:ee1:de'), [b('ee'), b('d')]);
  });

  it('returns byte strings as views into the input, not copies', () => {
    const input = b('l3:abc2:dee');
    const [first, second] = listOf(decoded(input));
    assert.ok(isBytes(first) && isBytes(second));
    assert.equal(first.buffer, input.buffer);
    assert.equal(first.byteOffset, 3);
    assert.equal(second.byteOffset, 8);
  });

  it('decodes a string with a multi-digit length', () => {
    const data = 'x'.repeat(1000);
    assert.deepEqual(decoded(`1000:${data}`), b(data));
  });

  it('refuses a length with a leading zero', () => {
    refuses('03:abc', 'BENCODE_BAD_LENGTH', 0);
    refuses('00:', 'BENCODE_BAD_LENGTH', 0);
    refuses('l03:abce', 'BENCODE_BAD_LENGTH', 1);
  });

  it('refuses a non-digit in the length, pointing at it', () => {
    refuses('3x:abc', 'BENCODE_BAD_LENGTH', 1);
    refuses('3abc', 'BENCODE_BAD_LENGTH', 1);
    refuses('1 :a', 'BENCODE_BAD_LENGTH', 1);
  });

  it('refuses a negative length', () => {
    refuses('-1:a', 'BENCODE_UNEXPECTED_BYTE', 0);
  });

  it('refuses a length prefix of more than 16 digits', () => {
    refuses(`${'1'.repeat(17)}:a`, 'BENCODE_BAD_LENGTH', 0);
  });

  it('refuses a length without its colon', () => {
    refuses('5', 'BENCODE_TRUNCATED', 0);
    refuses('l12', 'BENCODE_TRUNCATED', 1);
  });

  it('refuses a string that runs past the end of the input', () => {
    refuses('5:abc', 'BENCODE_TRUNCATED', 0);
    refuses('li1e10:abce', 'BENCODE_TRUNCATED', 4);
  });

  it('refuses a string longer than the limit before reading its bytes', () => {
    refuses('4:abcd', 'BENCODE_TOO_LARGE', 0, { maxString: 3 });
    refuses('l4:abcde', 'BENCODE_TOO_LARGE', 1, { maxString: 3 });
    assert.deepEqual(decoded('3:abc', { maxString: 3 }), b('abc'));
  });

  it('refuses a huge declared length as too large, not as truncated', () => {
    refuses('99999999999:abc', 'BENCODE_TOO_LARGE', 0);
    refuses(`${DEFAULT_BENCODE_LIMITS.maxString + 1}:abc`, 'BENCODE_TOO_LARGE', 0);
  });
});

describe('decode: lists', () => {
  it('decodes the empty list', () => {
    assert.deepEqual(decoded('le'), []);
  });

  it('decodes items of every kind in order', () => {
    const v = decoded('li1e3:abclei-2ede1:ze');
    assert.deepEqual(v, [1, b('abc'), [], -2, new Map(), b('z')]);
  });

  it('decodes nested lists', () => {
    assert.deepEqual(decoded('lleli1eli2eeee'), [[], [1, [2]]]);
  });

  it('refuses a list without its end', () => {
    refuses('l', 'BENCODE_TRUNCATED', 1);
    refuses('li1e', 'BENCODE_TRUNCATED', 4);
    refuses('llel', 'BENCODE_TRUNCATED', 4);
  });

  it('refuses a byte that cannot start a value inside a list', () => {
    refuses('lxe', 'BENCODE_UNEXPECTED_BYTE', 1);
    refuses('li1e:e', 'BENCODE_UNEXPECTED_BYTE', 4);
  });
});

describe('decode: dictionaries', () => {
  it('decodes the empty dictionary', () => {
    assert.deepEqual(decoded('de'), new Map());
  });

  it('decodes keys as binary strings that read naturally', () => {
    const d = dictOf(decoded(`d${str('info')}d${str('name')}${str('film')}ee`));
    const info = dictOf(d.get('info'));
    assert.deepEqual(info.get('name'), b('film'));
  });

  it('keeps keys that are not UTF-8, one char per byte', () => {
    const d = dictOf(decoded('d2:\xff\xfei1ee'));
    assert.deepEqual([...d.keys()], ['\xff\xfe']);
  });

  it('keeps 32-byte binary keys such as BEP 52 pieces roots', () => {
    const root = Array.from({ length: 32 }, (_, i) => String.fromCharCode(255 - i)).join('');
    const d = dictOf(decoded(`d32:${root}0:e`));
    assert.deepEqual([...d.keys()], [root]);
  });

  it('accepts keys in byte order, shorter prefix first, high bytes last', () => {
    const d = dictOf(decoded('d0:i0e1:Ai0e1:ai0e2:abi0e1:bi0e1:\x80i0e1:\xffi0ee'));
    assert.deepEqual([...d.keys()], ['', 'A', 'a', 'ab', 'b', '\x80', '\xff']);
  });

  it('decodes nested dictionaries and lists as values', () => {
    const d = dictOf(decoded('d1:ad1:bli1eee1:clee'));
    assert.deepEqual(
      d,
      new Map<string, BValue>([
        ['a', new Map([['b', [1]]])],
        ['c', []],
      ]),
    );
  });

  it('refuses a dictionary with unsorted keys', () => {
    refuses('d1:bi1e1:ai2ee', 'BENCODE_UNSORTED_KEYS', 7);
  });

  it('refuses a key that sorts before the shorter key it extends', () => {
    refuses('d2:abi0e1:ai0ee', 'BENCODE_UNSORTED_KEYS', 8);
  });

  it('sorts keys by raw bytes, so ASCII after a high byte is unsorted', () => {
    refuses('d1:\x80i0e1:zi0ee', 'BENCODE_UNSORTED_KEYS', 7);
  });

  it('refuses unsorted keys in a nested dictionary, pointing at the inner key', () => {
    refuses('d4:infod1:bi0e1:ai0eee', 'BENCODE_UNSORTED_KEYS', 14);
  });

  it('refuses a dictionary with duplicate keys', () => {
    refuses('d1:ai1e1:ai2ee', 'BENCODE_DUPLICATE_KEY', 7);
    refuses('d0:i1e0:i2ee', 'BENCODE_DUPLICATE_KEY', 6);
  });

  it('refuses a key repeated after a later key', () => {
    refuses('d1:ai0e1:bi0e1:ai0ee', 'BENCODE_UNSORTED_KEYS', 13);
  });

  it('refuses keys that are not byte strings', () => {
    refuses('di1ei2ee', 'BENCODE_UNEXPECTED_BYTE', 1);
    refuses('dlei2ee', 'BENCODE_UNEXPECTED_BYTE', 1);
    refuses('ddei2ee', 'BENCODE_UNEXPECTED_BYTE', 1);
    refuses('d1:ai0ei1ei0ee', 'BENCODE_UNEXPECTED_BYTE', 7);
  });

  it('refuses a key without its value', () => {
    refuses('d1:ae', 'BENCODE_UNEXPECTED_BYTE', 4);
    refuses('d1:ai0e1:be', 'BENCODE_UNEXPECTED_BYTE', 10);
  });

  it('refuses a dictionary that ends after a key', () => {
    refuses('d1:a', 'BENCODE_TRUNCATED', 4);
    refuses('d', 'BENCODE_TRUNCATED', 1);
  });

  it('refuses a malformed key length', () => {
    refuses('d01:ai0ee', 'BENCODE_BAD_LENGTH', 1);
    refuses('d9:ae', 'BENCODE_TRUNCATED', 1);
  });
});

describe('decode: the whole input', () => {
  it('refuses empty input as truncated', () => {
    refuses('', 'BENCODE_TRUNCATED', 0);
  });

  it('refuses a stray end marker', () => {
    refuses('e', 'BENCODE_UNEXPECTED_BYTE', 0);
  });

  it('refuses a byte that cannot start a value, naming it', () => {
    const r = decode(b('x'));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BENCODE_UNEXPECTED_BYTE');
    assert.match(r.error.message, /0x78/);
  });

  it('says in the message at which byte it failed', () => {
    const r = decode(b('li1ei03ee'));
    assert.ok(!r.ok);
    assert.match(r.error.message, /at byte 4/);
  });

  it('refuses bytes after the value', () => {
    refuses('i1exyz', 'BENCODE_TRAILING_DATA', 3);
    refuses('dede', 'BENCODE_TRAILING_DATA', 2);
    refuses('3:abc\n', 'BENCODE_TRAILING_DATA', 5);
  });

  it('refuses input larger than the limit without reading it', () => {
    refuses('i100e', 'BENCODE_TOO_LARGE', 0, { maxInput: 4 });
    assert.equal(decoded('i10e', { maxInput: 4 }), 10);
  });

  it('decodes input that is a view into a larger buffer', () => {
    const whole = b('xxxli1eeyyy');
    assert.deepEqual(decoded(whole.subarray(3, 8)), [1]);
  });
});

describe('decode: nesting depth', () => {
  const lists = (n: number): string => `${'l'.repeat(n)}${'e'.repeat(n)}`;

  it('accepts nesting as deep as the default limit', () => {
    assert.ok(isList(decoded(lists(DEFAULT_BENCODE_LIMITS.maxDepth))));
  });

  it('refuses nesting one deeper than the limit, at the opening byte', () => {
    const depth = DEFAULT_BENCODE_LIMITS.maxDepth;
    refuses(lists(depth + 1), 'BENCODE_TOO_DEEP', depth);
  });

  it('counts lists and dictionaries together', () => {
    assert.ok(decode(b('ld1:aleee'), { maxDepth: 3 }).ok);
    refuses('ld1:aldeeee', 'BENCODE_TOO_DEEP', 6, { maxDepth: 3 });
  });

  it('applies a custom depth limit', () => {
    assert.ok(decode(b('llee'), { maxDepth: 2 }).ok);
    refuses('llleee', 'BENCODE_TOO_DEEP', 2, { maxDepth: 2 });
  });

  it('allows only scalars with a depth limit of zero', () => {
    assert.equal(decoded('i1e', { maxDepth: 0 }), 1);
    refuses('le', 'BENCODE_TOO_DEEP', 0, { maxDepth: 0 });
  });
});

describe('decodePrefix', () => {
  const head = `d${str('msg_type')}i1e${str('piece')}i0e${str('total_size')}i3ee`;

  it('decodes bencode followed by raw bytes and says where the value ends', () => {
    // BEP 9: a ut_metadata data message is a dictionary followed by the piece bytes.
    const input = b(`${head}xyz`);
    const r = decodePrefix(input);
    assert.ok(r.ok);
    assert.equal(r.value.end, head.length);
    assert.equal(dictOf(r.value.value).get('total_size'), 3);
    assert.deepEqual(input.subarray(r.value.end), b('xyz'));
  });

  it('returns the input length as the end of a value that fills the input', () => {
    const r = decodePrefix(b(head));
    assert.ok(r.ok);
    assert.equal(r.value.end, head.length);
  });

  it('starts at the given offset and reports an absolute end', () => {
    const r = decodePrefix(b('junki7ei8e'), 4);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { value: 7, end: 7 });
    const next = decodePrefix(b('junki7ei8e'), r.value.end);
    assert.ok(next.ok);
    assert.deepEqual(next.value, { value: 8, end: 10 });
  });

  it('reports errors at absolute offsets', () => {
    const r = decodePrefix(b('xxi03e'), 2);
    assert.ok(!r.ok);
    assert.deepEqual(
      { code: r.error.code, offset: r.error.offset },
      {
        code: 'BENCODE_BAD_INTEGER',
        offset: 2,
      },
    );
  });

  it('refuses a start at the end of the input as truncated', () => {
    const r = decodePrefix(b('abc'), 3);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BENCODE_TRUNCATED');
    assert.equal(r.error.offset, 3);
  });

  it('still applies the limits', () => {
    const r = decodePrefix(b('llleeexyz'), 0, { maxDepth: 2 });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BENCODE_TOO_DEEP');
    assert.equal(r.error.offset, 2);
  });
});

describe('rawBytes', () => {
  const pieces = Array.from({ length: 20 }, (_, i) => String.fromCharCode(i * 13)).join('');
  const infoText = `d${str('length')}i12345e${str('name')}${str('film.mkv')}${str('piece length')}i16384e${str('pieces')}20:${pieces}e`;
  const torrent = `d${str('announce')}${str('http://t.example/announce')}${str('comment')}${str('hi')}${str('info')}${infoText}${str('url-list')}lee`;

  it('returns the exact bytes of a nested info dictionary', () => {
    const input = b(torrent);
    const info = dictOf(dictOf(decoded(input)).get('info'));
    const raw = rawBytes(info);
    assert.ok(raw !== undefined);
    assert.deepEqual(raw, b(infoText));
  });

  it('returns a view on the same buffer at the right offset, not a copy', () => {
    const input = b(torrent);
    const info = dictOf(dictOf(decoded(input)).get('info'));
    const raw = rawBytes(info);
    assert.ok(raw !== undefined);
    assert.equal(raw.buffer, input.buffer);
    assert.equal(raw.byteOffset, torrent.indexOf(infoText));
    assert.equal(raw.length, infoText.length);
  });

  it('returns the right view when the input itself starts inside a larger buffer', () => {
    const whole = b(`garbage${torrent}more`);
    const input = whole.subarray(7, 7 + torrent.length);
    const info = dictOf(dictOf(decoded(input)).get('info'));
    const raw = rawBytes(info);
    assert.ok(raw !== undefined);
    assert.equal(raw.buffer, whole.buffer);
    assert.equal(raw.byteOffset, 7 + torrent.indexOf(infoText));
    assert.deepEqual(raw, b(infoText));
  });

  it('returns the whole input for the top-level dictionary', () => {
    const input = b(torrent);
    const raw = rawBytes(dictOf(decoded(input)));
    assert.ok(raw !== undefined);
    assert.equal(raw.byteOffset, 0);
    assert.equal(raw.length, input.length);
  });

  it('returns the bytes of nested lists', () => {
    const text = 'll1:ali1eee1:be';
    const outer = listOf(decoded(text));
    const inner = listOf(outer[0]);
    assert.deepEqual(rawBytes(inner), b('l1:ali1eee'));
    assert.deepEqual(rawBytes(listOf(inner[1])), b('li1ee'));
    assert.deepEqual(rawBytes(outer), b(text));
  });

  it('returns the bytes of a value decoded by decodePrefix', () => {
    const input = b(`xx${torrent}tail`);
    const r = decodePrefix(input, 2);
    assert.ok(r.ok);
    const info = dictOf(dictOf(r.value.value).get('info'));
    assert.equal(rawBytes(info)?.byteOffset, 2 + torrent.indexOf(infoText));
  });

  it('returns undefined for containers that were not decoded', () => {
    assert.equal(rawBytes(new Map()), undefined);
    assert.equal(rawBytes([]), undefined);
  });
});

describe('decode with requireSortedKeys off (peer messages)', () => {
  it('accepts keys out of order but still refuses a key twice', () => {
    const unsorted = new TextEncoder().encode('d1:bi1e1:ai2ee');
    const r = decode(unsorted, { requireSortedKeys: false });
    assert.ok(r.ok);
    const again = decode(new TextEncoder().encode('d1:bi1e1:ai2e1:bi3ee'), {
      requireSortedKeys: false,
    });
    assert.equal(again.ok ? undefined : again.error.code, 'BENCODE_DUPLICATE_KEY');
    assert.equal(
      (decode(unsorted) as { ok: false; error: { code: string } }).error.code,
      'BENCODE_UNSORTED_KEYS',
    );
  });
});
