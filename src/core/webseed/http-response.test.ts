import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type HttpEvent, HttpResponseParser } from './http-response.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feeds `input` cut at `cuts`; returns the events with body bytes joined. */
const parse = (input: Uint8Array, cuts: readonly number[] = [], close = false) => {
  const parser = new HttpResponseParser();
  const events: HttpEvent[] = [];
  let body = '';
  const emit = (e: HttpEvent): void => {
    if (e.kind === 'body') body += new TextDecoder().decode(e.bytes);
    else events.push(e);
  };
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parser.feed(input.subarray(at, cut), emit);
    at = cut;
  }
  parser.feed(input.subarray(at), emit);
  if (close) parser.close(emit);
  return { kinds: events.map((e) => e.kind), events, body, done: parser.done };
};

const RANGE =
  'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 10\r\n\r\n0123456789';
const CHUNKED =
  'HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n0123\r\n6\r\n456789\r\n0\r\nX-Trailer: 1\r\n\r\n';

describe('HttpResponseParser', () => {
  it('reads a Content-Length body, and says whether the connection stays open', () => {
    const r = parse(bytes(RANGE));
    assert.deepEqual(r.kinds, ['head', 'end']);
    assert.equal(r.body, '0123456789');
    const head = r.events[0];
    assert.ok(head?.kind === 'head');
    assert.equal(head.status, 206);
    assert.equal(head.headers.get('content-range'), 'bytes 0-9/100');
    assert.equal(head.keepAlive, true);
    const closing = parse(
      bytes(RANGE.replace('Content-Length', 'Connection: close\r\nContent-Length')),
    );
    assert.equal(closing.events[0]?.kind === 'head' && closing.events[0].keepAlive, false);
  });

  it('reads a chunked body with extensions and trailers, and skips 100 Continue', () => {
    const r = parse(bytes(`HTTP/1.1 100 Continue\r\n\r\n${CHUNKED}`));
    assert.deepEqual(r.kinds, ['head', 'end']);
    assert.equal(r.body, '0123456789');
  });

  it('reads a body framed by the end of the connection', () => {
    const r = parse(bytes('HTTP/1.0 200 OK\r\n\r\nhello'), [], true);
    assert.deepEqual(r.kinds, ['head', 'end']);
    assert.equal(r.body, 'hello');
  });

  it('gives the same events however the bytes are cut', () => {
    for (const text of [RANGE, CHUNKED]) {
      const input = bytes(text);
      const whole = parse(input);
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: input.length }), { maxLength: 12 }),
          (cuts) => {
            const r = parse(input, cuts);
            assert.deepEqual(r.kinds, whole.kinds);
            assert.equal(r.body, whole.body);
          },
        ),
      );
    }
  });

  const hostile: Array<[string, string, RegExp]> = [
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /status line/],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n', /Content-Length/],
    [
      'two different Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      /Content-Length/,
    ],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', /header line/],
    [
      'a bad chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      /chunk size/,
    ],
    [
      'chunk data longer than its size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n',
      /longer than its size/,
    ],
    ['bytes after the response', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab', /after the end/],
  ];
  for (const [what, text, message] of hostile) {
    it(`refuses ${what}`, () => {
      const r = parse(bytes(text));
      const error = r.events.find((e) => e.kind === 'error');
      assert.ok(error?.kind === 'error', `no error for ${what}`);
      assert.match(error.message, message);
    });
  }

  it('refuses headers over the limit and a connection that ends too soon', () => {
    const long = parse(bytes(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`));
    assert.ok(long.events.some((e) => e.kind === 'error' && /over/.test(e.message)));
    const short = parse(bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), [], true);
    assert.ok(short.events.some((e) => e.kind === 'error' && /closed/.test(e.message)));
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (input) => {
        parse(input, [], true);
      }),
    );
  });
});
