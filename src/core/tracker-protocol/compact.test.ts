import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPeerAddress, type PeerAddress, parsePeerAddress } from './address.js';
import { decodeCompactPeers, encodeCompactPeers } from './compact.js';

const peer = (text: string): PeerAddress => {
  const p = parsePeerAddress(text);
  assert.ok(p !== undefined, text);
  return p;
};

const decodedText = (bytes: Uint8Array, family: 'ipv4' | 'ipv6'): string[] => {
  const r = decodeCompactPeers(bytes, family);
  if (!r.ok) assert.fail(r.error.message);
  return r.value.map(formatPeerAddress);
};

describe('compact peers (BEP 23, BEP 7)', () => {
  it('decodes 6-byte IPv4 entries, port big-endian', () => {
    // The example of the BEP 23 era: 192.168.24.52:2001 is C0 A8 18 34 07 D1.
    const bytes = Uint8Array.of(0xc0, 0xa8, 0x18, 0x34, 0x07, 0xd1, 10, 0, 0, 1, 0x1a, 0xe1);
    assert.deepEqual(decodedText(bytes, 'ipv4'), ['192.168.24.52:2001', '10.0.0.1:6881']);
  });

  it('decodes 18-byte IPv6 entries', () => {
    const bytes = new Uint8Array(18);
    bytes.set([0x20, 0x01, 0x0d, 0xb8], 0);
    bytes[15] = 1;
    bytes[16] = 0xc8;
    bytes[17] = 0xd5;
    assert.deepEqual(decodedText(bytes, 'ipv6'), ['[2001:db8::1]:51413']);
  });

  it('decodes an empty string as no peers', () => {
    assert.deepEqual(decodedText(new Uint8Array(0), 'ipv4'), []);
    assert.deepEqual(decodedText(new Uint8Array(0), 'ipv6'), []);
  });

  it('returns addresses as views into the input', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 0, 80);
    const r = decodeCompactPeers(bytes, 'ipv4');
    assert.ok(r.ok);
    assert.equal(r.value[0]?.ip.bytes.buffer, bytes.buffer);
  });

  it('refuses a length that is not a whole number of entries', () => {
    for (const [length, family] of [
      [7, 'ipv4'],
      [5, 'ipv4'],
      [6, 'ipv6'],
      [19, 'ipv6'],
    ] as const) {
      const r = decodeCompactPeers(new Uint8Array(length), family);
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'TRACKER_BAD_RESPONSE');
    }
  });

  it('refuses more peers than the limit', () => {
    const r = decodeCompactPeers(new Uint8Array(6 * 3), 'ipv4', 2);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'TRACKER_BAD_RESPONSE');
    assert.ok(decodeCompactPeers(new Uint8Array(6 * 2), 'ipv4', 2).ok);
  });

  it('encodes only the peers of the family asked for, in order', () => {
    const peers = [peer('1.2.3.4:1'), peer('[::1]:2'), peer('5.6.7.8:65535')];
    assert.deepEqual(
      encodeCompactPeers(peers, 'ipv4'),
      Uint8Array.of(1, 2, 3, 4, 0, 1, 5, 6, 7, 8, 0xff, 0xff),
    );
    assert.deepEqual(decodedText(encodeCompactPeers(peers, 'ipv6'), 'ipv6'), ['[::1]:2']);
  });
});
