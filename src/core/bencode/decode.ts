import { bytesToBinary } from '../../lib/bytes.js';
import type { ErrorCode, ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import {
  type BDict,
  type BencodeLimits,
  type BList,
  type BValue,
  DEFAULT_BENCODE_LIMITS,
} from './types.js';

const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_D = 0x64;
const CH_E = 0x65;
const CH_I = 0x69;
const CH_L = 0x6c;

/** Exact input bytes of every decoded list and dictionary, as zero-copy views. */
const rawSpans = new WeakMap<object, Uint8Array>();

/**
 * The exact bytes a decoded list or dictionary came from. The info-hash must be taken over
 * these, never over a re-encoding (BEP 3).
 */
export const rawBytes = (value: BList | BDict): Uint8Array | undefined => rawSpans.get(value);

type Frame =
  | { readonly kind: 'list'; readonly value: BList; readonly start: number }
  | {
      readonly kind: 'dict';
      readonly value: BDict;
      readonly start: number;
      key: string | undefined;
      lastKey: string | undefined;
    };

class DecodeFailure {
  constructor(readonly error: ErrorValue) {}
}

function fail(code: ErrorCode, message: string, offset: number): never {
  throw new DecodeFailure({ code, message: `${message} at byte ${offset}`, offset });
}

/** Strict, canonical, bounded decoder. Iterative, so nesting cannot overflow the stack. */
class Decoder {
  pos: number;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly input: Uint8Array,
    start: number,
    private readonly limits: BencodeLimits,
  ) {
    this.pos = start;
  }

  run(): BValue {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top !== undefined && this.peek() === CH_E) {
        const done = this.close();
        if (this.stack.length === 0) return done;
        this.attach(done);
        continue;
      }
      if (top?.kind === 'dict' && top.key === undefined) {
        this.readKey(top);
        continue;
      }
      const value = this.readValueOrOpen();
      if (value === undefined) continue; // a container was opened
      if (this.stack.length === 0) return value;
      this.attach(value);
    }
  }

  private peek(): number {
    const b = this.input[this.pos];
    if (b === undefined) fail('BENCODE_TRUNCATED', 'input ends inside a value', this.pos);
    return b as number;
  }

  private close(): BList | BDict {
    const frame = this.stack.pop() as Frame;
    if (frame.kind === 'dict' && frame.key !== undefined) {
      fail('BENCODE_UNEXPECTED_BYTE', 'dictionary ends after a key without its value', this.pos);
    }
    this.pos++;
    rawSpans.set(frame.value, this.input.subarray(frame.start, this.pos));
    return frame.value;
  }

  private attach(value: BValue): void {
    const top = this.stack[this.stack.length - 1] as Frame;
    if (top.kind === 'list') {
      top.value.push(value);
    } else {
      top.value.set(top.key as string, value);
      top.lastKey = top.key;
      top.key = undefined;
    }
  }

  private readKey(frame: Frame & { kind: 'dict' }): void {
    const at = this.pos;
    const b = this.peek();
    if (b < CH_0 || b > CH_9) fail('BENCODE_UNEXPECTED_BYTE', 'dictionary key is not a string', at);
    const key = bytesToBinary(this.readString());
    if (frame.lastKey !== undefined) {
      if (key === frame.lastKey) fail('BENCODE_DUPLICATE_KEY', 'duplicate dictionary key', at);
      if (key < frame.lastKey && this.limits.requireSortedKeys) {
        fail('BENCODE_UNSORTED_KEYS', 'dictionary keys not sorted', at);
      }
      // Keys out of order may be tolerated, a key seen before never is.
      if (!this.limits.requireSortedKeys && frame.value.has(key)) {
        fail('BENCODE_DUPLICATE_KEY', 'duplicate dictionary key', at);
      }
    }
    frame.key = key;
  }

  private readValueOrOpen(): BValue | undefined {
    const b = this.peek();
    if (b === CH_I) return this.readInteger();
    if (b >= CH_0 && b <= CH_9) return this.readString();
    if (b === CH_L || b === CH_D) {
      if (this.stack.length >= this.limits.maxDepth) {
        fail('BENCODE_TOO_DEEP', `nesting deeper than ${this.limits.maxDepth}`, this.pos);
      }
      const start = this.pos++;
      this.stack.push(
        b === CH_L
          ? { kind: 'list', value: [], start }
          : { kind: 'dict', value: new Map(), start, key: undefined, lastKey: undefined },
      );
      return undefined;
    }
    return fail('BENCODE_UNEXPECTED_BYTE', `unexpected byte 0x${b.toString(16)}`, this.pos);
  }

  private readInteger(): number | bigint {
    const start = this.pos++;
    const end = this.input.indexOf(CH_E, this.pos);
    if (end < 0) fail('BENCODE_TRUNCATED', 'integer without its closing e', start);
    const digitsStart = this.input[this.pos] === CH_MINUS ? this.pos + 1 : this.pos;
    const digits = end - digitsStart;
    if (digits === 0) fail('BENCODE_BAD_INTEGER', 'empty integer', start);
    if (digits > this.limits.maxIntegerDigits)
      fail('BENCODE_BAD_INTEGER', 'integer too long', start);
    for (let i = digitsStart; i < end; i++) {
      const c = this.input[i] as number;
      if (c < CH_0 || c > CH_9) fail('BENCODE_BAD_INTEGER', 'non-digit in integer', i);
    }
    if (this.input[digitsStart] === CH_0 && (digits > 1 || digitsStart !== this.pos)) {
      fail('BENCODE_BAD_INTEGER', 'leading zero or -0 in integer', start);
    }
    const text = String.fromCharCode(...this.input.subarray(this.pos, end));
    this.pos = end + 1;
    if (digits <= 15) return Number(text);
    const big = BigInt(text);
    const safe = big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER);
    return safe ? Number(big) : big;
  }

  private readString(): Uint8Array {
    const start = this.pos;
    let length = 0;
    let i = this.pos;
    for (; ; i++) {
      const c = this.input[i];
      if (c === undefined) fail('BENCODE_TRUNCATED', 'string length without its colon', start);
      if (c === CH_COLON) break;
      if ((c as number) < CH_0 || (c as number) > CH_9) {
        fail('BENCODE_BAD_LENGTH', 'non-digit in string length', i);
      }
      if (i - start >= 16) fail('BENCODE_BAD_LENGTH', 'string length prefix too long', start);
      length = length * 10 + ((c as number) - CH_0);
    }
    if (i === start) fail('BENCODE_BAD_LENGTH', 'empty string length', start);
    if (this.input[start] === CH_0 && i - start > 1) {
      fail('BENCODE_BAD_LENGTH', 'leading zero in string length', start);
    }
    if (length > this.limits.maxString) {
      fail('BENCODE_TOO_LARGE', `string of ${length} bytes exceeds the limit`, start);
    }
    const dataStart = i + 1;
    if (dataStart + length > this.input.length) {
      fail('BENCODE_TRUNCATED', `string of ${length} bytes runs past the end of the input`, start);
    }
    this.pos = dataStart + length;
    return this.input.subarray(dataStart, this.pos);
  }
}

