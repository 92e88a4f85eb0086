/** Property tests for the HTTP codecs: URLs and queries, announce and scrape responses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinary } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { encode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import type { IpAddress } from './address.js';
import { type AnnounceRequest, parseAnnounceQuery, parseScrapeQuery } from './http-request.js';
import {
  type AnnounceResponse,
  encodeAnnounceResponse,
  parseAnnounceResponse,
} from './http-response.js';
import { encodeScrapeResponse, parseScrapeResponse, type ScrapeFile } from './http-scrape.js';
import { type AnnounceParams, buildAnnounceUrl, buildScrapeUrl } from './http-url.js';
import type { TrackerPeer } from './types.js';

/** Records with an ordinary prototype, so deepStrictEqual compares them with parsed ones. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, required?: Array<keyof T>) =>
  fc.record(model, { noNullPrototype: true, ...(required ? { requiredKeys: required } : {}) });

const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const hashArb: fc.Arbitrary<InfoHashV1> = bytesN(20).map((b) => infoHashV1(b) as InfoHashV1);
const ipArb: fc.Arbitrary<IpAddress> = fc.oneof(
  bytesN(4).map((bytes): IpAddress => ({ family: 'ipv4', bytes })),
  bytesN(16).map((bytes): IpAddress => ({ family: 'ipv6', bytes })),
);
const port = fc.integer({ min: 1, max: 65535 });
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

const wellBehaved = <T>(r: Result<T, ErrorValue>, ...codes: string[]): void => {
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.ok(codes.includes(r.error.code), r.error.code);
};

const paramsArb: fc.Arbitrary<AnnounceParams> = rec(
  {
    infoHash: hashArb,
    peerId: bytesN(20),
    port,
    uploaded: fc.maxSafeNat(),
    downloaded: fc.maxSafeNat(),
    left: fc.maxSafeNat(),
    event: fc.constantFrom('none', 'started', 'completed', 'stopped', 'paused'),
    compact: fc.boolean(),
    noPeerId: fc.boolean(),
    numwant: fc.maxSafeNat(),
    key: text,
    trackerId: fc.uint8Array({ maxLength: 64 }),
    ip: ipArb,
  },
  ['infoHash', 'peerId', 'port', 'uploaded', 'downloaded', 'left'],
);

/** What a tracker that trusts "ip" and caps nothing must read from the client's URL. */
const expectedRequest = (p: AnnounceParams): AnnounceRequest => ({
  infoHash: p.infoHash,
  peerId: p.peerId,
  port: p.port,
  uploaded: p.uploaded,
  downloaded: p.downloaded,
  left: p.left,
  event: p.event ?? 'none',
  compact: p.compact !== false,
  noPeerId: p.noPeerId === true,
  numwant: p.numwant ?? 50,
  ...(p.key === undefined ? {} : { key: new TextEncoder().encode(p.key) }),
  ...(p.trackerId === undefined ? {} : { trackerId: p.trackerId }),
  ...(p.ip === undefined ? {} : { ip: p.ip }),
});

const queryOf = (url: string): string => url.slice(url.indexOf('?') + 1);

/** Text made of the pieces a query parser cares about, so inputs get past the first check. */
const queryish = fc
  .array(
    fc.constantFrom(
      'info_hash=',
      'peer_id=',
      'port=',
      'left=',
      'uploaded=',
      'downloaded=',
      'event=',
      'numwant=',
      'compact=',
      'ip=',
      '&',
      '=',
      '%',
      '%4',
      '%41',
      '%zz',
      'a',
      '1',
      '-',
      '+',
      '\u0100',
      '%00'.repeat(20),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('property: announce URL and query', () => {
  it('the tracker reads back exactly what the client sent', () => {
    fc.assert(
      fc.property(
        paramsArb,
        fc.constantFrom('http://t.example/announce', 'https://t.example/a.php?passkey=xyz&'),
        (p, base) => {
          const url = buildAnnounceUrl(base, p);
          assert.ok(url.ok);
          const r = parseAnnounceQuery(queryOf(url.value), {
            trustIp: true,
            maxNumwant: Number.MAX_SAFE_INTEGER,
          });
          assert.deepEqual(r, { ok: true, value: expectedRequest(p) });
        },
      ),
    );
  });

  it('the tracker reads back the hashes of a scrape URL, once each', () => {
    fc.assert(
      fc.property(fc.array(hashArb, { maxLength: 64 }), (hashes) => {
        const r = parseScrapeQuery(queryOf(buildScrapeUrl('http://t.example/scrape', hashes)));
        const unique = [...new Map(hashes.map((h) => [bytesToBinary(h), h])).values()];
        assert.deepEqual(r, { ok: true, value: { infoHashes: unique } });
      }),
    );
  });

  it('never throws on arbitrary queries, answering only TRACKER_BAD_REQUEST', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string(), queryish), (q) => {
        wellBehaved(parseAnnounceQuery(q), 'TRACKER_BAD_REQUEST');
        wellBehaved(parseAnnounceQuery(q, { trustIp: true }), 'TRACKER_BAD_REQUEST');
        wellBehaved(parseScrapeQuery(q), 'TRACKER_BAD_REQUEST');
      }),
      { numRuns: 2000 },
    );
  });
});

