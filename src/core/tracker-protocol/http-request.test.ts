import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes } from '../../lib/bytes.js';
import type { InfoHashV1 } from '../../lib/ids.js';
import { parseIp } from './address.js';
import {
  type AnnounceRequest,
  type HttpRequestLimits,
  parseAnnounceQuery,
  parseScrapeQuery,
} from './http-request.js';
import { percentEncode } from './query.js';

const HASH = new Uint8Array(20).map((_, i) => i * 13);
const PEER = binaryToBytes('-FS0001-abcdefghijkl');
const BASE = `info_hash=${percentEncode(HASH)}&peer_id=${percentEncode(PEER)}&port=6881&uploaded=1&downloaded=2&left=3`;

const parsed = (query: string, limits?: Partial<HttpRequestLimits>): AnnounceRequest => {
  const r = parseAnnounceQuery(query, limits);
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

describe('parseAnnounceQuery', () => {
  it('reads the BEP 3 parameters with the defaults for the optional ones', () => {
    assert.deepEqual(parsed(BASE), {
      infoHash: HASH as InfoHashV1,
      peerId: PEER,
      port: 6881,
      uploaded: 1,
      downloaded: 2,
      left: 3,
      event: 'none',
      compact: true,
      noPeerId: false,
      numwant: 50,
    });
  });

  it('accepts the query with its leading "?"', () => {
    assert.equal(parsed(`?${BASE}`).port, 6881);
  });

  it('reads every optional parameter', () => {
    const r = parsed(
      `${BASE}&event=completed&compact=0&no_peer_id=1&numwant=20&key=ab%43d&trackerid=%00x`,
    );
    assert.equal(r.event, 'completed');
    assert.equal(r.compact, false);
    assert.equal(r.noPeerId, true);
    assert.equal(r.numwant, 20);
    assert.deepEqual(r.key, new TextEncoder().encode('abCd'));
    assert.deepEqual(r.trackerId, Uint8Array.of(0, 0x78));
  });

  it('takes a key of raw bytes that are not UTF-8, as aria2 sends', () => {
    assert.deepEqual(parsed(`${BASE}&key=%E6%E1%2F%FF`).key, Uint8Array.of(0xe6, 0xe1, 0x2f, 0xff));
  });

  it('reads an empty event as a regular announce and "paused" as BEP 21 says', () => {
    assert.equal(parsed(`${BASE}&event=`).event, 'none');
    assert.equal(parsed(`${BASE}&event=paused`).event, 'paused');
    assert.equal(parsed(`${BASE}&event=stopped`).event, 'stopped');
  });

  it('caps numwant at the limit and applies the default', () => {
    assert.equal(parsed(`${BASE}&numwant=100000`).numwant, 200);
    assert.equal(parsed(`${BASE}&numwant=100000`, { maxNumwant: 30 }).numwant, 30);
    assert.equal(parsed(BASE, { defaultNumwant: 25 }).numwant, 25);
    assert.equal(parsed(`${BASE}&numwant=0`).numwant, 0);
  });

  it('accepts leading zeros in numbers', () => {
    assert.equal(parsed(BASE.replace('left=3', 'left=007')).left, 7);
  });

  it('ignores unknown parameters, even repeated or malformed ones', () => {
    const r = parsed(`${BASE}&supportcrypto=1&supportcrypto=1&azudp=%zz&corrupt=0`);
    assert.equal(r.port, 6881);
  });

  it('ignores the ip parameter unless told to trust it', () => {
    assert.equal(parsed(`${BASE}&ip=10.0.0.1`).ip, undefined);
    assert.equal(parsed(`${BASE}&ip=not-an-ip`).ip, undefined);
    assert.deepEqual(
      parsed(`${BASE}&ip=2001%3Adb8%3A%3A1`, { trustIp: true }).ip,
      parseIp('2001:db8::1'),
    );
    const r = parseAnnounceQuery(`${BASE}&ip=host.example`, { trustIp: true });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'TRACKER_BAD_REQUEST');
  });

  it('reads binary values whose bytes happen to be unreserved characters', () => {
    const ascii = binaryToBytes('ABCDEFGHIJ0123456789');
    const r = parsed(
      BASE.replace(`info_hash=${percentEncode(HASH)}`, 'info_hash=ABCDEFGHIJ0123456789'),
    );
    assert.deepEqual(r.infoHash, ascii);
  });

  it('gives messages a tracker can send back as the failure reason', () => {
    const r = parseAnnounceQuery(BASE.replace(/info_hash=[^&]*&/, ''));
    assert.ok(!r.ok);
    assert.deepEqual(r.error, { code: 'TRACKER_BAD_REQUEST', message: 'missing info_hash' });
  });
});

describe('parseScrapeQuery', () => {
  const h = (fill: number): string => percentEncode(new Uint8Array(20).fill(fill));

  it('reads every info_hash in order', () => {
    const r = parseScrapeQuery(`info_hash=${h(1)}&info_hash=${h(2)}&passkey=x`);
    assert.ok(r.ok);
    assert.deepEqual(r.value.infoHashes, [new Uint8Array(20).fill(1), new Uint8Array(20).fill(2)]);
  });

  it('drops repeated hashes', () => {
    const r = parseScrapeQuery(`info_hash=${h(1)}&info_hash=${h(1)}`);
    assert.ok(r.ok);
    assert.equal(r.value.infoHashes.length, 1);
  });

  it('reads no info_hash as a request for every torrent', () => {
    const r = parseScrapeQuery('');
    assert.ok(r.ok);
    assert.deepEqual(r.value.infoHashes, []);
  });

  it('accepts as many hashes as the limit', () => {
    const query = Array.from({ length: 64 }, (_, i) => `info_hash=${h(i)}`).join('&');
    const r = parseScrapeQuery(query);
    assert.ok(r.ok);
    assert.equal(r.value.infoHashes.length, 64);
  });
});