const runDecoder = (
  input: Uint8Array,
  start: number,
  limits: Partial<BencodeLimits> | undefined,
): Result<{ value: BValue; end: number }, ErrorValue> => {
  const l = { ...DEFAULT_BENCODE_LIMITS, ...limits };
  if (input.length > l.maxInput) {
    return err({
      code: 'BENCODE_TOO_LARGE',
      message: `input of ${input.length} bytes exceeds the limit of ${l.maxInput}`,
      offset: 0,
    });
  }
  const decoder = new Decoder(input, start, l);
  try {
    const value = decoder.run();
    return ok({ value, end: decoder.pos });
  } catch (e) {
    if (e instanceof DecodeFailure) return err(e.error);
    throw e;
  }
};

/** Decodes exactly one value that fills the whole input. */
export const decode = (
  input: Uint8Array,
  limits?: Partial<BencodeLimits>,
): Result<BValue, ErrorValue> => {
  const r = runDecoder(input, 0, limits);
  if (!r.ok) return r;
  if (r.value.end !== input.length) {
    return err({
      code: 'BENCODE_TRAILING_DATA',
      message: `${input.length - r.value.end} bytes after the value at byte ${r.value.end}`,
      offset: r.value.end,
    });
  }
  return ok(r.value.value);
};

/**
 * Decodes one value starting at `start` and says where it ends, for messages where bencode is
 * followed by raw bytes (BEP 9 ut_metadata data messages).
 */
export const decodePrefix = (
  input: Uint8Array,
  start = 0,
  limits?: Partial<BencodeLimits>,
): Result<{ value: BValue; end: number }, ErrorValue> => runDecoder(input, start, limits);
