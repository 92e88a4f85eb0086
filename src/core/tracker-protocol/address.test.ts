import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  equalIp,
  formatIp,
  formatPeerAddress,
  type IpAddress,
  ipFromBytes,
  parseIp,
  parseIpv4,
  parseIpv6,
  parsePeerAddress,
  unmapIpv4,
} from './address.js';

const v6 = (text: string): IpAddress => {
  const ip = parseIpv6(text);
  assert.ok(ip !== undefined, `expected ${text} to parse`);
  return ip;
};

const bytesOf = (text: string): number[] => Array.from(parseIp(text)?.bytes ?? []);

describe('parseIpv4', () => {
  it('parses dotted quads into four bytes', () => {
    assert.deepEqual(parseIpv4('192.168.24.52'), {
      family: 'ipv4',
      bytes: Uint8Array.of(192, 168, 24, 52),
    });
    assert.deepEqual(bytesOf('0.0.0.0'), [0, 0, 0, 0]);
    assert.deepEqual(bytesOf('255.255.255.255'), [255, 255, 255, 255]);
  });

  it('refuses parts above 255, missing parts and extra parts', () => {
    for (const text of [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '1.2.3.4.',
      '',
      '1234.1.1.1',
    ]) {
      assert.equal(parseIpv4(text), undefined, text);
    }
  });

  it('refuses leading zeros, which inet_aton would read as octal', () => {
    assert.equal(parseIpv4('010.0.0.1'), undefined);
    assert.equal(parseIpv4('1.2.3.04'), undefined);
  });

  it('refuses signs, spaces, hex and letters', () => {
    for (const text of [' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '0x1.2.3.4', 'a.b.c.d', '1.2.3.-4']) {
      assert.equal(parseIpv4(text), undefined, text);
    }
  });
});

describe('parseIpv6', () => {
  it('parses the full form of eight groups', () => {
    assert.deepEqual(
      Array.from(v6('2001:0db8:0000:0000:0000:ff00:0042:8329').bytes),
      [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29],
    );
  });

  it('expands "::" anywhere, including alone', () => {
    assert.deepEqual(v6('::').bytes, new Uint8Array(16));
    assert.deepEqual(Array.from(v6('::1').bytes), [...new Array(15).fill(0), 1]);
    assert.deepEqual(Array.from(v6('1::').bytes), [0, 1, ...new Array(14).fill(0)]);
    assert.deepEqual(v6('2001:db8::ff00:42:8329'), v6('2001:0db8:0:0:0:ff00:0042:8329'));
  });

  it('reads hex digits in either case', () => {
    assert.deepEqual(v6('2001:DB8::aBcD'), v6('2001:db8::abcd'));
  });

  it('reads a dotted quad in the last 32 bits', () => {
    assert.deepEqual(Array.from(v6('::ffff:1.2.3.4').bytes.subarray(10)), [0xff, 0xff, 1, 2, 3, 4]);
    assert.deepEqual(v6('64:ff9b::192.0.2.33'), v6('64:ff9b::c000:221'));
    assert.deepEqual(v6('1:2:3:4:5:6:1.2.3.4'), v6('1:2:3:4:5:6:102:304'));
  });

  it('refuses malformed text', () => {
    const bad = [
      '1::2::3',
      ':::',
      ':1::',
      '::1:',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4::5:6:7:8',
      '12345::',
      'g::',
      '::1.2.3.4:5',
      '1.2.3.4::',
      '::256.0.0.1',
      '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0',
      ':',
      '',
    ];
    for (const text of bad) assert.equal(parseIpv6(text), undefined, text);
  });

  it('refuses text longer than any IPv6 address', () => {
    assert.equal(parseIpv6(`${'0'.repeat(40)}::1`), undefined);
  });
});

describe('formatIp', () => {
  const canonical = (text: string): string => formatIp(v6(text));

  it('writes IPv4 as a dotted quad', () => {
    assert.equal(formatIp({ family: 'ipv4', bytes: Uint8Array.of(10, 0, 0, 255) }), '10.0.0.255');
  });

  it('writes RFC 5952 canonical IPv6: lower case, no leading zeros, longest zero run as ::', () => {
    assert.equal(canonical('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(canonical('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonical('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
    assert.equal(canonical('0:0:0:0:0:0:0:0'), '::');
    assert.equal(canonical('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonical('1:0:0:0:0:0:0:0'), '1::');
  });

  it('does not shorten a single zero group', () => {
    assert.equal(canonical('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  });

  it('writes IPv4-mapped addresses with a dotted quad', () => {
    assert.equal(canonical('::ffff:c000:0221'), '::ffff:192.0.2.33');
  });
});

describe('addresses from bytes and between families', () => {
  it('takes 4 bytes as IPv4 and 16 as IPv6, as views', () => {
    const buffer = new Uint8Array(20);
    const four = ipFromBytes(buffer.subarray(0, 4));
    const sixteen = ipFromBytes(buffer.subarray(4, 20));
    assert.equal(four?.family, 'ipv4');
    assert.equal(sixteen?.family, 'ipv6');
    assert.equal(sixteen?.bytes.buffer, buffer.buffer);
    assert.equal(ipFromBytes(new Uint8Array(5)), undefined);
  });

  it('unmaps IPv4-mapped IPv6 addresses and leaves others alone', () => {
    assert.deepEqual(unmapIpv4(v6('::ffff:1.2.3.4')), parseIpv4('1.2.3.4'));
    const plain = v6('2001:db8::1');
    assert.equal(unmapIpv4(plain), plain);
    const v4 = parseIpv4('1.2.3.4') as IpAddress;
    assert.equal(unmapIpv4(v4), v4);
  });

  it('compares by family and bytes', () => {
    assert.ok(equalIp(v6('::1'), v6('0::0:1')));
    assert.ok(!equalIp(v6('::1'), v6('::2')));
    assert.ok(!equalIp(parseIpv4('0.0.0.0') as IpAddress, v6('::')));
  });
});

describe('peer addresses', () => {
  it('formats IPv4 as host:port and IPv6 in brackets', () => {
    assert.equal(
      formatPeerAddress({ ip: parseIpv4('1.2.3.4') as IpAddress, port: 6881 }),
      '1.2.3.4:6881',
    );
    assert.equal(formatPeerAddress({ ip: v6('2001:db8::1'), port: 51413 }), '[2001:db8::1]:51413');
  });

  it('parses what it formats', () => {
    for (const text of ['1.2.3.4:6881', '[2001:db8::1]:1', '[::ffff:1.2.3.4]:65535']) {
      const peer = parsePeerAddress(text);
      assert.ok(peer !== undefined, text);
      assert.equal(formatPeerAddress(peer), text);
    }
  });

  it('refuses port 0, ports above 65535 and IPv6 without brackets', () => {
    for (const text of [
      '1.2.3.4:0',
      '1.2.3.4:65536',
      '::1:80',
      '[1.2.3.4]:80',
      'host:80',
      '1.2.3.4',
    ]) {
      assert.equal(parsePeerAddress(text), undefined, text);
    }
  });
});
