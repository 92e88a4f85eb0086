import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binaryToBytes, bytesToBinary, concatBytes, equalBytes } from '../../lib/bytes.js';
import { ERROR_CATALOGUE, type ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import { decode, decodePrefix, rawBytes } from './decode.js';
import { encode } from './encode.js';
import { type BDict, type BEncodable, type BValue, isBytes, isDict, isList } from './types.js';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Integers in the form decode returns them: numbers when safe, BigInt only beyond. */
const integerArb: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.bigInt({ min: SAFE + 1n, max: 2n ** 200n }),
  fc.bigInt({ min: -(2n ** 200n), max: -SAFE - 1n }),
);

const bytesArb = fc.uint8Array({ maxLength: 24 });

/** Keys as binary strings over all 256 byte values, so high bytes test the sort order. */
const keyArb = fc.uint8Array({ maxLength: 6 }).map(bytesToBinary);

/** Values shaped exactly as decode returns them. */
const { value: bvalueArb } = fc.letrec<{ value: BValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    integerArb,
    bytesArb,
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(fc.tuple(keyArb, tie('value')), { selector: (e) => e[0], maxLength: 5 })
      .map((entries): BDict => new Map(entries)),
  ),
}));

/** Everything the encoder accepts, including text, plain objects and any Map key. */
const { value: encodableArb } = fc.letrec<{ value: BEncodable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    integerArb,
    fc.bigInt({ min: -SAFE, max: SAFE }),
    bytesArb,
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 4 }),
    fc
      .array(fc.tuple(fc.string({ unit: 'binary', maxLength: 4 }), tie('value')), { maxLength: 4 })
      .map((entries) => new Map(entries)),
  ),
}));

/** Bytes that mean something to the decoder, so random inputs get past the first byte. */
const SYNTAX = [...binaryToBytes('ilde0123456789:-')];
const syntaxByteArb = fc.oneof(fc.constantFrom(...SYNTAX), fc.integer({ min: 0, max: 255 }));

const encoded = (value: BEncodable): Uint8Array => {
  const r = encode(value);
  if (!r.ok) assert.fail(`could not encode: ${r.error.message}`);
  return r.value;
};

const BENCODE_CODES = new Set(
  Object.keys(ERROR_CATALOGUE).filter((code) => code.startsWith('BENCODE_')),
);

/**
 * What must hold for any input: a Result comes back; an error has a known code and an offset
 * inside the input; an accepted input is canonical, so it re-encodes to exactly itself.
 */
const assertWellBehaved = (input: Uint8Array, r: Result<BValue, ErrorValue>): void => {
  assert.equal(typeof r.ok, 'boolean');
  if (r.ok) {
    assert.ok(equalBytes(encoded(r.value), input), 'accepted input is not canonical');
    return;
  }
  assert.ok(BENCODE_CODES.has(r.error.code), `unknown code ${r.error.code}`);
  assert.equal(typeof r.error.offset, 'number');
  const offset = r.error.offset as number;
  assert.ok(Number.isInteger(offset) && offset >= 0 && offset <= input.length, `offset ${offset}`);
};

const depthOf = (v: BValue): number => {
  if (isList(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (isDict(v)) return 1 + Math.max(0, ...[...v.values()].map(depthOf));
  return 0;
};

/** Every list and dictionary inside a decoded value, outermost first. */
const containersOf = (v: BValue): Array<BValue[] | BDict> => {
  if (isList(v)) return [v, ...v.flatMap(containersOf)];
  if (isDict(v)) return [v, ...[...v.values()].flatMap(containersOf)];
  return [];
};

type Mutation = {
  readonly kind: 'set' | 'insert' | 'delete' | 'truncate' | 'duplicate' | 'swap';
  readonly at: number;
  readonly byte: number;
  readonly length: number;
};

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'insert', 'delete', 'truncate', 'duplicate', 'swap'),
  at: fc.nat(),
  byte: syntaxByteArb,
  length: fc.integer({ min: 1, max: 8 }),
});

const mutate = (input: Uint8Array, m: Mutation): Uint8Array => {
  const at = m.at % (input.length + 1);
  const head = input.subarray(0, at);
  const tail = input.subarray(at);
  switch (m.kind) {
    case 'set':
      return concatBytes([head, Uint8Array.of(m.byte), tail.subarray(1)]);
    case 'insert':
      return concatBytes([head, Uint8Array.of(m.byte), tail]);
    case 'delete':
      return concatBytes([head, tail.subarray(m.length)]);
    case 'truncate':
      return input.slice(0, at);
    case 'duplicate':
      return concatBytes([head, tail.subarray(0, m.length), tail]);
    case 'swap':
      return concatBytes([tail.subarray(0, m.length), head, tail.subarray(m.length)]);
  }
};

