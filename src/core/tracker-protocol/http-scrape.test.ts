import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binaryToBytes, bytesToBinary } from '../../lib/bytes.js';
import type { ErrorCode } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import { encodeScrapeResponse, parseScrapeResponse, type ScrapeResponse } from './http-scrape.js';

const b = (text: string): Uint8Array => binaryToBytes(text);
const hash = (fill: number): InfoHashV1 => infoHashV1(new Uint8Array(20).fill(fill)) as InfoHashV1;
const key = (fill: number): string => `20:${String.fromCharCode(fill).repeat(20)}`;

const parsed = (text: string): ScrapeResponse => {
  const r = parseScrapeResponse(b(text));
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

const refuses = (text: string, code: ErrorCode): void => {
  const r = parseScrapeResponse(b(text));
  assert.ok(!r.ok, 'expected a refusal');
  assert.equal(r.error.code, code);
};

describe('parseScrapeResponse', () => {
  it('reads the files dictionary of BEP 48', () => {
    const r = parsed(
      `d5:filesd${key(1)}d8:completei5e10:downloadedi50e10:incompletei10ee` +
        `${key(2)}d8:completei0e10:downloadedi0e10:incompletei1eeee`,
    );
    assert.deepEqual(r, {
      files: [
        { infoHash: hash(1), complete: 5, downloaded: 50, incomplete: 10 },
        { infoHash: hash(2), complete: 0, downloaded: 0, incomplete: 1 },
      ],
    });
  });

  it('reads flags.min_request_interval', () => {
    assert.equal(
      parsed('d5:filesde5:flagsd20:min_request_intervali900eee').minRequestInterval,
      900,
    );
  });

  it('reads a missing count as 0 and ignores extra fields such as name', () => {
    assert.deepEqual(parsed(`d5:filesd${key(3)}d8:completei1e4:name1:xeee`).files, [
      { infoHash: hash(3), complete: 1, downloaded: 0, incomplete: 0 },
    ]);
  });

  it('skips keys that cannot be a v1 info-hash', () => {
    assert.deepEqual(parsed('d5:filesd3:abcd8:completei1eeee').files, []);
  });

  it('returns a failure reason as TRACKER_FAILURE', () => {
    refuses('d14:failure reason8:disablede', 'TRACKER_FAILURE');
  });

  it('refuses a response without files, or with malformed entries', () => {
    refuses('de', 'TRACKER_BAD_RESPONSE');
    refuses('d5:filesle', 'TRACKER_BAD_RESPONSE');
    refuses(`d5:filesd${key(1)}i1eee`, 'TRACKER_BAD_RESPONSE');
    refuses(`d5:filesd${key(1)}d8:complete1:xeee`, 'TRACKER_BAD_RESPONSE');
  });

  it('refuses more files than the limit', () => {
    const r = parseScrapeResponse(b(`d5:filesd${key(1)}de${key(2)}deee`), { maxFiles: 1 });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'TRACKER_BAD_RESPONSE');
  });
});

describe('encodeScrapeResponse', () => {
  it('writes files keyed by raw hash in byte order, with flags when given', () => {
    const r = encodeScrapeResponse({
      files: [
        { infoHash: hash(2), complete: 1, downloaded: 2, incomplete: 3 },
        { infoHash: hash(1), complete: 0, downloaded: 0, incomplete: 0 },
      ],
      minRequestInterval: 60,
    });
    assert.ok(r.ok);
    assert.equal(
      bytesToBinary(r.value),
      `d5:filesd${key(1)}d8:completei0e10:downloadedi0e10:incompletei0ee` +
        `${key(2)}d8:completei1e10:downloadedi2e10:incompletei3eee` +
        '5:flagsd20:min_request_intervali60eee',
    );
  });

  it('writes an empty files dictionary for no torrents', () => {
    const r = encodeScrapeResponse({ files: [] });
    assert.ok(r.ok);
    assert.equal(bytesToBinary(r.value), 'd5:filesdee');
  });
});
