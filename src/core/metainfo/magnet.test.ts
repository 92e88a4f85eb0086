import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../../lib/bytes.js';
import { buildMagnet, parseMagnet, parseSelect } from './magnet.js';

const V1 = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
const V2 = 'a'.repeat(64);

const parsed = (uri: string) => {
  const r = parseMagnet(uri);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
};

const errorCode = (uri: string): string | undefined => {
  const r = parseMagnet(uri);
  return r.ok ? undefined : r.error.code;
};

describe('parseMagnet', () => {
  it('reads btih in hex with name, trackers, web seeds, peers and select-only', () => {
    const m = parsed(
      `magnet:?xt=urn:btih:${V1}&dn=Star+Wreck%20In%20the%20Pirkinning&tr=udp%3A%2F%2F127.0.0.1%3A6969&tr.1=http://127.0.0.1/a` +
        '&ws=http%3A%2F%2F127.0.0.1%2Fmirror%2F&x.pe=127.0.0.1:6881&x.pe=[::1]:51413&so=0,2,4-6',
    );
    assert.equal(toHex(m.infoHashV1 as Uint8Array), V1);
    assert.equal(m.infoHashV2, undefined);
    assert.equal(m.name, 'Star Wreck In the Pirkinning');
    assert.deepEqual(m.trackers, ['udp://127.0.0.1:6969', 'http://127.0.0.1/a']);
    assert.deepEqual(m.webSeeds, ['http://127.0.0.1/mirror/']);
    assert.deepEqual(m.peers, ['127.0.0.1:6881', '[::1]:51413']);
    assert.deepEqual(m.select, [
      { first: 0, last: 0 },
      { first: 2, last: 2 },
      { first: 4, last: 6 },
    ]);
  });

  it('reads btih in base32', () => {
    // base32 of the 20 bytes above
    const b32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK';
    assert.equal(toHex(parsed(`magnet:?xt=urn:btih:${b32}`).infoHashV1 as Uint8Array), V1);
  });

  it('reads btmh (BEP 52) alone and next to btih (hybrid)', () => {
    const v2 = parsed(`magnet:?xt=urn:btmh:1220${V2}`);
    assert.equal(toHex(v2.infoHashV2 as Uint8Array), V2);
    assert.equal(v2.infoHashV1, undefined);
    const both = parsed(`magnet:?xt=urn:btih:${V1}&xt=urn:btmh:1220${V2}`);
    assert.ok(both.infoHashV1 !== undefined && both.infoHashV2 !== undefined);
  });

  it('ignores unknown parameters and other urn kinds', () => {
    const m = parsed(`magnet:?xt=urn:sha1:ABC&xt=urn:btih:${V1}&xl=1000&kt=film`);
    assert.equal(toHex(m.infoHashV1 as Uint8Array), V1);
  });

  it('refuses what is not a magnet link', () =>
    assert.equal(errorCode('http://example.invalid/'), 'MAGNET_BAD_URI'));
  it('refuses a magnet link with no info-hash', () =>
    assert.equal(errorCode('magnet:?dn=x'), 'MAGNET_NO_HASH'));
  it('refuses a malformed btih', () =>
    assert.equal(errorCode('magnet:?xt=urn:btih:1234'), 'MAGNET_BAD_URI'));
  it('refuses a btmh that is not SHA2-256', () =>
    assert.equal(errorCode(`magnet:?xt=urn:btmh:1114${V2}`), 'MAGNET_BAD_URI'));
  it('refuses broken percent-encoding', () =>
    assert.equal(errorCode(`magnet:?xt=urn:btih:${V1}&dn=%E0%A4%A`), 'MAGNET_BAD_URI'));
  it('refuses a peer without a port', () =>
    assert.equal(errorCode(`magnet:?xt=urn:btih:${V1}&x.pe=127.0.0.1`), 'MAGNET_BAD_URI'));
  it('refuses a port out of range', () =>
    assert.equal(errorCode(`magnet:?xt=urn:btih:${V1}&x.pe=127.0.0.1:70000`), 'MAGNET_BAD_URI'));
  it('refuses a malformed select-only list', () =>
    assert.equal(errorCode(`magnet:?xt=urn:btih:${V1}&so=3-1`), 'MAGNET_BAD_URI'));
  it('refuses an over-long link', () =>
    assert.equal(
      errorCode(`magnet:?xt=urn:btih:${V1}&dn=${'x'.repeat(70_000)}`),
      'MAGNET_BAD_URI',
    ));
});

describe('buildMagnet', () => {
  it('round-trips every field', () => {
    const m = parsed(
      `magnet:?xt=urn:btih:${V1}&xt=urn:btmh:1220${V2}&dn=A%20%26%20B&tr=http%3A%2F%2F127.0.0.1%2Fa%3Fk%3D1&ws=http%3A%2F%2F127.0.0.1%2F&x.pe=127.0.0.1%3A1&so=1-3`,
    );
    const again = parsed(buildMagnet(m));
    assert.deepEqual(again, m);
    assert.equal(again.name, 'A & B');
  });
});

describe('parseSelect', () => {
  it('refuses an empty list item', () => assert.equal(parseSelect('1,,2'), undefined));
});