const peerArb = (withId: boolean): fc.Arbitrary<TrackerPeer> =>
  withId
    ? rec({ ip: ipArb, port: fc.integer({ min: 0, max: 65535 }), peerId: bytesN(20) }, [
        'ip',
        'port',
      ])
    : rec({ ip: ipArb, port: fc.integer({ min: 0, max: 65535 }) });

const responseArb = (withIds: boolean): fc.Arbitrary<AnnounceResponse> =>
  rec(
    {
      interval: fc.maxSafeNat(),
      minInterval: fc.maxSafeNat(),
      trackerId: fc.uint8Array({ maxLength: 20 }),
      complete: fc.maxSafeNat(),
      incomplete: fc.maxSafeNat(),
      warning: text,
      externalIp: ipArb,
      peers: fc.array(peerArb(withIds), { maxLength: 30 }),
    },
    ['peers'],
  );

describe('property: announce responses', () => {
  it('the client reads back a compact response, IPv4 peers before IPv6 ones', () => {
    fc.assert(
      fc.property(responseArb(false), (response) => {
        const body = encodeAnnounceResponse(response, { compact: true, noPeerId: false });
        assert.ok(body.ok);
        const byFamily = [
          ...response.peers.filter((p) => p.ip.family === 'ipv4'),
          ...response.peers.filter((p) => p.ip.family === 'ipv6'),
        ];
        assert.deepEqual(parseAnnounceResponse(body.value), {
          ok: true,
          value: { ...response, peers: byFamily },
        });
      }),
    );
  });

  it('the client reads back a non-compact response with its peer ids', () => {
    fc.assert(
      fc.property(responseArb(true), (response) => {
        const body = encodeAnnounceResponse(response, { compact: false, noPeerId: false });
        assert.ok(body.ok);
        assert.deepEqual(parseAnnounceResponse(body.value), { ok: true, value: response });
      }),
    );
  });

  /** Dictionaries with the keys a response has, holding values of any type. */
  const { value: anyValue } = fc.letrec<{ value: BEncodable }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.integer({ min: -5, max: 70000 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom('1.2.3.4', '::1', 'host', ''),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('ip', 'port', 'peer id', 'complete', 'x'), tie('value'), {
        maxKeys: 4,
      }),
    ),
  }));
  const KEYS = [
    'interval',
    'min interval',
    'complete',
    'incomplete',
    'peers',
    'peers6',
    'tracker id',
    'warning message',
    'external ip',
    'failure reason',
    'files',
    'flags',
  ];
  const responseLike = fc
    .dictionary(fc.constantFrom(...KEYS), anyValue, { maxKeys: 6 })
    .map((d) => {
      const r = encode(d);
      return r.ok ? r.value : new Uint8Array(0);
    });

  it('never throws on arbitrary bytes or response-shaped bencode', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), responseLike), (body) => {
        wellBehaved(parseAnnounceResponse(body), 'TRACKER_BAD_RESPONSE', 'TRACKER_FAILURE');
        wellBehaved(parseScrapeResponse(body), 'TRACKER_BAD_RESPONSE', 'TRACKER_FAILURE');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('property: scrape responses', () => {
  const fileArb: fc.Arbitrary<ScrapeFile> = rec({
    infoHash: hashArb,
    complete: fc.maxSafeNat(),
    downloaded: fc.maxSafeNat(),
    incomplete: fc.maxSafeNat(),
  });

  it('the client reads back every torrent, in info-hash byte order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fileArb, { selector: (f) => bytesToBinary(f.infoHash), maxLength: 20 }),
        fc.option(fc.maxSafeNat(), { nil: undefined }),
        (files, interval) => {
          const body = encodeScrapeResponse({ files, minRequestInterval: interval });
          assert.ok(body.ok);
          const sorted = [...files].sort((a, b) =>
            bytesToBinary(a.infoHash) < bytesToBinary(b.infoHash) ? -1 : 1,
          );
          const expected =
            interval === undefined
              ? { files: sorted }
              : { files: sorted, minRequestInterval: interval };
          assert.deepEqual(parseScrapeResponse(body.value), { ok: true, value: expected });
        },
      ),
    );
  });
});
