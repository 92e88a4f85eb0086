import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decode, decodePrefix, rawBytes } from '../../src/core/bencode/decode.js';
import { encode } from '../../src/core/bencode/encode.js';
import {
  type BEncodable,
  type BencodeLimits,
  type BValue,
  DEFAULT_BENCODE_LIMITS,
  isDict,
  isList,
} from '../../src/core/bencode/types.js';
import { binaryToBytes, bytesToBinary, equalBytes } from '../../src/lib/bytes.js';
import type { ErrorCode, ErrorValue } from '../../src/lib/errors.js';
import type { Result } from '../../src/lib/result.js';

// Compiled to dist/test/fuzz/, so the repository root is three levels up.
const CORPUS = new URL('../../../test/fixtures/bencode-hostile/', import.meta.url);

type Expectation = { readonly code: ErrorCode; readonly offset: number } | { readonly ok: true };

/** What decode must answer for each file of the hostile corpus, by file name. */
const EXPECTED: Readonly<Record<string, Expectation>> = {
  'empty.bencode': { code: 'BENCODE_TRUNCATED', offset: 0 },
  'truncated-integer.bencode': { code: 'BENCODE_TRUNCATED', offset: 0 },
  'truncated-integer-sign.bencode': { code: 'BENCODE_TRUNCATED', offset: 0 },
  'truncated-string-length.bencode': { code: 'BENCODE_TRUNCATED', offset: 0 },
  'truncated-string-data.bencode': { code: 'BENCODE_TRUNCATED', offset: 0 },
  'truncated-list.bencode': { code: 'BENCODE_TRUNCATED', offset: 4 },
  'truncated-dict-after-key.bencode': { code: 'BENCODE_TRUNCATED', offset: 6 },
  'truncated-dict-after-value.bencode': { code: 'BENCODE_TRUNCATED', offset: 9 },
  'huge-length-99999999999.bencode': { code: 'BENCODE_TOO_LARGE', offset: 0 },
  'huge-length-in-dict-value.bencode': { code: 'BENCODE_TOO_LARGE', offset: 7 },
  'huge-length-17-digits.bencode': { code: 'BENCODE_BAD_LENGTH', offset: 0 },
  'huge-length-one-over-limit.bencode': { code: 'BENCODE_TOO_LARGE', offset: 0 },
  'length-past-end.bencode': { code: 'BENCODE_TRUNCATED', offset: 0 },
  'deep-128-lists.bencode': { ok: true },
  'deep-129-lists.bencode': { code: 'BENCODE_TOO_DEEP', offset: 128 },
  'deep-129-dicts.bencode': { code: 'BENCODE_TOO_DEEP', offset: 128 * 4 },
  'trailing-garbage.bencode': { code: 'BENCODE_TRAILING_DATA', offset: 3 },
  'trailing-second-value.bencode': { code: 'BENCODE_TRAILING_DATA', offset: 2 },
  'trailing-newline.bencode': { code: 'BENCODE_TRAILING_DATA', offset: 2 },
  'trailing-nul.bencode': { code: 'BENCODE_TRAILING_DATA', offset: 2 },
  'int-exponent-notation.bencode': { code: 'BENCODE_TRAILING_DATA', offset: 3 },
  'unsorted-keys.bencode': { code: 'BENCODE_UNSORTED_KEYS', offset: 7 },
  'unsorted-keys-prefix-after-longer.bencode': { code: 'BENCODE_UNSORTED_KEYS', offset: 8 },
  'unsorted-keys-ascii-after-high-byte.bencode': { code: 'BENCODE_UNSORTED_KEYS', offset: 7 },
  'unsorted-keys-nested-info.bencode': { code: 'BENCODE_UNSORTED_KEYS', offset: 17 },
  'duplicate-keys.bencode': { code: 'BENCODE_DUPLICATE_KEY', offset: 7 },
  'duplicate-empty-keys.bencode': { code: 'BENCODE_DUPLICATE_KEY', offset: 6 },
  'duplicate-key-after-other-key.bencode': { code: 'BENCODE_UNSORTED_KEYS', offset: 13 },
  'int-leading-zero.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 0 },
  'int-negative-zero.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 0 },
  'int-negative-leading-zero.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 0 },
  'int-empty.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 0 },
  'int-minus-only.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 0 },
  'int-plus-sign.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 1 },
  'int-double-minus.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 2 },
  'int-fraction.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 2 },
  'int-hex.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 2 },
  'int-space.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 1 },
  'int-64-digits.bencode': { ok: true },
  'int-65-digits.bencode': { code: 'BENCODE_BAD_INTEGER', offset: 0 },
  'int-2pow64.bencode': { ok: true },
  'int-below-min-safe.bencode': { ok: true },
  'str-length-leading-zero.bencode': { code: 'BENCODE_BAD_LENGTH', offset: 0 },
  'str-length-negative.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 0 },
  'str-length-space.bencode': { code: 'BENCODE_BAD_LENGTH', offset: 1 },
  'str-length-missing-colon.bencode': { code: 'BENCODE_BAD_LENGTH', offset: 1 },
  'key-integer.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 1 },
  'key-list.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 1 },
  'key-dict.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 1 },
  'key-without-value.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 4 },
  'stray-end.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 0 },
  'unknown-type-byte.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 0 },
  'list-stray-colon.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 1 },
  'utf8-bom.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 0 },
  'json-object.bencode': { code: 'BENCODE_UNEXPECTED_BYTE', offset: 0 },
};

