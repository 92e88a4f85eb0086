import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseTorrent } from '../core/metainfo/parse.js';
import type { TorrentVersion } from '../core/metainfo/types.js';
import { unwrap } from '../lib/errors.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { createTorrent } from './create-torrent.js';
import { nodeHash } from './node-hash.js';
import { storageFor, verifyPieces } from './verify.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-verify-'));
  await mkdir(join(dir, 'show', 'sub'), { recursive: true });
  await writeFile(join(dir, 'show', 'a.bin'), pseudoRandomBytes(40_000, 1));
  await writeFile(join(dir, 'show', 'sub', 'b.bin'), pseudoRandomBytes(70_001, 2));
  await writeFile(join(dir, 'show', 'sub', 'empty'), '');
  await writeFile(join(dir, 'show', 'z.txt'), pseudoRandomBytes(100, 3));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const flipByte = async (path: string, at: number): Promise<void> => {
  const h = await open(path, 'r+');
  const b = new Uint8Array(1);
  await h.read(b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0xff;
  await h.write(b, 0, 1, at);
  await h.close();
};

for (const format of ['v1', 'v2', 'hybrid'] as TorrentVersion[]) {
  describe(`verifyPieces on a ${format} torrent`, () => {
    it('finds every piece good on intact data, and exactly the damaged piece bad', async () => {
      const created = await createTorrent(join(dir, 'show'), { format, pieceLength: 16 * 1024 });
      const meta = unwrap(parseTorrent(created.torrent, nodeHash));
      const storage = storageFor(meta, dir);
      const intact = await verifyPieces(meta, storage);
      assert.equal(intact.have.count, meta.pieceCount);
      assert.ok(intact.files.every((f) => f.complete));
      await flipByte(join(dir, 'show', 'sub', 'b.bin'), 20_000);
      await storage.close();
      const damaged = await verifyPieces(meta, storage);
      assert.equal(damaged.have.count, meta.pieceCount - 1);
      assert.deepEqual(
        damaged.files.filter((f) => !f.complete).map((f) => f.path.join('/')),
        ['sub/b.bin'],
      );
      await flipByte(join(dir, 'show', 'sub', 'b.bin'), 20_000);
      await storage.close();
    });
  });
}

describe('verifyPieces with files missing', () => {
  it('reports a missing empty file as incomplete', async () => {
    const created = await createTorrent(join(dir, 'show'), {
      format: 'v1',
      pieceLength: 16 * 1024,
    });
    const meta = unwrap(parseTorrent(created.torrent, nodeHash));
    await rm(join(dir, 'show', 'sub', 'empty'));
    const storage = storageFor(meta, dir);
    try {
      const result = await verifyPieces(meta, storage);
      assert.equal(result.have.count, meta.pieceCount);
      assert.deepEqual(
        result.files.filter((f) => !f.complete).map((f) => f.path.join('/')),
        ['sub/empty'],
      );
    } finally {
      await storage.close();
      await writeFile(join(dir, 'show', 'sub', 'empty'), '');
    }
  });

  it('counts the pieces of a missing file as bad instead of failing', async () => {
    const created = await createTorrent(join(dir, 'show'), {
      format: 'hybrid',
      pieceLength: 16 * 1024,
    });
    const meta = unwrap(parseTorrent(created.torrent, nodeHash));
    const storage = storageFor(meta, join(dir, 'elsewhere'));
    const result = await verifyPieces(meta, storage);
    await storage.close();
    assert.equal(result.have.count, 0);
    assert.ok(result.files.every((f) => f.length === 0 || !f.complete));
  });
});
