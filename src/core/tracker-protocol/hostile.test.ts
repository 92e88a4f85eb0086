/**
 * Hostile inputs for every decoder of untrusted tracker input, each with the exact code it
 * must answer. Nothing here may throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes, concatBytes } from '../../lib/bytes.js';
import type { ErrorCode, ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { encode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import { parseAnnounceQuery, parseScrapeQuery } from './http-request.js';
import { parseAnnounceResponse } from './http-response.js';
import { parseScrapeResponse } from './http-scrape.js';
import { percentEncode } from './query.js';
import { decodeUdpRequest, decodeUdpResponse, encodeUdpRequest, encodeUdpResponse } from './udp.js';

const fails = <T>(r: Result<T, ErrorValue>, code: ErrorCode, label = ''): void => {
  if (r.ok) assert.fail(`${label}: expected ${code}, got a value`);
  assert.equal(r.error.code, code, `${label}: ${r.error.message}`);
};

const b = (text: string): Uint8Array => binaryToBytes(text);
const bencoded = (value: BEncodable): Uint8Array => {
  const r = encode(value);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
};
const hash = (fill: number): InfoHashV1 => infoHashV1(new Uint8Array(20).fill(fill)) as InfoHashV1;

const connect = encodeUdpRequest({ action: 'connect', transactionId: 1 });
const announce = encodeUdpRequest({
  action: 'announce',
  connectionId: 2n,
  transactionId: 3,
  infoHash: hash(4),
  peerId: new Uint8Array(20).fill(5),
  downloaded: 0,
  left: 0,
  uploaded: 0,
  event: 'none',
  key: 0,
  numWant: -1,
  port: 6881,
});
const scrape = encodeUdpRequest({
  action: 'scrape',
  connectionId: 2n,
  transactionId: 3,
  infoHashes: [hash(1)],
});

const withBytes = (packet: Uint8Array, at: number, bytes: number[]): Uint8Array => {
  const copy = packet.slice();
  copy.set(bytes, at);
  return copy;
};

describe('hostile UDP requests', () => {
  it('refuses every truncation of a connect, announce and scrape request', () => {
    for (const [name, packet] of [
      ['connect', connect],
      ['announce', announce],
      ['scrape', scrape],
    ] as const) {
      for (let n = 0; n < packet.length; n++) {
        fails(decodeUdpRequest(packet.subarray(0, n)), 'TRACKER_BAD_PACKET', `${name} cut to ${n}`);
      }
      assert.ok(decodeUdpRequest(packet).ok, name);
    }
  });

  it('refuses a connect request with the wrong protocol id or extra bytes', () => {
    fails(
      decodeUdpRequest(withBytes(connect, 0, [0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x81])),
      'TRACKER_BAD_PACKET',
    );
    fails(decodeUdpRequest(new Uint8Array(16)), 'TRACKER_BAD_PACKET');
    fails(decodeUdpRequest(concatBytes([connect, new Uint8Array(1)])), 'TRACKER_BAD_PACKET');
  });

  it('refuses unknown actions, including the error action from a client', () => {
    for (const action of [3, 4, 0x7fffffff, 0xffffffff]) {
      const bytes = [
        (action >>> 24) & 0xff,
        (action >>> 16) & 0xff,
        (action >>> 8) & 0xff,
        action & 0xff,
      ];
      fails(
        decodeUdpRequest(withBytes(announce, 8, bytes)),
        'TRACKER_BAD_PACKET',
        `action ${action}`,
      );
    }
  });

  it('refuses a scrape of no torrents, of more than 74, or with a partial hash', () => {
    const many = (n: number) =>
      encodeUdpRequest({
        action: 'scrape',
        connectionId: 1n,
        transactionId: 1,
        infoHashes: Array.from({ length: n }, () => hash(1)),
      });
    fails(decodeUdpRequest(many(0)), 'TRACKER_BAD_PACKET', 'zero hashes');
    fails(decodeUdpRequest(many(75)), 'TRACKER_BAD_PACKET', '75 hashes');
    fails(decodeUdpRequest(many(3), { maxScrapeHashes: 2 }), 'TRACKER_BAD_PACKET', 'custom limit');
    fails(
      decodeUdpRequest(concatBytes([scrape, new Uint8Array(19)])),
      'TRACKER_BAD_PACKET',
      'partial hash',
    );
  });

  it('refuses an unknown event, port 0 and counters that are negative or beyond 2^53', () => {
    fails(decodeUdpRequest(withBytes(announce, 80, [0, 0, 0, 4])), 'TRACKER_BAD_PACKET', 'event 4');
    fails(decodeUdpRequest(withBytes(announce, 96, [0, 0])), 'TRACKER_BAD_PACKET', 'port 0');
    fails(
      decodeUdpRequest(withBytes(announce, 56, new Array(8).fill(0xff))),
      'TRACKER_BAD_PACKET',
      'downloaded -1',
    );
    fails(
      decodeUdpRequest(withBytes(announce, 64, [0, 0x20, 0, 0, 0, 0, 0, 0])),
      'TRACKER_BAD_PACKET',
      'left 2^53',
    );
    fails(
      decodeUdpRequest(withBytes(announce, 72, [0x80, 0, 0, 0, 0, 0, 0, 0])),
      'TRACKER_BAD_PACKET',
      'uploaded min',
    );
  });

  it('refuses BEP 41 options that run past the packet or URLData beyond the limit', () => {
    fails(
      decodeUdpRequest(concatBytes([announce, Uint8Array.of(0x02)])),
      'TRACKER_BAD_PACKET',
      'no length',
    );
    fails(
      decodeUdpRequest(concatBytes([announce, Uint8Array.of(0x02, 5, 0x61)])),
      'TRACKER_BAD_PACKET',
      'short data',
    );
    fails(
      decodeUdpRequest(concatBytes([announce, Uint8Array.of(0x09, 1)])),
      'TRACKER_BAD_PACKET',
      'unknown short',
    );
    const chunk = concatBytes([Uint8Array.of(0x02, 255), new Uint8Array(255).fill(0x61)]);
    fails(
      decodeUdpRequest(concatBytes([announce, chunk, chunk]), { maxUrlData: 300 }),
      'TRACKER_BAD_PACKET',
      'too long',
    );
  });
});

describe('hostile UDP responses', () => {
  const announceResponse = encodeUdpResponse({
    action: 'announce',
    transactionId: 1,
    interval: 60,
    leechers: 0,
    seeders: 0,
    peers: [{ ip: { family: 'ipv4', bytes: Uint8Array.of(1, 2, 3, 4) }, port: 1 }],
  });

  it('refuses every truncation that is not itself a whole packet', () => {
    const connectResponse = encodeUdpResponse({
      action: 'connect',
      transactionId: 1,
      connectionId: 2n,
    });
    const scrapeResponse = encodeUdpResponse({
      action: 'scrape',
      transactionId: 1,
      files: [{ seeders: 1, completed: 1, leechers: 1 }],
    });
    for (const [name, packet, whole] of [
      ['connect', connectResponse, []],
      ['announce', announceResponse, [20]],
      ['scrape', scrapeResponse, [8]],
    ] as const) {
      for (let n = 0; n < packet.length; n++) {
        const r = decodeUdpResponse(packet.subarray(0, n));
        if ((whole as readonly number[]).includes(n))
          assert.ok(r.ok, `${name} of ${n} bytes is whole`);
        else fails(r, 'TRACKER_BAD_PACKET', `${name} cut to ${n}`);
      }
    }
  });

  it('refuses peers that are not whole 6- or 18-byte entries for the family', () => {
    fails(decodeUdpResponse(announceResponse, 'ipv6'), 'TRACKER_BAD_PACKET', '6 bytes over IPv6');
    fails(
      decodeUdpResponse(concatBytes([announceResponse, new Uint8Array(1)])),
      'TRACKER_BAD_PACKET',
      '7 bytes',
    );
  });

  it('refuses more peers than the limit', () => {
    fails(
      decodeUdpResponse(concatBytes([announceResponse, new Uint8Array(6)]), 'ipv4', {
        maxPeers: 1,
      }),
      'TRACKER_BAD_PACKET',
    );
  });

  it('refuses an unknown action and a connect response of the wrong length', () => {
    fails(
      decodeUdpResponse(Uint8Array.of(0, 0, 0, 4, 0, 0, 0, 1)),
      'TRACKER_BAD_PACKET',
      'action 4',
    );
    fails(decodeUdpResponse(new Uint8Array(17)), 'TRACKER_BAD_PACKET', 'connect of 17');
  });
});

describe('hostile HTTP announce queries', () => {
  const H = percentEncode(new Uint8Array(20).fill(0xab));
  const P = percentEncode(new Uint8Array(20).fill(0x2d));
  const ok = `info_hash=${H}&peer_id=${P}&port=6881&uploaded=0&downloaded=0&left=0`;
  const bad = (query: string, label: string): void =>
    fails(parseAnnounceQuery(query), 'TRACKER_BAD_REQUEST', label);

  it('accepts the baseline', () => {
    assert.ok(parseAnnounceQuery(ok).ok);
  });

  it('refuses duplicated parameters', () => {
    bad(`${ok}&info_hash=${H}`, 'duplicate info_hash');
    bad(`${ok}&peer_id=${P}`, 'duplicate peer_id');
    bad(`${ok}&port=6881`, 'duplicate port');
    bad(`${ok}&left=0`, 'duplicate left');
    bad(`${ok}&event=started&event=started`, 'duplicate event');
    bad(`${ok}&numwant=1&numwant=2`, 'duplicate numwant');
    bad(`${ok}&key=a&key=a`, 'duplicate key');
    bad(`${ok}&info%5Fhash=${H}`, 'duplicate through an escaped name');
  });

  it('refuses missing required parameters', () => {
    for (const name of ['info_hash', 'peer_id', 'port', 'uploaded', 'downloaded', 'left']) {
      bad(
        ok
          .split('&')
          .filter((p) => !p.startsWith(`${name}=`))
          .join('&'),
        `missing ${name}`,
      );
    }
    bad('', 'empty query');
  });

  it('refuses oversized queries, values and parameter counts', () => {
    bad(`${ok}&x=${'a'.repeat(9000)}`, 'query over 8192');
    bad(`${ok}&key=${'a'.repeat(257)}`, 'key over 256 bytes');
    bad(`${ok}&trackerid=${'%00'.repeat(257)}`, 'trackerid over 256 bytes');
    bad(`${ok}${'&x=1'.repeat(130)}`, 'too many parameters');
  });

  it('refuses invalid percent escapes in the values it reads', () => {
    for (const hashText of [
      '%zz'.repeat(20),
      `${H.slice(0, -1)}`,
      `${H.slice(0, -2)}%`,
      `${H.slice(0, -3)}%G1`,
    ]) {
      bad(ok.replace(H, hashText), `info_hash ${hashText.slice(-6)}`);
    }
    bad(`${ok}&event=%C3%28`, 'event not UTF-8');
    bad(ok.replace(H, `${H.slice(0, -3)}\u0100`), 'char above 0xff');
  });

  it('refuses an info_hash or peer_id of 19 or 21 bytes', () => {
    bad(ok.replace(H, H.slice(3)), 'info_hash of 19');
    bad(ok.replace(H, `${H}%00`), 'info_hash of 21');
    bad(ok.replace(P, P.slice(3)), 'peer_id of 19');
    bad(ok.replace(P, `${P}%00`), 'peer_id of 21');
  });

  it('refuses ports 0 and 70000 and port text that is not a number', () => {
    for (const port of ['0', '70000', '65536', '-1', '', 'abc', '1e3', '0x50', ' 80', '80.0']) {
      bad(ok.replace('port=6881', `port=${port}`), `port ${port}`);
    }
  });

  it('refuses negative, fractional, huge or non-numeric counters', () => {
    for (const value of [
      '-1',
      '1.5',
      'abc',
      '',
      '+1',
      '1e3',
      '9007199254740992',
      '12345678901234567',
    ]) {
      bad(ok.replace('uploaded=0', `uploaded=${value}`), `uploaded ${value}`);
    }
    bad(ok.replace('left=0', 'left=%2D1'), 'left -1 escaped');
  });

  it('refuses unknown events and flags other than 0 and 1', () => {
    bad(`${ok}&event=bogus`, 'event bogus');
    bad(`${ok}&event=Started`, 'event case');
    bad(`${ok}&compact=2`, 'compact 2');
    bad(`${ok}&no_peer_id=yes`, 'no_peer_id yes');
    bad(`${ok}&numwant=-1`, 'numwant -1');
  });
});

describe('hostile HTTP scrape queries', () => {
  it('refuses too many hashes, or a hash of 19 or 21 bytes', () => {
    const h = (n: number): string => `info_hash=${percentEncode(new Uint8Array(20).fill(n))}`;
    fails(
      parseScrapeQuery(Array.from({ length: 65 }, (_, i) => h(i)).join('&')),
      'TRACKER_BAD_REQUEST',
      '65',
    );
    fails(parseScrapeQuery(`info_hash=${'%01'.repeat(19)}`), 'TRACKER_BAD_REQUEST', '19 bytes');
    fails(parseScrapeQuery(`info_hash=${'%01'.repeat(21)}`), 'TRACKER_BAD_REQUEST', '21 bytes');
    fails(parseScrapeQuery(`info_hash=${'%0'.repeat(20)}`), 'TRACKER_BAD_REQUEST', 'bad escape');
  });
});

describe('hostile HTTP responses', () => {
  const badAnnounce = (body: Uint8Array, label: string): void =>
    fails(parseAnnounceResponse(body), 'TRACKER_BAD_RESPONSE', label);

  it('refuses a peers string of 7 bytes and a peers6 string of 17', () => {
    badAnnounce(bencoded({ interval: 60, peers: new Uint8Array(7) }), 'peers of 7');
    badAnnounce(bencoded({ interval: 60, peers6: new Uint8Array(17) }), 'peers6 of 17');
  });

  it('refuses a body that is not a dictionary, or not bencode at all', () => {
    for (const text of [
      'le',
      'i1e',
      '4:spam',
      '',
      'd',
      '<html>502 Bad Gateway</html>',
      'd8:intervali60e',
    ]) {
      badAnnounce(b(text), JSON.stringify(text));
      fails(parseScrapeResponse(b(text)), 'TRACKER_BAD_RESPONSE', `scrape ${JSON.stringify(text)}`);
    }
  });

  it('refuses a huge peer list, compact or not', () => {
    badAnnounce(bencoded({ peers: new Uint8Array(6 * 10_001) }), '10,001 compact peers');
    const many = Array.from({ length: 10_001 }, () => ({ ip: '1.2.3.4', port: 1 }));
    badAnnounce(bencoded({ peers: many }), '10,001 peer dictionaries');
    badAnnounce(
      bencoded({ peers: new Uint8Array(6 * 6000), peers6: new Uint8Array(18 * 5000) }),
      'peers and peers6 over the limit together',
    );
    assert.ok(parseAnnounceResponse(bencoded({ peers: new Uint8Array(6 * 10_000) })).ok);
  });

  it('refuses a body larger than the limit before decoding it', () => {
    fails(parseAnnounceResponse(new Uint8Array(100), { maxBytes: 99 }), 'TRACKER_BAD_RESPONSE');
  });

  it('refuses peers of the wrong type and nesting beyond the limit', () => {
    badAnnounce(bencoded({ peers: 5 }), 'peers integer');
    badAnnounce(bencoded({ peers: new Map([['a', 1]]) }), 'peers dictionary');
    badAnnounce(b(`d5:peers${'l'.repeat(20)}${'e'.repeat(20)}e`), 'deep nesting');
  });
});