/** One byte per char (latin1), so tests can spell exact bytes. */
const b = (text: string): Uint8Array => binaryToBytes(text);

const readFixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(name, CORPUS)));

const assertError = (
  r: Result<unknown, ErrorValue>,
  code: ErrorCode,
  offset: number | undefined,
): void => {
  if (r.ok) assert.fail(`expected ${code}, got a value`);
  assert.equal(typeof r.error.offset, 'number');
  if (offset === undefined) assert.equal(r.error.code, code);
  else assert.deepEqual({ code: r.error.code, offset: r.error.offset }, { code, offset });
};

/** Runs `fn` and fails if it took longer than `ms`: hostile input must not be slow. */
const within = <T>(ms: number, fn: () => T): T => {
  const start = performance.now();
  const out = fn();
  const took = performance.now() - start;
  assert.ok(took < ms, `took ${took.toFixed(1)} ms, limit ${ms} ms`);
  return out;
};

/** Nesting depth of a decoded value, walked without recursion. */
const depthOf = (root: BValue): number => {
  let deepest = 0;
  const todo: Array<[BValue, number]> = [[root, 0]];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    const [v, d] = next;
    if (isList(v)) for (const item of v) todo.push([item, d + 1]);
    else if (isDict(v)) for (const item of v.values()) todo.push([item, d + 1]);
    if ((isList(v) || isDict(v)) && d + 1 > deepest) deepest = d + 1;
  }
  return deepest;
};

const DEEP = 100_000;

/** A torrent-like value with every kind of bencode value in it. */
const torrentLike: BEncodable = new Map<string, BEncodable>([
  ['announce', 'http://tracker.example/announce'],
  ['announce-list', [['udp://a.example:6969'], ['udp://b.example:6969']]],
  ['creation date', 1_700_000_000],
  [
    'info',
    new Map<string, BEncodable>([
      [
        'files',
        [
          { length: 2n ** 60n, path: ['film', 'part1.mkv'] },
          { length: -0, path: ['empty'] },
        ],
      ],
      ['name', 'film'],
      ['piece length', 262_144],
      ['pieces', new Uint8Array(40).map((_, i) => (i * 37) & 0xff)],
    ]),
  ],
]);

const encodedTorrent = (): Uint8Array => {
  const r = encode(torrentLike);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
};

describe('bencode hostile corpus', () => {
  const files = readdirSync(CORPUS).sort();

  it('has an expectation for every file and a file for every expectation', () => {
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
  });

  for (const name of files) {
    const expected = EXPECTED[name];
    if (expected === undefined) continue;
    const what = 'ok' in expected ? 'accepts' : `refuses with ${expected.code}`;
    it(`${what}: ${name}`, () => {
      const input = readFixture(name);
      const r = within(200, () => decode(input));
      if ('ok' in expected) {
        if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
        const again = encode(r.value);
        assert.ok(again.ok && equalBytes(again.value, input), 'does not re-encode to itself');
      } else {
        assertError(r, expected.code, expected.offset);
      }
    });
  }
});

