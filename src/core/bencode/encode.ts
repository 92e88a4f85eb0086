import { binaryToBytes, bytesToBinary, utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import type { BEncodable } from './types.js';

const ascii = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
};

class Unencodable {
  constructor(readonly message: string) {}
}

/** Appends byte chunks, then joins them once. */
class Sink {
  readonly parts: Uint8Array[] = [];
  length = 0;
  push(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }
  join(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const writeBytes = (sink: Sink, bytes: Uint8Array): void => {
  sink.push(ascii(`${bytes.length}:`));
  sink.push(bytes);
};

/** Dictionary entries with keys as binary strings, sorted in byte order (canonical form). */
const dictEntries = (value: BEncodable): Array<[string, BEncodable]> => {
  const entries: Array<[string, BEncodable]> = [];
  if (value instanceof Map) {
    for (const [k, v] of value as ReadonlyMap<string, BEncodable>) {
      // Map keys are binary strings (one char per byte); a char above 0xff would be truncated
      // by binaryToBytes into a wrong, possibly duplicate or unsorted, key.
      if (/[\u0100-\uffff]/.test(k)) throw new Unencodable('dictionary key is not a binary string');
      entries.push([k, v]);
    }
  } else {
    // Plain objects: keys are text, encoded as UTF-8; undefined members are left out.
    for (const [k, v] of Object.entries(value as Record<string, BEncodable | undefined>)) {
      if (v !== undefined) entries.push([bytesToBinary(utf8(k)), v]);
    }
  }
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
};

const writeValue = (sink: Sink, value: BEncodable, depth: number): void => {
  if (depth > 512) throw new Unencodable('value nested too deeply');
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Unencodable(`${value} is not a safe integer`);
    sink.push(ascii(`i${value}e`));
  } else if (typeof value === 'bigint') {
    sink.push(ascii(`i${value}e`));
  } else if (typeof value === 'string') {
    writeBytes(sink, utf8(value));
  } else if (value instanceof Uint8Array) {
    writeBytes(sink, value);
  } else if (Array.isArray(value)) {
    sink.push(ascii('l'));
    for (const item of value as readonly BEncodable[]) writeValue(sink, item, depth + 1);
    sink.push(ascii('e'));
  } else if (typeof value === 'object' && value !== null) {
    sink.push(ascii('d'));
    let last: string | undefined;
    for (const [k, v] of dictEntries(value)) {
      if (k === last) throw new Unencodable('duplicate dictionary key');
      last = k;
      writeBytes(sink, binaryToBytes(k));
      writeValue(sink, v, depth + 1);
    }
    sink.push(ascii('e'));
  } else {
    throw new Unencodable(`cannot encode a value of type ${typeof value}`);
  }
};

/** Canonical bencode: dictionary keys sorted by their bytes, integers in shortest form. */
export const encode = (value: BEncodable): Result<Uint8Array, ErrorValue> => {
  const sink = new Sink();
  try {
    writeValue(sink, value, 0);
  } catch (e) {
    if (e instanceof Unencodable) return err({ code: 'BENCODE_UNENCODABLE', message: e.message });
    throw e;
  }
  return ok(sink.join());
};
