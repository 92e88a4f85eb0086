import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from './main.js';
import type { CliIo } from './output.js';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
};

const run = async (...argv: string[]) => {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out.join(''), err: c.err.join('') };
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-cli-tracker-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fanseed tracker', () => {
  it('prints its help, exit 0', async () => {
    const r = await run('tracker', '--help');
    assert.equal(r.code, 0);
    for (const flag of [
      '--host',
      '--http-port',
      '--udp-port',
      '--allow-list',
      '--stats-file',
      '--passkeys',
      '--admin-token-file',
    ]) {
      assert.match(r.out, new RegExp(flag));
    }
  });

  it('exits 2 on a usage error, naming the flag', async () => {
    for (const [args, pattern] of [
      [['--http-port', 'eighty'], /--port eighty/],
      [['--interval', '5'], /--interval 5/],
      [['--max-torrents', '0'], /--max-torrents 0/],
      [['--no-http', '--no-udp'], /nothing to serve/],
    ] as const) {
      const r = await run('tracker', ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, pattern);
    }
    const short = join(dir, 'short-token');
    await writeFile(short, 'tiny\n');
    assert.equal((await run('tracker', '--admin-token-file', short)).code, 2);
    assert.equal((await run('tracker', '--admin-token-file', join(dir, 'missing'))).code, 1);
    assert.equal(
      (
        await run(
          'tracker',
          '--allow-list',
          join(dir, 'missing'),
          '--http-port',
          '0',
          '--udp-port',
          '0',
        )
      ).code,
      1,
    );
  });

  it('serves on port 0, prints its URLs once, stops on SIGTERM saving the statistics', async () => {
    const statsFile = join(dir, 'stats.bin');
    const c = capture();
    const running = main(
      ['tracker', '--http-port', '0', '--udp-port', '0', '--json', '--stats-file', statsFile],
      c.io,
    );
    const deadline = Date.now() + 5000;
    while (!c.out.join('').includes('listening') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const line = JSON.parse(c.out[0] as string) as {
      event: string;
      http: string;
      udp: string;
      httpPort: number;
    };
    assert.equal(line.event, 'listening');
    assert.match(line.http, /^http:\/\/127\.0\.0\.1:\d+\/announce$/);
    assert.match(line.udp, /^udp:\/\/127\.0\.0\.1:\d+\/announce$/);
    assert.ok(line.httpPort > 0);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await running, 0);
    assert.deepEqual(JSON.parse(c.out[c.out.length - 1] as string), {
      event: 'stopped',
      signal: 'SIGTERM',
    });
    assert.ok((await stat(statsFile)).size > 0);
  });
});
