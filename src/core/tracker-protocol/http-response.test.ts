import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes, bytesToBinary } from '../../lib/bytes.js';
import type { ErrorCode } from '../../lib/errors.js';
import { encode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import { formatPeerAddress, parseIp, parsePeerAddress } from './address.js';
import {
  type AnnounceResponse,
  encodeAnnounceResponse,
  encodeFailureResponse,
  parseAnnounceResponse,
} from './http-response.js';
import type { TrackerPeer } from './types.js';

const b = (text: string): Uint8Array => binaryToBytes(text);

const bencoded = (value: BEncodable): Uint8Array => {
  const r = encode(value);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
};

const parsed = (body: Uint8Array | BEncodable): AnnounceResponse => {
  const r = parseAnnounceResponse(body instanceof Uint8Array ? body : bencoded(body));
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

const refuses = (body: Uint8Array, code: ErrorCode, message?: string): void => {
  const r = parseAnnounceResponse(body);
  assert.ok(!r.ok, 'expected a refusal');
  assert.equal(r.error.code, code);
  if (message !== undefined) assert.equal(r.error.message, message);
};

const addresses = (peers: readonly TrackerPeer[]): string[] => peers.map(formatPeerAddress);

const peer = (text: string, peerId?: Uint8Array): TrackerPeer => {
  const p = parsePeerAddress(text);
  assert.ok(p !== undefined);
  return peerId === undefined ? p : { ...p, peerId };
};

describe('parseAnnounceResponse', () => {
  it('reads a compact response with every field', () => {
    const r = parsed(
      b(
        'd8:completei5e10:incompletei3e8:intervali1800e12:min intervali900e' +
          '5:peers12:\x01\x02\x03\x04\x1a\xe1\x05\x06\x07\x08\x00\x50' +
          '6:peers618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x51' +
          '10:tracker id3:abc15:warning message4:slowe',
      ),
    );
    assert.deepEqual(
      { ...r, peers: addresses(r.peers) },
      {
        complete: 5,
        incomplete: 3,
        interval: 1800,
        minInterval: 900,
        trackerId: b('abc'),
        warning: 'slow',
        peers: ['1.2.3.4:6881', '5.6.7.8:80', '[2001:db8::1]:81'],
      },
    );
  });

  it('reads a list of peer dictionaries, IPv4 and IPv6, with their ids', () => {
    const id = b('-XX0001-000000000000');
    const r = parsed({
      interval: 60,
      peers: [
        { ip: '10.0.0.1', port: 1, 'peer id': id },
        { ip: '2001:db8::2', port: 2 },
      ],
    });
    assert.deepEqual(r.peers, [peer('10.0.0.1:1', id), peer('[2001:db8::2]:2')]);
  });

  it('drops peers it cannot use: DNS names, bad ports, entries that are not dictionaries', () => {
    const r = parsed({
      interval: 60,
      peers: [
        { ip: 'peer.example', port: 1 },
        { ip: '10.0.0.1', port: 70000 },
        { ip: '10.0.0.1', port: -1 },
        { ip: '10.0.0.1' },
        { port: 1 },
        'junk',
        { ip: '10.0.0.2', port: 2, 'peer id': 'short' },
      ],
    });
    assert.deepEqual(r.peers, [peer('10.0.0.2:2')]);
  });

  it('reads a response without peers as no peers', () => {
    assert.deepEqual(parsed({ interval: 60 }), { interval: 60, peers: [] });
  });

  it('reads the BEP 24 external ip and ignores a malformed one', () => {
    assert.deepEqual(
      parsed({ 'external ip': Uint8Array.of(1, 2, 3, 4) }).externalIp,
      parseIp('1.2.3.4'),
    );
    assert.equal(parsed({ 'external ip': Uint8Array.of(1, 2, 3) }).externalIp, undefined);
  });

  it('returns the failure reason as TRACKER_FAILURE with the tracker text', () => {
    refuses(b('d14:failure reason17:torrent not founde'), 'TRACKER_FAILURE', 'torrent not found');
    refuses(bencoded({ 'failure reason': 'gone', 'retry in': 'never' }), 'TRACKER_FAILURE', 'gone');
  });

  it('tolerates whitespace after the dictionary but nothing else', () => {
    assert.equal(parsed(b('d8:intervali60ee\r\n')).interval, 60);
    refuses(b('d8:intervali60eex'), 'TRACKER_BAD_RESPONSE');
  });

  it('refuses a dictionary with a key twice, even out of order', () => {
    refuses(b('d8:intervali60e8:completei1e8:intervali61ee'), 'TRACKER_BAD_RESPONSE');
  });

  it('refuses fields of the wrong type', () => {
    refuses(bencoded({ interval: '60' }), 'TRACKER_BAD_RESPONSE');
    refuses(bencoded({ interval: -1 }), 'TRACKER_BAD_RESPONSE');
    refuses(bencoded({ complete: 2n ** 60n }), 'TRACKER_BAD_RESPONSE');
    refuses(bencoded({ 'tracker id': 5 }), 'TRACKER_BAD_RESPONSE');
    refuses(bencoded({ peers6: [] }), 'TRACKER_BAD_RESPONSE');
  });
});

describe('encodeAnnounceResponse', () => {
  const id = b('-XX0001-000000000000');
  const response: AnnounceResponse = {
    interval: 1800,
    complete: 1,
    incomplete: 2,
    peers: [peer('1.2.3.4:6881', id), peer('[::1]:80')],
  };

  const encoded = (r: AnnounceResponse, compact: boolean, noPeerId = false): string => {
    const e = encodeAnnounceResponse(r, { compact, noPeerId });
    if (!e.ok) assert.fail(e.error.message);
    return bytesToBinary(e.value);
  };

  it('writes compact peers and peers6, without peer ids', () => {
    assert.equal(
      encoded(response, true),
      'd8:completei1e10:incompletei2e8:intervali1800e5:peers6:\x01\x02\x03\x04\x1a\xe1' +
        `6:peers618:${'\x00'.repeat(15)}\x01\x00\x50e`,
    );
  });

  it('leaves peers6 out when there are no IPv6 peers, but always writes peers', () => {
    assert.equal(encoded({ interval: 60, peers: [] }, true), 'd8:intervali60e5:peers0:e');
  });

  it('writes a list of dictionaries when not compact, with peer ids unless asked not to', () => {
    assert.equal(
      encoded({ interval: 60, peers: response.peers }, false),
      `d8:intervali60e5:peersld2:ip7:1.2.3.47:peer id20:${bytesToBinary(id)}4:porti6881eed2:ip3:::14:porti80eeee`,
    );
    assert.equal(
      encoded({ interval: 60, peers: response.peers }, false, true),
      'd8:intervali60e5:peersld2:ip7:1.2.3.44:porti6881eed2:ip3:::14:porti80eeee',
    );
  });

  it('writes the optional fields it is given', () => {
    const text = encoded(
      {
        interval: 60,
        minInterval: 30,
        trackerId: b('t'),
        warning: 'w',
        externalIp: parseIp('1.2.3.4'),
        peers: [],
      },
      true,
    );
    assert.equal(
      text,
      'd11:external ip4:\x01\x02\x03\x048:intervali60e12:min intervali30e5:peers0:' +
        '10:tracker id1:t15:warning message1:we',
    );
  });

  it('refuses numbers bencode cannot hold', () => {
    const r = encodeAnnounceResponse(
      { interval: 1.5, peers: [] },
      { compact: true, noPeerId: false },
    );
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BENCODE_UNENCODABLE');
  });
});

describe('encodeFailureResponse', () => {
  it('writes the failure reason, with the BEP 31 retry in when given', () => {
    const text = (r: ReturnType<typeof encodeFailureResponse>): string => {
      if (!r.ok) assert.fail(r.error.message);
      return bytesToBinary(r.value);
    };
    assert.equal(
      text(encodeFailureResponse('missing info_hash')),
      'd14:failure reason17:missing info_hashe',
    );
    assert.equal(text(encodeFailureResponse('busy', 5)), 'd14:failure reason4:busy8:retry ini5ee');
    assert.equal(
      text(encodeFailureResponse('no', 'never')),
      'd14:failure reason2:no8:retry in5:nevere',
    );
  });
});

describe('announce responses from trackers that do not sort keys', () => {
  it('reads a response whose keys are out of order', () => {
    const body = new TextEncoder().encode('d8:intervali1800e5:peers0:8:completei3ee');
    const r = parseAnnounceResponse(body);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.interval, 1800);
  });
});
