import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes } from '../../lib/bytes.js';
import type { ErrorCode } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import { parseIp } from './address.js';
import { type AnnounceParams, buildAnnounceUrl, buildScrapeUrl, scrapeUrlFor } from './http-url.js';

const hash = (fill: number): InfoHashV1 => infoHashV1(new Uint8Array(20).fill(fill)) as InfoHashV1;

const params: AnnounceParams = {
  infoHash: hash(0xaa),
  peerId: binaryToBytes('-FS0001-abcdefghijkl'),
  port: 6881,
  uploaded: 10,
  downloaded: 20,
  left: 30,
};

const HASH_AA = '%AA'.repeat(20);

const url = (base: string, extra: Partial<AnnounceParams> = {}): string => {
  const r = buildAnnounceUrl(base, { ...params, ...extra });
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
};

const refuses = (base: string, extra: Partial<AnnounceParams>, code: ErrorCode): void => {
  const r = buildAnnounceUrl(base, { ...params, ...extra });
  assert.ok(!r.ok, 'expected a refusal');
  assert.equal(r.error.code, code);
};

describe('buildAnnounceUrl', () => {
  it('adds the BEP 3 parameters with raw bytes percent-encoded, compact by default', () => {
    assert.equal(
      url('http://tracker.example/announce'),
      `http://tracker.example/announce?info_hash=${HASH_AA}&peer_id=-FS0001-abcdefghijkl` +
        '&port=6881&uploaded=10&downloaded=20&left=30&compact=1',
    );
  });

  it('keeps a query the tracker URL already has, such as a passkey', () => {
    assert.ok(
      url('https://t.example/announce.php?passkey=s3cr3t').startsWith(
        `https://t.example/announce.php?passkey=s3cr3t&info_hash=${HASH_AA}&`,
      ),
    );
    assert.ok(url('http://t.example/a?').startsWith('http://t.example/a?info_hash='));
    assert.ok(url('http://t.example/a?x=1&').startsWith('http://t.example/a?x=1&info_hash='));
  });

  it('drops a fragment, which is never sent to the server', () => {
    assert.ok(
      url('http://t.example/announce#frag').startsWith('http://t.example/announce?info_hash='),
    );
  });

  it('sends the event, except for a regular announce', () => {
    assert.match(url('http://t/announce', { event: 'started' }), /&event=started&/);
    assert.match(url('http://t/announce', { event: 'paused' }), /&event=paused&/);
    assert.doesNotMatch(url('http://t/announce', { event: 'none' }), /event=/);
  });

  it('sends the optional parameters when given', () => {
    const u = url('http://t/announce', {
      compact: false,
      noPeerId: true,
      numwant: 80,
      key: 'ABCD1234',
      trackerId: Uint8Array.of(0x00, 0x41, 0xff),
      ip: parseIp('2001:db8::1'),
    });
    assert.ok(
      u.endsWith(
        '&compact=0&no_peer_id=1&numwant=80&key=ABCD1234&trackerid=%00A%FF&ip=2001%3Adb8%3A%3A1',
      ),
      u,
    );
  });

  it('refuses a URL that is not http or https', () => {
    refuses('udp://t.example:80/announce', {}, 'TRACKER_BAD_REQUEST');
    refuses('t.example/announce', {}, 'TRACKER_BAD_REQUEST');
  });

  it('refuses a peer id or info-hash of the wrong length', () => {
    refuses('http://t/announce', { peerId: new Uint8Array(19) }, 'TRACKER_BAD_REQUEST');
    refuses(
      'http://t/announce',
      { infoHash: new Uint8Array(21) as InfoHashV1 },
      'TRACKER_BAD_REQUEST',
    );
  });

  it('refuses ports outside 1..65535 and counters that are not non-negative integers', () => {
    refuses('http://t/announce', { port: 0 }, 'TRACKER_BAD_REQUEST');
    refuses('http://t/announce', { port: 70000 }, 'TRACKER_BAD_REQUEST');
    refuses('http://t/announce', { uploaded: -1 }, 'TRACKER_BAD_REQUEST');
    refuses('http://t/announce', { left: 1.5 }, 'TRACKER_BAD_REQUEST');
    refuses('http://t/announce', { downloaded: Number.NaN }, 'TRACKER_BAD_REQUEST');
    refuses('http://t/announce', { numwant: -1 }, 'TRACKER_BAD_REQUEST');
  });
});

describe('scrapeUrlFor (BEP 48 convention)', () => {
  it('replaces a last path segment starting with "announce" by "scrape"', () => {
    const cases: Array<[string, string | undefined]> = [
      ['http://example.com/announce', 'http://example.com/scrape'],
      ['http://example.com/x/announce', 'http://example.com/x/scrape'],
      ['http://example.com/announce.php', 'http://example.com/scrape.php'],
      ['http://example.com/announce?x2%0644', 'http://example.com/scrape?x2%0644'],
      ['http://example.com/announce?x=2/4', 'http://example.com/scrape?x=2/4'],
      [
        'https://example.com:8443/p/announce?passkey=1',
        'https://example.com:8443/p/scrape?passkey=1',
      ],
    ];
    for (const [announce, scrape] of cases) assert.equal(scrapeUrlFor(announce), scrape, announce);
  });

  it('finds no scrape when the last segment does not start with "announce"', () => {
    for (const announce of [
      'http://example.com/a',
      'http://example.com/x%064announce',
      'http://example.com/announce/x',
      'http://example.com/',
    ]) {
      assert.equal(scrapeUrlFor(announce), undefined, announce);
    }
  });

  it('looks at the path only, not at the host', () => {
    assert.equal(scrapeUrlFor('http://announce.example.com'), undefined);
    assert.equal(scrapeUrlFor('http://announce.example.com/'), undefined);
  });

  it('finds no scrape for UDP trackers, which scrape over BEP 15', () => {
    assert.equal(scrapeUrlFor('udp://t.example:80/announce'), undefined);
  });
});

describe('buildScrapeUrl', () => {
  it('asks for several torrents with one info_hash each, keeping the query', () => {
    assert.equal(
      buildScrapeUrl('http://t/scrape?passkey=1', [hash(1), hash(0x41)]),
      `http://t/scrape?passkey=1&info_hash=${'%01'.repeat(20)}&info_hash=${'A'.repeat(20)}`,
    );
  });
});
