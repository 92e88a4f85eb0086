import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { HttpPool } from './http-pool.js';

const server = createServer((_req, res) => {
  res.writeHead(206, { 'content-range': 'bytes 0-4/5', 'content-length': '5' });
  res.end('hello');
});
let connections = 0;
server.on('connection', () => connections++);

after(() => {
  server.closeAllConnections();
  server.close();
});

const listening = new Promise<number>((resolve) =>
  server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
);

const get = (pool: HttpPool, path: string, timeoutMs = 5000): Promise<string> => {
  let body = '';
  return pool
    .request({
      head: `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`,
      timeoutMs,
      signal: new AbortController().signal,
      onHead: () => {},
      onBody: (bytes) => {
        body += Buffer.from(bytes).toString();
      },
    })
    .then(() => body);
};

describe('HttpPool', () => {
  it('carries many requests over one kept-alive connection, listeners and all', async () => {
    const pool = new HttpPool('127.0.0.1', await listening, 4);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    const before = connections;
    for (let i = 0; i < 30; i++) assert.equal(await get(pool, '/'), 'hello');
    process.off('warning', onWarning);
    assert.equal(connections - before, 1, 'one connection for all');
    assert.deepEqual(warnings, []);
    pool.close();
  });

  it('fails a request that gets no answer in time, and the pool goes on', async () => {
    const pool = new HttpPool('127.0.0.1', await listening, 4);
    const stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', () => resolve()));
    const silent = new HttpPool('127.0.0.1', (stalled.address() as AddressInfo).port, 4);
    await assert.rejects(get(silent, '/', 200), /no answer/);
    silent.close();
    stalled.closeAllConnections();
    stalled.close();
    assert.equal(await get(pool, '/'), 'hello');
    pool.close();
  });
});