describe('bencode hostile: truncation', () => {
  it('refuses the encoding cut at every byte position as truncated', () => {
    const whole = encodedTorrent();
    for (let cut = 0; cut < whole.length; cut++) {
      const r = decode(whole.subarray(0, cut));
      if (r.ok) assert.fail(`prefix of ${cut} bytes was accepted`);
      assert.equal(r.error.code, 'BENCODE_TRUNCATED', `cut at ${cut}`);
      assert.ok((r.error.offset as number) <= cut, `offset ${r.error.offset} past cut ${cut}`);
    }
  });

  it('refuses every cut as truncated through decodePrefix too, at absolute offsets', () => {
    const whole = encodedTorrent();
    const padded = new Uint8Array(whole.length + 3);
    padded.set(whole, 3);
    for (let cut = 3; cut < padded.length; cut++) {
      const r = decodePrefix(padded.subarray(0, cut), 3);
      if (r.ok) assert.fail(`prefix of ${cut} bytes was accepted`);
      assert.equal(r.error.code, 'BENCODE_TRUNCATED');
      const offset = r.error.offset as number;
      assert.ok(offset >= 3 && offset <= cut, `offset ${offset} for cut ${cut}`);
    }
  });

  it('points a cut inside a container at the end of the input', () => {
    // 'd', '8:announce', then the input stops where a value should start.
    assertError(decode(b('d8:announce')), 'BENCODE_TRUNCATED', 11);
  });

  it('points a cut inside a string or integer at the start of that value', () => {
    assertError(decode(b('l4:spa')), 'BENCODE_TRUNCATED', 1);
    assertError(decode(b('li123')), 'BENCODE_TRUNCATED', 1);
    assertError(decode(b('l12')), 'BENCODE_TRUNCATED', 1);
  });
});

describe('bencode hostile: huge declared lengths', () => {
  it('refuses a length beyond the string limit without allocating it', () => {
    assertError(
      within(50, () => decode(b('99999999999:abc'))),
      'BENCODE_TOO_LARGE',
      0,
    );
  });

  it('refuses a huge length as truncated when the string limit is lifted', () => {
    const limits = { maxString: Number.MAX_SAFE_INTEGER };
    assertError(decode(b('99999999999:abc'), limits), 'BENCODE_TRUNCATED', 0);
    assertError(decode(b('9007199254740991:abc'), limits), 'BENCODE_TRUNCATED', 0);
  });

  it('refuses a length prefix of more than 16 digits even with no string limit', () => {
    const limits = { maxString: Number.POSITIVE_INFINITY };
    assertError(decode(b(`${'9'.repeat(17)}:abc`), limits), 'BENCODE_BAD_LENGTH', 0);
    assertError(decode(b(`${'9'.repeat(1000)}:abc`), limits), 'BENCODE_BAD_LENGTH', 0);
  });

  it('refuses a huge length hidden as a dictionary key', () => {
    assertError(decode(b('d99999999999:ae')), 'BENCODE_TOO_LARGE', 1);
  });
});

describe('bencode hostile: deep nesting', () => {
  it(`refuses ${DEEP} nested lists quickly with BENCODE_TOO_DEEP`, () => {
    const input = b(`${'l'.repeat(DEEP)}${'e'.repeat(DEEP)}`);
    const r = within(500, () => decode(input));
    assertError(r, 'BENCODE_TOO_DEEP', DEFAULT_BENCODE_LIMITS.maxDepth);
  });

  it(`refuses ${DEEP} nested dictionaries quickly with BENCODE_TOO_DEEP`, () => {
    const input = b(`${'d1:a'.repeat(DEEP)}i0e${'e'.repeat(DEEP)}`);
    const r = within(500, () => decode(input));
    assertError(r, 'BENCODE_TOO_DEEP', DEFAULT_BENCODE_LIMITS.maxDepth * 4);
  });

  it(`refuses ${DEEP} alternating lists and dictionaries with BENCODE_TOO_DEEP`, () => {
    const input = b(`${'ld1:a'.repeat(DEEP / 2)}le${'ee'.repeat(DEEP / 2)}`);
    const r = within(500, () => decode(input));
    // Each 'ld1:a' opens two levels in five bytes; level 129 is the list of pair 65.
    assertError(r, 'BENCODE_TOO_DEEP', (DEFAULT_BENCODE_LIMITS.maxDepth / 2) * 5);
  });

  it(`refuses ${DEEP} unclosed lists with BENCODE_TOO_DEEP, not truncation`, () => {
    const r = within(500, () => decode(b('l'.repeat(DEEP))));
    assertError(r, 'BENCODE_TOO_DEEP', DEFAULT_BENCODE_LIMITS.maxDepth);
  });

  it(`decodes ${DEEP} nested lists without overflowing the stack when allowed`, () => {
    const input = b(`${'l'.repeat(DEEP)}${'e'.repeat(DEEP)}`);
    const r = within(3000, () => decode(input, { maxDepth: DEEP }));
    if (!r.ok) assert.fail(r.error.message);
    assert.equal(depthOf(r.value), DEEP);
    assert.ok(isList(r.value));
    assert.equal(rawBytes(r.value)?.length, input.length);
  });

  it(`decodes ${DEEP} nested dictionaries without overflowing the stack when allowed`, () => {
    const input = b(`${'d1:a'.repeat(DEEP)}i0e${'e'.repeat(DEEP)}`);
    const r = within(3000, () => decode(input, { maxDepth: DEEP }));
    if (!r.ok) assert.fail(r.error.message);
    assert.equal(depthOf(r.value), DEEP);
  });

  it(`refuses ${DEEP} unclosed lists as truncated when the depth is allowed`, () => {
    const r = decode(b('l'.repeat(DEEP)), { maxDepth: DEEP });
    assertError(r, 'BENCODE_TRUNCATED', DEEP);
  });

  it('decodes a very wide list in linear time', () => {
    const input = b(`l${'i1e'.repeat(DEEP)}${'le'.repeat(DEEP)}e`);
    const r = within(3000, () => decode(input));
    if (!r.ok) assert.fail(r.error.message);
    assert.ok(isList(r.value));
    assert.equal(r.value.length, 2 * DEEP);
  });

  it('decodes a dictionary with many sorted keys in linear time', () => {
    const keys = Array.from({ length: DEEP }, (_, i) => String(i).padStart(6, '0'));
    const input = b(`d${keys.map((k) => `6:${k}0:`).join('')}e`);
    const r = within(3000, () => decode(input));
    if (!r.ok) assert.fail(r.error.message);
    assert.ok(isDict(r.value));
    assert.equal(r.value.size, DEEP);
  });
});

