import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Layout, pieceSpans } from '../../core/geometry/layout.js';
import { BLOCK_SIZE, merkleRoot, pieceTreeWidth } from '../../core/merkle/merkle.js';
import { buildTorrent, type CreateFile, planTorrent } from '../../core/metainfo/create.js';
import { parseTorrent } from '../../core/metainfo/parse.js';
import type { Metainfo, TorrentVersion } from '../../core/metainfo/types.js';
import type { PieceVerdict } from '../../core/torrent/piece-check.js';
import { torrentLayout } from '../../core/torrent/torrent-layout.js';
import { concatBytes } from '../../lib/bytes.js';
import { FanseedError, unwrap } from '../../lib/errors.js';
import { pseudoRandomBytes } from '../../lib/testing.js';
import { nodeHash } from '../node-hash.js';
import { PieceCheckPool } from './piece-check-pool.js';

const PIECE = 32 * 1024;
// Files of several pieces (piece layers), of one piece (checked against the pieces root), and
// one of 100 bytes: a piece small enough to come from Node's Buffer pool.
const FILES: ReadonlyArray<readonly [string, number]> = [
  ['a.bin', 3 * PIECE + 5_000],
  ['b.bin', 20_000],
  ['c.txt', 100],
  ['d/e.bin', 2 * PIECE],
];

interface InMemoryTorrent {
  readonly bytes: Uint8Array;
  readonly meta: Metainfo;
  /** The bytes of a piece as the torrent requests them (padding left out). */
  readonly piece: (index: number) => Uint8Array;
}

const contents = new Map(
  FILES.map(([path, length], i) => [path, pseudoRandomBytes(length, i + 1)]),
);
const fileBytes = (path: readonly string[]): Uint8Array =>
  contents.get(path.join('/')) ?? new Uint8Array(0);

const spanBytes = (layout: Layout, paths: ReadonlyArray<readonly string[]>, index: number) =>
  pieceSpans(layout, index).spans.map((s) =>
    fileBytes(paths[s.file] ?? []).subarray(s.fileOffset, s.fileOffset + s.length),
  );

/** A torrent built without touching the disk: plan, hash the contents here, build, parse. */
const inMemoryTorrent = (format: TorrentVersion): InMemoryTorrent => {
  const files: CreateFile[] = FILES.map(([path, length]) => ({ path: path.split('/'), length }));
  const plan = unwrap(planTorrent('show', false, files, { format, pieceLength: PIECE }));
  const paths = plan.files.map((f) => f.path);
  const count = plan.layout.pieceCount;
  const v1 = plan.needV1 ? new Uint8Array(count * 20) : undefined;
  const v2 = plan.needV2 ? new Uint8Array(count * 32) : undefined;
  for (let i = 0; i < count; i++) {
    const data = concatBytes(spanBytes(plan.layout, paths, i));
    const { spans, zeroPad } = pieceSpans(plan.layout, i);
    v1?.set(nodeHash.sha1(concatBytes([data, new Uint8Array(zeroPad)])), i * 20);
    if (v2 === undefined) continue;
    const leaves: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += BLOCK_SIZE)
      leaves.push(nodeHash.sha256(data.subarray(at, at + BLOCK_SIZE)));
    const fileLength = plan.layout.files[spans[0]?.file ?? 0]?.length ?? 0;
    v2.set(merkleRoot(nodeHash.sha256, leaves, pieceTreeWidth(PIECE, fileLength)), i * 32);
  }
  const bytes = buildTorrent(plan, { v1, v2 }, nodeHash);
  const meta = unwrap(parseTorrent(bytes, nodeHash));
  const t = torrentLayout(meta);
  const real = meta.files.map((f) => (f.pad ? [] : f.path));
  return { bytes, meta, piece: (index) => concatBytes(spanBytes(t.layout, real, index)) };
};

const flipped = (data: Uint8Array, at: number): Uint8Array => {
  const out = new Uint8Array(data);
  out[at] = (out[at] ?? 0) ^ 0xff;
  return out;
};

const isCode = (code: string) => (e: unknown) => e instanceof FanseedError && e.code === code;

for (const format of ['v1', 'v2', 'hybrid'] as const) {
  describe(`PieceCheckPool on a ${format} torrent`, () => {
    const torrent = inMemoryTorrent(format);
    const { meta } = torrent;

    it('finds every intact piece good and hands back the same bytes', async () => {
      assert.equal(meta.version, format);
      const pool = new PieceCheckPool(meta);
      try {
        for (let i = 0; i < meta.pieceCount; i++) {
          const sent = torrent.piece(i);
          const result = await pool.check(i, new Uint8Array(sent));
          assert.equal(result.verdict, 'good', `piece ${i}`);
          assert.deepEqual(result.data, sent);
        }
      } finally {
        await pool.close();
      }
    });

    it('finds a piece with one byte changed, cut short or out of range bad', async () => {
      const pool = new PieceCheckPool(meta);
      try {
        for (let i = 0; i < meta.pieceCount; i++) {
          const piece = torrent.piece(i);
          const damaged = flipped(piece, piece.length - 1);
          const result = await pool.check(i, damaged);
          assert.equal(result.verdict, 'bad', `piece ${i}`);
          assert.deepEqual(result.data, flipped(piece, piece.length - 1));
          const short = await pool.check(i, piece.slice(0, -1));
          assert.equal(short.verdict, 'bad', `piece ${i} cut short`);
        }
        const outside = await pool.check(meta.pieceCount, new Uint8Array(PIECE));
        assert.equal(outside.verdict, 'bad');
      } finally {
        await pool.close();
      }
    });
  });
}

