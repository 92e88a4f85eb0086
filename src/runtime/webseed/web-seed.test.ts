/**
 * The web-seed client against small HTTP servers on 127.0.0.1 that misbehave on purpose: it
 * follows redirects, backs off and retries after a 503, gives up on a 404, on a server that
 * ignores Range, that sends another range or more bytes than asked for, and a cancel before the
 * fetch becomes a reject.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Metainfo } from '../../core/metainfo/types.js';
import { torrentLayout } from '../../core/torrent/torrent-layout.js';
import type { ValidPeerMessage } from '../../core/wire/validate.js';
import { pseudoRandomBytes } from '../../lib/testing.js';
import { retryAfterMs } from './http-range-get.js';
import { WebSeed } from './web-seed.js';

const PIECE = 32_768;
const data = pseudoRandomBytes(3 * PIECE + 1000, 9);
const meta = {
  version: 'v1',
  name: 'clip.webm',
  multiFile: false,
  pieceLength: PIECE,
  pieceCount: 4,
  length: data.length,
  files: [
    { path: ['clip.webm'], length: data.length, offset: 0, pad: false, piecesRoot: undefined },
  ],
} as unknown as Metainfo;
const layout = torrentLayout(meta);
const servers: Server[] = [];

after(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const serve = async (
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<string> => {
  let n = 0;
  const server = createServer((req, res) => handler(req, res, n++));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
};

/** Answers a Range request honestly from `data`. */
const honest = (req: IncomingMessage, res: ServerResponse): void => {
  const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  res.writeHead(206, {
    'content-range': `bytes ${start}-${end}/${data.length}`,
    'content-length': String(end - start + 1),
  });
  res.end(data.subarray(start, end + 1));
};

interface Run {
  seed: WebSeed;
  messages: ValidPeerMessage[];
  closed: Promise<string>;
}

const run = (url: string): Run => {
  const messages: ValidPeerMessage[] = [];
  let close: (reason: string) => void = () => {};
  const closed = new Promise<string>((resolve) => {
    close = resolve;
  });
  const seed = new WebSeed(
    { url, meta, layout, backoffMs: [50, 200], timeoutMs: 5000 },
    {
      message: (m) => messages.push(m),
      batchEnd: () => {},
      received: () => 0,
      closed: (r) => close(r),
    },
  );
  seed.start();
  return { seed, messages, closed };
};

const requestPiece = (seed: WebSeed, piece: number): void => {
  const size = Math.min(PIECE, data.length - piece * PIECE);
  for (let begin = 0; begin < size; begin += 16_384)
    seed.send({ kind: 'request', index: piece, begin, length: Math.min(16_384, size - begin) });
};

const pieces = (r: Run): ValidPeerMessage[] => r.messages.filter((m) => m.kind === 'piece');

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('WebSeed', () => {
  it('says it has everything and unchokes, then fetches requested blocks as one range', async () => {
    const ranges: string[] = [];
    const r = run(
      await serve((req, res) => {
        ranges.push(req.headers.range ?? '');
        honest(req, res);
      }),
    );
    assert.deepEqual(r.messages.slice(0, 2), [{ kind: 'have-all' }, { kind: 'unchoke' }]);
    requestPiece(r.seed, 1);
    requestPiece(r.seed, 2);
    await until(() => pieces(r).length === 4);
    assert.deepEqual(ranges, [`bytes=${PIECE}-${3 * PIECE - 1}`]);
    for (const m of pieces(r)) {
      if (m.kind !== 'piece') continue;
      const at = m.index * PIECE + m.begin;
      assert.deepEqual(Buffer.from(m.block), Buffer.from(data.subarray(at, at + m.block.length)));
    }
    r.seed.close();
  });

  it('follows a redirect to the file', async () => {
    const target = await serve(honest);
    const r = run(
      await serve((_req, res) => {
        res.writeHead(302, { location: `${target}elsewhere/clip.webm` });
        res.end();
      }),
    );
    requestPiece(r.seed, 3);
    await until(() => pieces(r).length === 1);
    r.seed.close();
  });

  it('backs off after a 503 (choke, rejects), then unchokes and serves', async () => {
    const r = run(
      await serve((req, res, n) => {
        if (n === 0) {
          res.writeHead(503);
          res.end();
        } else honest(req, res);
      }),
    );
    requestPiece(r.seed, 0);
    await until(() => r.messages.some((m) => m.kind === 'choke'));
    await until(() => r.messages.filter((m) => m.kind === 'reject').length === 2);
    await until(() => r.messages.filter((m) => m.kind === 'unchoke').length === 2);
    requestPiece(r.seed, 0);
    await until(() => pieces(r).length === 2);
    r.seed.close();
  });

  it("waits as long as a busy mirror's Retry-After asks, not just its own back-off", async () => {
    const r = run(
      await serve((req, res, n) => {
        if (n === 0) {
          res.writeHead(503, { 'retry-after': '1' });
          res.end();
        } else honest(req, res);
      }),
    );
    requestPiece(r.seed, 0);
    await until(() => r.messages.some((m) => m.kind === 'choke'));
    const choked = performance.now();
    await until(() => r.messages.filter((m) => m.kind === 'unchoke').length === 2, 5000);
    // Its own back-off here is 50 ms; the mirror asked for a second.
    assert.ok(performance.now() - choked >= 900, 'unchoked before the Retry-After');
    r.seed.close();
  });

  it('reads Retry-After as seconds or a date, bounded', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('2', now), 2000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('999999', now), 600_000);
    for (const v of [undefined, '', 'soon', '-5', '0'])
      assert.equal(retryAfterMs(v, now), undefined);
  });

  it('refuses a cancelled request that was not fetched yet', async () => {
    const r = run(await serve(honest));
    r.seed.send({ kind: 'request', index: 0, begin: 0, length: 16_384 });
    r.seed.send({ kind: 'cancel', index: 0, begin: 0, length: 16_384 });
    await until(() => r.messages.some((m) => m.kind === 'reject'));
    assert.equal(pieces(r).length, 0);
    r.seed.close();
  });

  const hostile: Array<[string, (req: IncomingMessage, res: ServerResponse) => void, RegExp]> = [
    [
      'a 404',
      (_q, res) => {
        res.writeHead(404);
        res.end();
      },
      /HTTP 404/,
    ],
    [
      'a server that ignores Range',
      (_q, res) => {
        res.writeHead(200);
        res.end(data);
      },
      /ignores range/,
    ],
    [
      'another range than asked',
      (_q, res) => {
        res.writeHead(206, { 'content-range': `bytes 0-99/${data.length}` });
        res.end(data.subarray(0, 100));
      },
      /not the one asked for/,
    ],
    [
      'a file of another size',
      (req, res) => {
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
        res.writeHead(206, { 'content-range': `bytes ${m?.[1]}-${m?.[2]}/5` });
        res.end();
      },
      /the torrent says/,
    ],
    [
      'more bytes than asked for',
      (req, res) => {
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
        res.writeHead(206, { 'content-range': `bytes ${m?.[1]}-${m?.[2]}/${data.length}` });
        res.end(pseudoRandomBytes(50_000, 1));
      },
      /more than/,
    ],
  ];
  for (const [what, handler, reason] of hostile) {
    it(`gives up on ${what}`, async () => {
      const r = run(await serve(handler));
      requestPiece(r.seed, 0);
      assert.match(await r.closed, reason);
    });
  }
});
