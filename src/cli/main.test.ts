import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pseudoRandomBytes } from '../lib/testing.js';
import type { InfoJson } from './info.js';
import { main } from './main.js';
import type { CliIo } from './output.js';

const run = async (...argv: string[]) => {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), isTty: false };
  const code = await main(argv, io);
  return { code, out, err };
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-cli-'));
  await writeFile(join(dir, 'pilot.mkv'), pseudoRandomBytes(100_000, 7));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fanseed CLI', () => {
  it('prints help for the program and for each command, exit 0', async () => {
    const top = await run('--help');
    assert.equal(top.code, 0);
    assert.match(top.out, /create/);
    assert.match(top.out, /info/);
    for (const command of ['create', 'info', 'verify', 'download', 'seed']) {
      const r = await run(command, '--help');
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`Usage: fanseed ${command}`));
    }
  });

  it('exits 2 on a usage error, saying what is wrong', async () => {
    const r = await run('create');
    assert.equal(r.code, 2);
    assert.match(r.err, /missing required argument/);
    assert.equal((await run('frobnicate')).code, 2);
    assert.equal((await run('create', join(dir, 'pilot.mkv'), '-f', 'v3')).code, 2);
    const bad = await run('create', join(dir, 'pilot.mkv'), '--piece-length', 'lots');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--piece-length lots/);
    const torrent = join(dir, 'limits.torrent');
    assert.equal((await run('create', join(dir, 'pilot.mkv'), '-o', torrent)).code, 0);
    for (const [flag, value] of [
      ['--download-limit', 'fast'],
      ['--upload-limit', '-3'],
      ['--max-peers', '0'],
    ] as const) {
      const r = await run('download', torrent, '-o', dir, flag, value);
      assert.equal(r.code, 2, `${flag} ${value}`);
      assert.match(r.err, new RegExp(`${flag} ${value}`));
    }
  });

  it('creates a torrent, then info --json describes it with every documented key', async () => {
    const out = join(dir, 'pilot.torrent');
    const created = await run(
      'create',
      join(dir, 'pilot.mkv'),
      '-o',
      out,
      '-a',
      'http://127.0.0.1:6969/announce',
      '-w',
      'http://127.0.0.1/pilot.mkv',
    );
    assert.equal(created.code, 0, created.err);
    const info = await run('info', out, '--json');
    assert.equal(info.code, 0, info.err);
    const j = JSON.parse(info.out) as InfoJson;
    assert.equal(j.name, 'pilot.mkv');
    assert.match(j.infoHashV1 ?? '', /^[0-9a-f]{40}$/);
    assert.match(j.infoHashV2 ?? '', /^[0-9a-f]{64}$/);
    assert.equal(j.length, 100_000);
    assert.equal(j.pieceLength, 16 * 1024);
    assert.equal(j.pieces, 7);
    assert.deepEqual(j.files, [{ path: ['pilot.mkv'], length: 100_000 }]);
    assert.deepEqual(j.announce, ['http://127.0.0.1:6969/announce']);
    assert.deepEqual(j.urlList, ['http://127.0.0.1/pilot.mkv']);
    assert.match(
      j.magnet,
      new RegExp(`^magnet:\\?xt=urn:btih:${j.infoHashV1}&xt=urn:btmh:1220${j.infoHashV2}`),
    );
  });

  it('describes a magnet link with null where a torrent file would say more', async () => {
    const r = await run(
      'info',
      '--json',
      'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Pilot',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as InfoJson;
    assert.equal(j.name, 'Pilot');
    assert.equal(j.infoHashV2, null);
    assert.equal(j.length, null);
    assert.equal(j.files, null);
  });

  it('prints a human summary by default', async () => {
    const r = await run('info', join(dir, 'pilot.torrent'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^name: +pilot\.mkv$/m);
    assert.match(r.out, /^magnet: +magnet:\?/m);
  });

  it('refuses to overwrite an existing torrent without --force', async () => {
    const out = join(dir, 'pilot.torrent');
    const again = await run('create', join(dir, 'pilot.mkv'), '-o', out);
    assert.equal(again.code, 1);
    assert.match(again.err, /exists already/);
    assert.equal((await run('create', join(dir, 'pilot.mkv'), '-o', out, '--force')).code, 0);
  });

  it('fails with one line and exit 1 on a missing or broken torrent, no stack trace', async () => {
    const missing = await run('info', join(dir, 'nope.torrent'));
    assert.equal(missing.code, 1);
    assert.equal(missing.err.trim().split('\n').length, 1);
    await writeFile(join(dir, 'broken.torrent'), 'd4:infod4:name');
    const broken = await run('info', join(dir, 'broken.torrent'));
    assert.equal(broken.code, 1);
    assert.match(broken.err, /^fanseed: .*byte \d+/);
    assert.doesNotMatch(broken.err, /\n\s+at /);
    const debug = await run('--debug', 'info', join(dir, 'broken.torrent'));
    assert.match(debug.err, /BENCODE_TRUNCATED/);
  });
});

describe('fanseed verify', () => {
  it('exits 0 when every piece is good and 1 naming the damage otherwise', async () => {
    const torrent = join(dir, 'verify.torrent');
    assert.equal((await run('create', join(dir, 'pilot.mkv'), '-o', torrent, '-l', '16K')).code, 0);
    const good = await run('verify', torrent, '-p', dir, '--json');
    assert.equal(good.code, 0, good.err);
    const j = JSON.parse(good.out) as { complete: boolean; good: number; pieces: number };
    assert.equal(j.complete, true);
    assert.equal(j.good, j.pieces);
    const elsewhere = await run('verify', torrent, '-p', join(dir, 'nowhere'));
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.out, /0 of 7 pieces good/);
    assert.match(elsewhere.out, /MISSING/);
    assert.match(elsewhere.err, /7 of 7 pieces are missing or damaged/);
  });
});
