/** One contract, every Storage: memory and disk run the same suite. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { contiguousLayout, type Layout } from '../../core/geometry/layout.js';
import { FanseedError } from '../../lib/errors.js';
import { pseudoRandomBytes } from '../../lib/testing.js';
import { DiskStorage, filePaths } from './disk-storage.js';
import { MemoryStorage } from './memory-storage.js';
import type { Storage } from './storage.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Subject {
  readonly storage: Storage;
  /** The bytes of file i as stored (disk: read back from the file). */
  readonly fileBytes?: (i: number) => Promise<Uint8Array>;
}

const makers: Record<string, (layout: Layout, pad: boolean[]) => Promise<Subject>> = {
  memory: async (layout, pad) => ({ storage: new MemoryStorage(layout, pad) }),
  disk: async (layout, pad) => {
    const dir = await mkdtemp(join(tmpdir(), 'fanseed-storage-'));
    dirs.push(dir);
    const paths = filePaths(
      dir,
      'show',
      true,
      layout.files.map((_, i) => [`d${i % 2}`, `f${i}.bin`]),
    );
    // maxOpenFiles 2 exercises closing and reopening handles.
    const storage = new DiskStorage(layout, paths, pad, { maxOpenFiles: 2 });
    return { storage, fileBytes: async (i) => new Uint8Array(await readFile(paths[i] as string)) };
  },
};

for (const [kind, make] of Object.entries(makers)) {
  describe(`${kind} storage`, () => {
    const lengths = [10_000, 0, 40_000, 7];
    const layout = contiguousLayout(lengths, 16_384);
    const stream = pseudoRandomBytes(50_007, 3);

    it('writes blocks across file boundaries and reads them back byte for byte', async () => {
      const { storage, fileBytes } = await make(
        layout,
        lengths.map(() => false),
      );
      // Out of order, in odd-sized pieces, as blocks arrive from peers.
      for (const piece of [2, 0, 3, 1]) {
        const start = piece * 16_384;
        const data = stream.subarray(start, Math.min(start + 16_384, stream.length));
        for (let off = data.length; off > 0; off -= 5000) {
          const from = Math.max(0, off - 5000);
          await storage.write(piece, from, data.subarray(from, off));
        }
      }
      for (let piece = 0; piece < layout.pieceCount; piece++) {
        const start = piece * 16_384;
        const expected = stream.subarray(start, Math.min(start + 16_384, stream.length));
        assert.deepEqual(await storage.read(piece, 0, expected.length), expected);
      }
      assert.deepEqual(await storage.read(0, 9_990, 20), stream.subarray(9_990, 10_010));
      if (fileBytes !== undefined) {
        assert.deepEqual(await fileBytes(0), stream.subarray(0, 10_000));
        assert.deepEqual(await fileBytes(3), stream.subarray(50_000));
      }
      await storage.close();
      // Usable again after close.
      assert.deepEqual(await storage.read(1, 0, 10), stream.subarray(16_384, 16_394));
      await storage.close();
    });

    it('refuses to read what was never written', async () => {
      const { storage } = await make(
        layout,
        lengths.map(() => false),
      );
      await assert.rejects(
        storage.read(0, 0, 100),
        (e: unknown) => e instanceof FanseedError && e.code === 'IO_FAILED',
      );
      await storage.close();
    });

    it('refuses ranges outside the torrent', async () => {
      const { storage } = await make(
        layout,
        lengths.map(() => false),
      );
      await assert.rejects(
        storage.write(3, 800, new Uint8Array(100)),
        (e: unknown) => e instanceof FanseedError,
      );
      await assert.rejects(
        storage.write(9, 0, new Uint8Array(1)),
        (e: unknown) => e instanceof FanseedError,
      );
      await storage.close();
    });
  });
}

for (const [kind, make] of Object.entries(makers)) {
  describe(`${kind} storage with padding files`, () => {
    it('reads padding as zeros and never stores it', async () => {
      // A hybrid's v1 view: file, padding to the piece boundary, file.
      const layout = contiguousLayout([100, 16_384 - 100, 50], 16_384);
      const { storage } = await make(layout, [false, true, false]);
      await storage.write(0, 0, new Uint8Array(16_384).fill(9));
      const back = await storage.read(0, 0, 16_384);
      assert.deepEqual(back.subarray(0, 100), new Uint8Array(100).fill(9));
      assert.deepEqual(back.subarray(100), new Uint8Array(16_384 - 100));
      await storage.close();
    });
  });
}

describe('disk storage specifics', () => {
  it('never creates padding files and creates nothing before the first write', async () => {
    // A hybrid's v1 view: padding entries are files of the layout, flagged as padding.
    const layout = contiguousLayout([100, 16_384 - 100, 50], 16_384);
    const dir = await mkdtemp(join(tmpdir(), 'fanseed-storage-'));
    dirs.push(dir);
    const paths = filePaths(dir, 'show', true, [['a'], ['.pad', '16284'], ['b']]);
    const storage = new DiskStorage(layout, paths, [false, true, false]);
    await assert.rejects(stat(paths[0] as string));
    await storage.write(1, 0, new Uint8Array(50).fill(7));
    await assert.rejects(stat(paths[1] as string));
    assert.equal((await stat(paths[2] as string)).size, 50);
    await storage.close();
  });

  it('refuses a path that resolves outside the download folder', () => {
    assert.throws(
      () => filePaths('/tmp/x', 'show', true, [['..', '..', 'etc']]),
      (e: unknown) => e instanceof FanseedError && e.code === 'META_PATH_ESCAPE',
    );
  });
});