describe('bencode hostile: trailing garbage', () => {
  it('refuses bytes after a complete top-level value, pointing at the first', () => {
    assertError(decode(b('d4:name4:filmegarbage')), 'BENCODE_TRAILING_DATA', 14);
    assertError(decode(b('i1ei2e')), 'BENCODE_TRAILING_DATA', 3);
    assertError(decode(b('le ')), 'BENCODE_TRAILING_DATA', 2);
  });

  it('refuses an invalid trailing value as trailing data, since decoding stops before it', () => {
    assertError(decode(b('lei03e')), 'BENCODE_TRAILING_DATA', 2);
  });

  it('lets decodePrefix hand the trailing bytes back instead', () => {
    const r = decodePrefix(b('d4:name4:filmegarbage'));
    assert.ok(r.ok);
    assert.equal(r.value.end, 14);
  });
});

describe('bencode hostile: non-canonical forms', () => {
  const cases: ReadonlyArray<readonly [string, string, ErrorCode, number]> = [
    ['unsorted keys', 'd1:bi0e1:ai0ee', 'BENCODE_UNSORTED_KEYS', 7],
    ['duplicate keys', 'd1:ai0e1:ai0ee', 'BENCODE_DUPLICATE_KEY', 7],
    ['leading zero', 'i03e', 'BENCODE_BAD_INTEGER', 0],
    ['-0', 'i-0e', 'BENCODE_BAD_INTEGER', 0],
    ['leading zero in a length', '03:abc', 'BENCODE_BAD_LENGTH', 0],
    ['empty integer', 'ie', 'BENCODE_BAD_INTEGER', 0],
    ['integer of only a sign', 'i-e', 'BENCODE_BAD_INTEGER', 0],
  ];
  for (const [what, text, code, offset] of cases) {
    it(`refuses ${what}, also deep inside a torrent`, () => {
      assertError(decode(b(text)), code, offset);
      // Wrapped as the value of 'info' in a list: prefix 'l' + 'd4:info' is 8 bytes.
      assertError(decode(b(`ld4:info${text}ee`)), code, offset + 8);
    });
  }
});

describe('bencode hostile: non-string dictionary keys', () => {
  for (const [what, key] of [
    ['an integer', 'i1e'],
    ['a list', 'le'],
    ['a dictionary', 'de'],
    ['a negative length', '-1:a'],
  ] as const) {
    it(`refuses ${what} as a key`, () => {
      assertError(decode(b(`d${key}i0ee`)), 'BENCODE_UNEXPECTED_BYTE', 1);
      assertError(decode(b(`d1:ai0e${key}i0ee`)), 'BENCODE_UNEXPECTED_BYTE', 7);
    });
  }
});