describe('bencode properties', () => {
  it('decodes every encoded value back to the same value', () => {
    fc.assert(
      fc.property(bvalueArb, (value) => {
        const r = decode(encoded(value));
        assert.ok(r.ok);
        assert.deepEqual(r.value, value);
      }),
      { numRuns: 500 },
    );
  });

  it('re-encodes canonical input to exactly the same bytes', () => {
    fc.assert(
      fc.property(bvalueArb, (value) => {
        const bytes = encoded(value);
        const r = decode(bytes);
        assert.ok(r.ok);
        assert.ok(equalBytes(encoded(r.value), bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('writes only canonical bencode, or refuses the value, for anything encodable', () => {
    fc.assert(
      fc.property(encodableArb, (value) => {
        const r = encode(value);
        if (!r.ok) {
          assert.equal(r.error.code, 'BENCODE_UNENCODABLE');
          return;
        }
        const back = decode(r.value);
        if (!back.ok) assert.fail(`${back.error.code} on ${bytesToBinary(r.value)}`);
        assert.ok(equalBytes(encoded(back.value), r.value));
      }),
      { numRuns: 500 },
    );
  });

  it('writes map keys of binary strings as exactly their bytes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 6 }), (keys) => {
        const d = decode(encoded(new Map(keys.map((k) => [k, 0]))));
        assert.ok(d.ok && isDict(d.value));
        assert.deepEqual([...d.value.keys()], [...keys].sort());
      }),
    );
  });

  it('never throws on random bytes, and accepts only canonical input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        assertWellBehaved(input, decode(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on random bencode-like bytes, and accepts only canonical input', () => {
    fc.assert(
      fc.property(fc.array(syntaxByteArb, { maxLength: 64 }), (bytes) => {
        const input = Uint8Array.from(bytes);
        assertWellBehaved(input, decode(input));
        assertWellBehaved(input, decode(input, { maxDepth: 2, maxString: 4, maxIntegerDigits: 3 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on random mutations of valid encodings', () => {
    fc.assert(
      fc.property(
        bvalueArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        (value, mutations) => {
          const input = mutations.reduce(mutate, encoded(value));
          assertWellBehaved(input, decode(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses every proper prefix of an encoding as truncated', () => {
    fc.assert(
      fc.property(bvalueArb, fc.nat(), (value, cut) => {
        const bytes = encoded(value);
        const prefix = bytes.subarray(0, cut % bytes.length);
        const r = decode(prefix);
        assert.ok(!r.ok);
        assert.equal(r.error.code, 'BENCODE_TRUNCATED');
        assert.ok((r.error.offset as number) <= prefix.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds the end of a value between arbitrary leading and trailing bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 16 }),
        bvalueArb,
        fc.uint8Array({ maxLength: 16 }),
        (lead, value, trail) => {
          const bytes = encoded(value);
          const input = concatBytes([lead, bytes, trail]);
          const r = decodePrefix(input, lead.length);
          assert.ok(r.ok);
          assert.equal(r.value.end, lead.length + bytes.length);
          assert.deepEqual(r.value.value, value);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reports trailing data at the end of the value', () => {
    fc.assert(
      fc.property(bvalueArb, fc.uint8Array({ minLength: 1, maxLength: 16 }), (value, trail) => {
        const bytes = encoded(value);
        const r = decode(concatBytes([bytes, trail]));
        assert.ok(!r.ok);
        assert.deepEqual(
          { code: r.error.code, offset: r.error.offset },
          { code: 'BENCODE_TRAILING_DATA', offset: bytes.length },
        );
      }),
    );
  });

  it('decodes consecutive values one after another with decodePrefix', () => {
    fc.assert(
      fc.property(fc.array(bvalueArb, { minLength: 1, maxLength: 5 }), (values) => {
        const input = concatBytes(values.map(encoded));
        const out: BValue[] = [];
        let at = 0;
        while (at < input.length) {
          const r = decodePrefix(input, at);
          assert.ok(r.ok);
          assert.ok(r.value.end > at);
          out.push(r.value.value);
          at = r.value.end;
        }
        assert.deepEqual(out, values);
      }),
    );
  });

  it('gives every decoded container its own exact bytes as a view of the input', () => {
    fc.assert(
      fc.property(bvalueArb, (value) => {
        const input = encoded(value);
        const r = decode(input);
        assert.ok(r.ok);
        for (const container of containersOf(r.value)) {
          const raw = rawBytes(container);
          assert.ok(raw !== undefined);
          assert.equal(raw.buffer, input.buffer);
          assert.ok(equalBytes(raw, encoded(container)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('accepts nesting up to the depth limit and refuses one level more', () => {
    fc.assert(
      fc.property(bvalueArb, (value) => {
        const input = encoded(value);
        const depth = depthOf(value);
        assert.ok(decode(input, { maxDepth: depth }).ok);
        if (depth > 0) {
          const r = decode(input, { maxDepth: depth - 1 });
          assert.ok(!r.ok);
          assert.equal(r.error.code, 'BENCODE_TOO_DEEP');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('returns byte strings that are views of the input', () => {
    fc.assert(
      fc.property(bytesArb, (data) => {
        const input = encoded(data);
        const r = decode(input);
        assert.ok(r.ok && isBytes(r.value));
        assert.equal(r.value.buffer, input.buffer);
        assert.equal(r.value.byteOffset + r.value.length, input.length);
      }),
    );
  });
});