describe('PieceCheckPool buffers', () => {
  const { meta, piece } = inMemoryTorrent('hybrid');
  const smallPiece = [...Array(meta.pieceCount).keys()].find((i) => piece(i).length === 100);

  it('moves an array that owns its buffer to the worker and back without copying', async () => {
    const pool = new PieceCheckPool(meta);
    try {
      const sent = piece(0);
      const result = await pool.check(0, sent);
      assert.equal(sent.byteLength, 0, 'the array given was transferred (detached)');
      assert.equal(result.verdict, 'good');
      assert.deepEqual(result.data, piece(0));
      assert.equal(result.data.buffer.byteLength, result.data.byteLength);
    } finally {
      await pool.close();
    }
  });

  it('copies a view into a larger buffer, leaving that buffer and its neighbours intact', async () => {
    assert.ok(smallPiece !== undefined);
    const pool = new PieceCheckPool(meta);
    try {
      // Node's pool: Buffer.from of a small array is a view into a shared 8 KiB slab.
      const before = Buffer.from('neighbour');
      const pooled = Buffer.from(piece(smallPiece));
      const after = Buffer.from('neighbour');
      assert.ok(pooled.byteOffset > 0 || pooled.buffer.byteLength > pooled.length);
      const small = await pool.check(smallPiece, pooled);
      assert.equal(small.verdict, 'good');
      assert.deepEqual(pooled, Buffer.from(piece(smallPiece)), 'the view is still readable');
      assert.equal(`${before}${after}`, 'neighbourneighbour');

      const chunk = Buffer.concat([Buffer.alloc(7, 1), piece(1), Buffer.alloc(9, 2)]);
      const view = chunk.subarray(7, 7 + piece(1).length);
      const big = await pool.check(1, view);
      assert.equal(big.verdict, 'good');
      assert.equal(chunk.length, 7 + piece(1).length + 9, 'the chunk was not detached');
      assert.deepEqual(big.data, piece(1));
    } finally {
      await pool.close();
    }
  });
});

describe('PieceCheckPool concurrency and lifetime', () => {
  const { meta, piece } = inMemoryTorrent('hybrid');

  it('answers many concurrent checks over several workers, each with its own verdict', async () => {
    const pool = new PieceCheckPool(meta, { threads: 3 });
    try {
      const jobs = Array.from({ length: 200 }, (_, k) => {
        const index = k % meta.pieceCount;
        const good = k % 3 !== 0;
        const data = good ? piece(index) : flipped(piece(index), k % piece(index).length);
        const expected: PieceVerdict = good ? 'good' : 'bad';
        return { index, expected, data: new Uint8Array(data), copy: data };
      });
      const results = await Promise.all(jobs.map((j) => pool.check(j.index, j.data)));
      results.forEach((r, k) => {
        const job = jobs[k];
        assert.ok(job !== undefined);
        assert.equal(r.verdict, job.expected, `job ${k}`);
        assert.deepEqual(r.data, job.copy, `job ${k} data`);
      });
      assert.equal(pool.inFlight, 0);
    } finally {
      await pool.close();
    }
  });

  it('rejects the checks pending when it closes, and any asked afterwards', async () => {
    const pool = new PieceCheckPool(meta, { threads: 2 });
    const pending = Array.from({ length: 20 }, (_, k) =>
      pool.check(k % meta.pieceCount, piece(k % meta.pieceCount)),
    );
    const outcomes = pending.map((p) => assert.rejects(p, isCode('HASH_POOL_CLOSED')));
    await pool.close();
    await Promise.all(outcomes);
    await assert.rejects(pool.check(0, piece(0)), isCode('HASH_POOL_CLOSED'));
    await pool.close(); // twice is harmless
  });

  it('rejects the checks of a worker that dies instead of hanging, then carries on', async () => {
    const pool = new PieceCheckPool(meta);
    try {
      const pending = [pool.check(0, piece(0)), pool.check(1, piece(1))];
      const outcomes = pending.map((p) => assert.rejects(p, isCode('HASH_WORKER_FAILED')));
      // Stop the worker from outside, before it has even booted: it never answers.
      const { slots } = pool as unknown as { slots: Array<{ worker: { terminate(): unknown } }> };
      await slots[0]?.worker.terminate();
      await Promise.all(outcomes);
      assert.equal((await pool.check(0, piece(0))).verdict, 'good', 'a new worker took over');
    } finally {
      await pool.close();
    }
  });

  it('never keeps the process alive, yet finishes a check in flight', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fanseed-check-pool-'));
    try {
      const torrent = join(dir, 't.torrent');
      const data = join(dir, 'piece0');
      const v1 = inMemoryTorrent('v1');
      await writeFile(torrent, v1.bytes);
      await writeFile(data, v1.piece(0));
      // No await and no close: only an in-flight check may hold the process, and only until
      // its verdict is printed.
      const script = join(dir, 'child.mjs');
      await writeFile(
        script,
        `
        import { readFileSync } from 'node:fs';
        import { parseTorrent } from ${JSON.stringify(moduleUrl('../../core/metainfo/parse.js'))};
        import { nodeHash } from ${JSON.stringify(moduleUrl('../node-hash.js'))};
        import { PieceCheckPool } from ${JSON.stringify(moduleUrl('./piece-check-pool.js'))};
        const parsed = parseTorrent(readFileSync(${JSON.stringify(torrent)}), nodeHash);
        const pool = new PieceCheckPool(parsed.value);
        void pool.check(0, readFileSync(${JSON.stringify(data)})).then((r) => console.log(r.verdict));
      `,
      );
      const run = promisify(execFile);
      const { stdout } = await run(process.execPath, [script], { timeout: 15_000 });
      assert.equal(stdout.trim(), 'good');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const moduleUrl = (relative: string): string => new URL(relative, import.meta.url).href;
