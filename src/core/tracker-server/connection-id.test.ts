import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp } from '../tracker-protocol/address.js';
import { ConnectionIds } from './connection-id.js';
import { SipHash24 } from './siphash.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const ip = (text: string) => parseIp(text) ?? assert.fail(text);

const sip = (message: Uint8Array): string => {
  const out = new Uint32Array(2);
  new SipHash24(KEY).hash(message, out);
  return (
    (out[0] as number).toString(16).padStart(8, '0') +
    (out[1] as number).toString(16).padStart(8, '0')
  );
};

describe('SipHash-2-4', () => {
  it('matches the reference vectors (key 00..0f, message 00..n-1)', () => {
    const message = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
    assert.equal(sip(message(0)), '726fdb47dd0e0e31');
    assert.equal(sip(message(1)), '74f839c593dc67fd');
    // The example in the SipHash paper, appendix A.
    assert.equal(sip(message(15)), 'a129ca6149be45e5');
    assert.equal(sip(message(63)), '958a324ceb064572');
  });

  it('refuses a key that is not 16 bytes', () => {
    assert.throws(() => new SipHash24(new Uint8Array(8)), RangeError);
  });
});

describe('UDP connection ids (BEP 15, stateless)', () => {
  const ids = new ConnectionIds(KEY, 120_000);
  const a = ip('192.0.2.1');

  it('accepts an id in its own window and the next, not later', () => {
    const id = ids.issue(a, 6881, 1_000_000);
    assert.ok(ids.check(id, a, 6881, 1_000_000));
    assert.ok(ids.check(id, a, 6881, 1_000_000 + 120_000));
    assert.ok(!ids.check(id, a, 6881, 1_000_000 + 240_000));
    // Issued at the very end of a window: still good a full window later, then refused.
    const late = ids.issue(a, 6881, 120_000 * 10 - 1);
    assert.ok(ids.check(late, a, 6881, 120_000 * 11 - 1));
    assert.ok(!ids.check(late, a, 6881, 120_000 * 11));
  });

  it('binds the id to the address and the port', () => {
    const id = ids.issue(a, 6881, 5_000);
    assert.ok(!ids.check(id, ip('192.0.2.2'), 6881, 5_000));
    assert.ok(!ids.check(id, a, 6882, 5_000));
    const v6 = ip('2001:db8::1');
    const id6 = ids.issue(v6, 6881, 5_000);
    assert.ok(ids.check(id6, v6, 6881, 5_000));
    assert.ok(!ids.check(id6, ip('2001:db8::2'), 6881, 5_000));
  });

  it('depends on the key: another tracker cannot check or forge them', () => {
    const other = new ConnectionIds(new Uint8Array(16).fill(9), 120_000);
    const id = ids.issue(a, 6881, 5_000);
    assert.ok(!other.check(id, a, 6881, 5_000));
    assert.notEqual(other.issue(a, 6881, 5_000), id);
  });

  it('refuses arbitrary ids, the BEP 15 protocol id among them', () => {
    for (const id of [0n, 0x41727101980n, 0xffff_ffff_ffff_ffffn, 12345n]) {
      assert.ok(!ids.check(id, a, 6881, 5_000));
    }
  });
});
