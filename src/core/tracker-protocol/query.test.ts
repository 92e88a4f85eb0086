import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes } from '../../lib/bytes.js';
import { percentDecode, percentEncode, percentEncodeText, splitQuery } from './query.js';

describe('percentEncode', () => {
  it('encodes the 20-byte example of the BEP 3 tracker section byte by byte', () => {
    const hash = Uint8Array.of(
      0x12,
      0x34,
      0x56,
      0x78,
      0x9a,
      0xbc,
      0xde,
      0xf1,
      0x23,
      0x45,
      0x67,
      0x89,
      0xab,
      0xcd,
      0xef,
      0x12,
      0x34,
      0x56,
      0x78,
      0x9a,
    );
    assert.equal(percentEncode(hash), '%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A');
  });

  it('leaves unreserved characters as they are and escapes everything else', () => {
    assert.equal(percentEncode(binaryToBytes('aZ09-._~')), 'aZ09-._~');
    assert.equal(
      percentEncode(binaryToBytes('+ /?&=%#\x00\xff')),
      '%2B%20%2F%3F%26%3D%25%23%00%FF',
    );
  });

  it('encodes text as UTF-8', () => {
    assert.equal(percentEncodeText('é'), '%C3%A9');
  });
});

describe('percentDecode', () => {
  it('decodes escapes in either case and keeps other characters as bytes', () => {
    assert.deepEqual(
      percentDecode('%124Vx%9a%BC'),
      Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc),
    );
    assert.deepEqual(percentDecode(''), new Uint8Array(0));
  });

  it('reads "+" as a plus, not a space', () => {
    assert.deepEqual(percentDecode('a+b'), binaryToBytes('a+b'));
  });

  it('takes chars up to 0xff as one byte each', () => {
    assert.deepEqual(percentDecode('\xff\x80'), Uint8Array.of(0xff, 0x80));
  });

  it('refuses malformed escapes and chars that are not bytes', () => {
    for (const text of ['%', '%4', 'ab%4', '%G1', '%1G', '% 1', '%%', '\u0100', '€']) {
      assert.equal(percentDecode(text), undefined, text);
    }
  });
});

describe('splitQuery', () => {
  const pairs = (query: string): Array<[string, string]> => {
    const r = splitQuery(query, 100);
    if (!r.ok) assert.fail(r.error.message);
    return r.value.map((p) => [p.name, p.rawValue]);
  };

  it('splits name=value pairs in order, with or without the leading "?"', () => {
    assert.deepEqual(pairs('?a=1&b=%20&c'), [
      ['a', '1'],
      ['b', '%20'],
      ['c', ''],
    ]);
    assert.deepEqual(pairs('a=1'), [['a', '1']]);
  });

  it('skips empty segments', () => {
    assert.deepEqual(pairs('&&a=1&&'), [['a', '1']]);
    assert.deepEqual(pairs(''), []);
  });

  it('keeps "=" inside a value and decodes names', () => {
    assert.deepEqual(pairs('info%5Fhash=a=b'), [['info_hash', 'a=b']]);
  });

  it('refuses more parameters than the limit', () => {
    const r = splitQuery('a=1&b=2&c=3', 2);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'TRACKER_BAD_REQUEST');
  });

  it('refuses a name with a malformed escape', () => {
    const r = splitQuery('a%zz=1', 10);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'TRACKER_BAD_REQUEST');
  });
});
