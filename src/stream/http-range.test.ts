import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { notModified, parseRange, planResponse, rangeStillValid } from './http-range.js';

describe('parseRange', () => {
  it('reads start, middle, open-ended and suffix ranges', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { kind: 'partial', start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=3-6', 10), { kind: 'partial', start: 3, end: 6 });
    assert.deepEqual(parseRange('bytes=7-', 10), { kind: 'partial', start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=-4', 10), { kind: 'partial', start: 6, end: 9 });
    assert.deepEqual(parseRange('bytes=-40', 10), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=5-400', 10), { kind: 'partial', start: 5, end: 9 });
  });

  it('answers 416 for ranges past the end, backwards, or empty suffixes', () => {
    assert.equal(parseRange('bytes=10-', 10).kind, 'unsatisfiable');
    assert.equal(parseRange('bytes=6-3', 10).kind, 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 10).kind, 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0).kind, 'unsatisfiable');
    assert.equal(parseRange('bytes=99999999999999999-', 10).kind, 'unsatisfiable');
  });

  it('ignores what is not one byte range: other units, several ranges, garbage', () => {
    for (const h of [
      undefined,
      'items=0-1',
      'bytes=0-1,4-5',
      'bytes=a-b',
      'bytes=-',
      'x'.repeat(300),
    ])
      assert.equal(parseRange(h, 10).kind, 'full', String(h));
  });

  it('never answers a range outside the body', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.nat(1e9), (h, size) => {
        const r = parseRange(`bytes=${h}`, size);
        if (r.kind === 'partial') assert.ok(r.start >= 0 && r.start <= r.end && r.end < size);
      }),
    );
  });
});

describe('conditional requests', () => {
  const v = { etag: '"abc"', lastModified: new Date('2026-01-02T03:04:05Z') };

  it('If-None-Match and If-Modified-Since make a 304', () => {
    assert.ok(notModified({ 'if-none-match': '"x", "abc"' }, v));
    assert.ok(notModified({ 'if-none-match': 'W/"abc"' }, v));
    assert.ok(!notModified({ 'if-none-match': '"x"' }, v));
    assert.ok(notModified({ 'if-modified-since': 'Fri, 02 Jan 2026 03:04:05 GMT' }, v));
    assert.ok(!notModified({ 'if-modified-since': 'Fri, 02 Jan 2026 03:04:04 GMT' }, v));
    assert.equal(planResponse({ 'if-none-match': '"abc"' }, 10, v, 'video/mp4').status, 304);
  });

  it('If-Range keeps the range only while the validator matches', () => {
    assert.ok(rangeStillValid({ 'if-range': '"abc"' }, v));
    assert.ok(!rangeStillValid({ 'if-range': '"old"' }, v));
    assert.ok(rangeStillValid({ 'if-range': v.lastModified.toUTCString() }, v));
    const stale = planResponse({ range: 'bytes=2-3', 'if-range': '"old"' }, 10, v, 'video/mp4');
    assert.equal(stale.status, 200);
    assert.deepEqual(stale.range, { start: 0, end: 9 });
  });

  it('plans 206 with Content-Range and 416 with the size', () => {
    const p = planResponse({ range: 'bytes=2-3' }, 10, v, 'video/webm');
    assert.equal(p.status, 206);
    assert.equal(p.headers['content-range'], 'bytes 2-3/10');
    assert.equal(p.headers['content-length'], '2');
    assert.equal(p.headers['content-type'], 'video/webm');
    const no = planResponse({ range: 'bytes=20-' }, 10, v, 'video/webm');
    assert.equal(no.status, 416);
    assert.equal(no.headers['content-range'], 'bytes */10');
  });
});