describe('bencode hostile: integers beyond the safe range', () => {
  const big = [
    2n ** 53n,
    -(2n ** 53n),
    2n ** 63n - 1n,
    -(2n ** 63n),
    2n ** 64n,
    10n ** 63n,
    -(10n ** 64n - 1n),
  ];

  it('decodes them as BigInt and re-encodes them to the same bytes', () => {
    for (const n of big) {
      const input = b(`i${n}e`);
      const r = decode(input);
      if (!r.ok) assert.fail(`${n}: ${r.error.code}`);
      assert.equal(r.value, n);
      const again = encode(r.value);
      assert.ok(again.ok && equalBytes(again.value, input));
    }
  });

  it('decodes safe integers written with 16 digits as numbers', () => {
    const r = decode(b('i-9007199254740991e'));
    assert.ok(r.ok);
    assert.equal(typeof r.value, 'number');
  });

  it('refuses more digits than the limit, quickly, however many there are', () => {
    assertError(decode(b(`i${'9'.repeat(65)}e`)), 'BENCODE_BAD_INTEGER', 0);
    const huge = b(`i${'9'.repeat(1_000_000)}e`);
    assertError(
      within(200, () => decode(huge)),
      'BENCODE_BAD_INTEGER',
      0,
    );
  });

  it('refuses a long run of digits without its e as truncated, quickly', () => {
    const huge = b(`i${'9'.repeat(1_000_000)}`);
    assertError(
      within(200, () => decode(huge)),
      'BENCODE_TRUNCATED',
      0,
    );
  });

  it('applies a custom digit limit to the digits, not the sign', () => {
    const limits: Partial<BencodeLimits> = { maxIntegerDigits: 20 };
    assert.ok(decode(b(`i-${'9'.repeat(20)}e`), limits).ok);
    assertError(decode(b(`i-${'9'.repeat(21)}e`), limits), 'BENCODE_BAD_INTEGER', 0);
  });
});

describe('bencode hostile: size limits', () => {
  it('refuses input over the default size limit before looking at it', () => {
    const input = new Uint8Array(DEFAULT_BENCODE_LIMITS.maxInput + 1);
    assertError(
      within(50, () => decode(input)),
      'BENCODE_TOO_LARGE',
      0,
    );
  });

  it('refuses input over a custom size limit, and accepts input exactly at it', () => {
    assertError(decode(b('4:spam'), { maxInput: 5 }), 'BENCODE_TOO_LARGE', 0);
    assert.ok(decode(b('4:spam'), { maxInput: 6 }).ok);
  });

  it('refuses a string over a custom limit, and accepts one exactly at it', () => {
    assertError(decode(b('d4:name5:filmse'), { maxString: 4 }), 'BENCODE_TOO_LARGE', 7);
    assert.ok(decode(b('d4:name4:filme'), { maxString: 4 }).ok);
  });

  it('applies the string limit to dictionary keys too', () => {
    assertError(decode(b('d5:namesi0ee'), { maxString: 4 }), 'BENCODE_TOO_LARGE', 1);
  });

  it('decodes a large string as a view, without copying it', () => {
    const size = 1_000_000;
    const input = new Uint8Array(size + 8);
    input.set(b(`${size}:`));
    const r = decode(input);
    if (!r.ok) assert.fail(r.error.message);
    assert.ok(r.value instanceof Uint8Array);
    assert.equal(r.value.buffer, input.buffer);
    assert.equal(r.value.length, size);
  });
});

describe('bencode hostile: raw bytes of the info dictionary', () => {
  it('returns the exact original bytes of info, as a view of the input', () => {
    const input = encodedTorrent();
    const r = decode(input);
    if (!r.ok || !isDict(r.value)) assert.fail('expected a dictionary');
    const info = r.value.get('info');
    assert.ok(isDict(info));
    const raw = rawBytes(info);
    assert.ok(raw !== undefined);
    assert.equal(raw.buffer, input.buffer);
    const text = bytesToBinary(input);
    const start = text.indexOf('4:infod') + '4:info'.length;
    assert.equal(raw.byteOffset, start);
    assert.equal(bytesToBinary(raw), text.slice(start, text.length - 1));
  });

  it('keeps the raw bytes pointing at the input, so changing the input shows through', () => {
    const input = encodedTorrent();
    const r = decode(input);
    if (!r.ok || !isDict(r.value)) assert.fail('expected a dictionary');
    const info = r.value.get('info');
    assert.ok(isDict(info));
    const raw = rawBytes(info);
    assert.ok(raw !== undefined);
    const before = raw[raw.length - 2];
    input[raw.byteOffset + raw.length - 2] = 0x21;
    assert.equal(raw[raw.length - 2], 0x21);
    assert.notEqual(before, 0x21);
  });
});
