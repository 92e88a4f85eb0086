import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes, concatBytes, toHex } from '../../lib/bytes.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import {
  formatPeerAddress,
  type Ipv4Address,
  type PeerAddress,
  parseIpv4,
  parsePeerAddress,
} from './address.js';
import type { UdpAnnounceRequest, UdpRequest, UdpResponse } from './udp.js';
import {
  decodeUdpRequest,
  decodeUdpResponse,
  encodeUdpRequest,
  encodeUdpResponse,
  udpRequestTransactionId,
} from './udp.js';

const hex = (text: string): Uint8Array => {
  const clean = text.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
};

const hash = (fill: number): InfoHashV1 => infoHashV1(new Uint8Array(20).fill(fill)) as InfoHashV1;

const request = (packet: Uint8Array): UdpRequest => {
  const r = decodeUdpRequest(packet);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
};

const response = (packet: Uint8Array, family: 'ipv4' | 'ipv6' = 'ipv4'): UdpResponse => {
  const r = decodeUdpResponse(packet, family);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
};

const announce: UdpAnnounceRequest = {
  action: 'announce',
  connectionId: 0x0102030405060708n,
  transactionId: 0xdeadbeef,
  infoHash: hash(0xaa),
  peerId: binaryToBytes('-FS0001-abcdefghijkl'),
  downloaded: 1,
  left: 2 ** 40,
  uploaded: 3,
  event: 'started',
  key: 0xcafe,
  numWant: -1,
  port: 6881,
};

describe('UDP connect (BEP 15)', () => {
  it('writes the protocol id, action 0 and the transaction id', () => {
    assert.equal(
      toHex(encodeUdpRequest({ action: 'connect', transactionId: 0x01020304 })),
      '0000041727101980' + '00000000' + '01020304',
    );
  });

  it('reads a connect request back', () => {
    assert.deepEqual(request(hex('0000041727101980 00000000 ffffffff')), {
      action: 'connect',
      transactionId: 0xffffffff,
    });
  });

  it('carries the 64-bit connection id of a connect response', () => {
    const packet = encodeUdpResponse({
      action: 'connect',
      transactionId: 7,
      connectionId: 0xfedcba9876543210n,
    });
    assert.equal(toHex(packet), '00000000' + '00000007' + 'fedcba9876543210');
    assert.deepEqual(response(packet), {
      action: 'connect',
      transactionId: 7,
      connectionId: 0xfedcba9876543210n,
    });
  });
});

describe('UDP announce (BEP 15)', () => {
  it('lays out the 98-byte request at the BEP 15 offsets', () => {
    const packet = encodeUdpRequest({ ...announce, ip: parseIpv4('10.0.0.1') as Ipv4Address });
    assert.equal(packet.length, 98);
    assert.equal(toHex(packet.subarray(0, 16)), '0102030405060708' + '00000001' + 'deadbeef');
    assert.equal(toHex(packet.subarray(16, 36)), 'aa'.repeat(20));
    assert.equal(
      toHex(packet.subarray(56, 80)),
      '0000000000000001' + '0000010000000000' + '0000000000000003',
    );
    assert.equal(
      toHex(packet.subarray(80, 98)),
      '00000002' + '0a000001' + '0000cafe' + 'ffffffff' + '1ae1',
    );
  });

  it('reads a request back, without ip when it is 0', () => {
    assert.deepEqual(request(encodeUdpRequest(announce)), announce);
  });

  it('reads the ip field when it is set', () => {
    const r = request(encodeUdpRequest({ ...announce, ip: parseIpv4('10.0.0.1') as Ipv4Address }));
    assert.ok(r.action === 'announce');
    assert.deepEqual(r.ip, parseIpv4('10.0.0.1'));
  });

  it('sends BEP 41 URLData after the request and reads it back', () => {
    const packet = encodeUdpRequest({ ...announce, urlData: '/announce?passkey=abc' });
    assert.deepEqual(Array.from(packet.subarray(98, 100)), [0x02, 21]);
    assert.deepEqual(request(packet), { ...announce, urlData: '/announce?passkey=abc' });
  });

  it('splits URLData longer than 255 bytes over several options and joins them', () => {
    const long = `/announce?${'x'.repeat(290)}`;
    const packet = encodeUdpRequest({ ...announce, urlData: long });
    assert.equal(packet.length, 98 + 2 + 255 + 2 + 45);
    assert.deepEqual(request(packet), { ...announce, urlData: long });
  });

  it('skips NOP and unknown options and stops at EndOfOptions', () => {
    const fixed = encodeUdpRequest(announce);
    const options = concatBytes([
      Uint8Array.of(0x01, 0x02, 2),
      binaryToBytes('/a'),
      Uint8Array.of(0x01, 0x07, 3, 9, 9, 9, 0x02, 3),
      binaryToBytes('?b1'),
      Uint8Array.of(0x00, 0x02, 0xff, 0xff),
    ]);
    assert.deepEqual(request(concatBytes([fixed, options])), { ...announce, urlData: '/a?b1' });
  });

  it('reads an old client zero padding after the request as the end of options', () => {
    assert.deepEqual(
      request(concatBytes([encodeUdpRequest(announce), new Uint8Array(2)])),
      announce,
    );
  });

  it('returns 6-byte peers over IPv4 and 18-byte peers over IPv6', () => {
    const peers = ['1.2.3.4:6881', '[2001:db8::1]:51413'].map(
      (t) => parsePeerAddress(t) as PeerAddress,
    );
    const base = {
      action: 'announce',
      transactionId: 9,
      interval: 1800,
      leechers: 3,
      seeders: 4,
      peers,
    } as const;
    const v4 = encodeUdpResponse(base, 'ipv4');
    const v6 = encodeUdpResponse(base, 'ipv6');
    assert.equal(v4.length, 20 + 6);
    assert.equal(v6.length, 20 + 18);
    assert.equal(
      toHex(v4.subarray(0, 20)),
      '00000001' + '00000009' + '00000708' + '00000003' + '00000004',
    );
    const r4 = response(v4, 'ipv4');
    const r6 = response(v6, 'ipv6');
    assert.ok(r4.action === 'announce' && r6.action === 'announce');
    assert.deepEqual(r4.peers.map(formatPeerAddress), ['1.2.3.4:6881']);
    assert.deepEqual(r6.peers.map(formatPeerAddress), ['[2001:db8::1]:51413']);
  });
});

describe('UDP scrape (BEP 15)', () => {
  it('writes the hashes after the header and reads them back', () => {
    const scrape = {
      action: 'scrape',
      connectionId: 5n,
      transactionId: 6,
      infoHashes: [hash(1), hash(2)],
    } as const;
    const packet = encodeUdpRequest(scrape);
    assert.equal(packet.length, 16 + 40);
    assert.equal(toHex(packet.subarray(8, 16)), '00000002' + '00000006');
    assert.deepEqual(request(packet), scrape);
  });

  it('accepts the 74 hashes BEP 15 allows', () => {
    const infoHashes = Array.from({ length: 74 }, (_, i) => hash(i));
    const r = request(
      encodeUdpRequest({ action: 'scrape', connectionId: 1n, transactionId: 1, infoHashes }),
    );
    assert.ok(r.action === 'scrape');
    assert.equal(r.infoHashes.length, 74);
  });

  it('returns seeders, completed and leechers per torrent', () => {
    const scrape: UdpResponse = {
      action: 'scrape',
      transactionId: 3,
      files: [
        { seeders: 1, completed: 2, leechers: 3 },
        { seeders: 0xffffffff, completed: 0, leechers: 0 },
      ],
    };
    const packet = encodeUdpResponse(scrape);
    assert.equal(
      toHex(packet.subarray(0, 20)),
      '00000002' + '00000003' + '00000001' + '00000002' + '00000003',
    );
    assert.deepEqual(response(packet), scrape);
  });
});

describe('UDP error (BEP 15)', () => {
  it('carries a message after the header', () => {
    const packet = encodeUdpResponse({
      action: 'error',
      transactionId: 4,
      message: 'unknown torrent',
    });
    assert.equal(toHex(packet.subarray(0, 8)), '00000003' + '00000004');
    assert.deepEqual(response(packet), {
      action: 'error',
      transactionId: 4,
      message: 'unknown torrent',
    });
  });

  it('drops trailing NULs and replaces bad UTF-8', () => {
    const packet = concatBytes([hex('00000003 00000004'), Uint8Array.of(0x6e, 0x6f, 0xff, 0, 0)]);
    assert.deepEqual(response(packet), { action: 'error', transactionId: 4, message: 'no\ufffd' });
  });

  it('accepts an error without a message', () => {
    assert.deepEqual(response(hex('00000003 00000001')), {
      action: 'error',
      transactionId: 1,
      message: '',
    });
  });
});

describe('udpRequestTransactionId', () => {
  it('reads the transaction id of any request long enough to have one', () => {
    assert.equal(udpRequestTransactionId(encodeUdpRequest(announce)), 0xdeadbeef);
    assert.equal(udpRequestTransactionId(hex('0000041727101980 00000009 00000042')), 0x42);
    assert.equal(udpRequestTransactionId(new Uint8Array(15)), undefined);
  });
});
