import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alignedLayout } from '../core/geometry/layout.js';
import { parseTorrent } from '../core/metainfo/parse.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { toHex } from '../lib/bytes.js';
import { FanseedError } from '../lib/errors.js';
import { pseudoRandomBytes } from '../lib/testing.js';
import { createTorrent } from './create-torrent.js';
import { hashPieces } from './hash/hash-pool.js';
import { nodeHash } from './node-hash.js';

const KIB16 = 16 * 1024;
const FILES: Array<[string, number]> = [
  ['b/deep/x.bin', 3 * KIB16 + 5],
  ['a.bin', 40_000],
  ['b/empty', 0],
  ['c.txt', 100],
  ['b/y.bin', 2 * KIB16],
];

let dir: string;
const contents = new Map<string, Uint8Array>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanseed-create-'));
  let seed = 1;
  for (const [path, length] of FILES) {
    const data = pseudoRandomBytes(length, seed++);
    contents.set(path, data);
    await mkdir(join(dir, 'show', path, '..'), { recursive: true });
    await writeFile(join(dir, 'show', path), data);
  }
  await writeFile(join(dir, 'single.mkv'), pseudoRandomBytes(70_000, 99));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = (bytes: Uint8Array): Metainfo => {
  const r = parseTorrent(bytes, nodeHash);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
};

/** Re-derives every v1 piece hash from the file contents, independently of the hasher. */
const checkV1Pieces = (m: Metainfo): void => {
  const stream = Buffer.concat(
    m.files.map((f) =>
      f.pad ? Buffer.alloc(f.length) : (contents.get(f.path.join('/')) ?? Buffer.alloc(0)),
    ),
  );
  for (let i = 0; i < m.pieceCount; i++) {
    const piece = stream.subarray(i * m.pieceLength, (i + 1) * m.pieceLength);
    const expected = createHash('sha1').update(piece).digest('hex');
    assert.equal(
      toHex((m.pieces as Uint8Array).subarray(i * 20, i * 20 + 20)),
      expected,
      `piece ${i}`,
    );
  }
};

describe('createTorrent', () => {
  it('creates a v1 torrent whose pieces hash the files in sorted order', async () => {
    const created = await createTorrent(join(dir, 'show'), { format: 'v1', pieceLength: KIB16 });
    const m = load(created.torrent);
    assert.equal(m.version, 'v1');
    assert.deepEqual(
      m.files.map((f) => f.path.join('/')),
      ['a.bin', 'b/deep/x.bin', 'b/empty', 'b/y.bin', 'c.txt'],
    );
    checkV1Pieces(m);
  });

  it('creates a hybrid torrent with padding files that both v1 and v2 readers accept', async () => {
    const created = await createTorrent(join(dir, 'show'), {
      format: 'hybrid',
      pieceLength: KIB16,
    });
    const m = load(created.torrent);
    assert.equal(m.version, 'hybrid');
    assert.ok(m.files.some((f) => f.pad));
    assert.equal(m.files.at(-1)?.pad, false, 'the last file is not padded');
    checkV1Pieces(m);
    const withLayers = m.files.filter((f) => !f.pad && f.length > KIB16);
    assert.equal(m.pieceLayers.size, withLayers.length);
  });

  it('does not pad the last data file of a hybrid when only empty files follow it', async () => {
    // A padding entry there would make the last v1 piece longer than the data hashed into it.
    await mkdir(join(dir, 'tail'));
    const data = pseudoRandomBytes(17_000, 5);
    await writeFile(join(dir, 'tail', 'a.bin'), data);
    await writeFile(join(dir, 'tail', 'b.txt'), '');
    const m = load(
      (await createTorrent(join(dir, 'tail'), { format: 'hybrid', pieceLength: KIB16 })).torrent,
    );
    assert.deepEqual(
      m.files.map((f) => f.path.join('/')),
      ['a.bin', 'b.txt'],
    );
    const last = createHash('sha1').update(data.subarray(KIB16)).digest('hex');
    assert.equal(toHex((m.pieces as Uint8Array).subarray(20, 40)), last);
  });

  it('creates the same v2 info-hash as a hybrid of the same files has in its v2 part', async () => {
    const v2 = load(
      (await createTorrent(join(dir, 'show'), { format: 'v2', pieceLength: KIB16 })).torrent,
    );
    const hybrid = load(
      (await createTorrent(join(dir, 'show'), { format: 'hybrid', pieceLength: KIB16 })).torrent,
    );
    assert.equal(v2.version, 'v2');
    const roots = (m: Metainfo) =>
      m.files.filter((f) => !f.pad).map((f) => (f.piecesRoot ? toHex(f.piecesRoot) : '-'));
    assert.deepEqual(roots(v2), roots(hybrid));
  });

  it('gives the same bytes with one thread or two', async () => {
    const one = await createTorrent(join(dir, 'show'), {
      format: 'hybrid',
      pieceLength: KIB16,
      threads: 1,
    });
    const two = await createTorrent(join(dir, 'show'), {
      format: 'hybrid',
      pieceLength: KIB16,
      threads: 2,
    });
    assert.deepEqual(one.torrent, two.torrent);
  });

  it('creates a single-file torrent named after the file, with trackers and web seeds', async () => {
    const created = await createTorrent(join(dir, 'single.mkv'), {
      announce: ['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2'],
      webSeeds: ['http://127.0.0.1:3/single.mkv'],
      private: true,
      comment: 'made in a sauna',
      creationDate: 1_700_000_000,
    });
    const m = load(created.torrent);
    assert.equal(m.multiFile, false);
    assert.equal(m.name, 'single.mkv');
    assert.deepEqual(m.announce, [['http://127.0.0.1:1/announce'], ['udp://127.0.0.1:2']]);
    assert.deepEqual(m.urlList, ['http://127.0.0.1:3/single.mkv']);
    assert.equal(m.private, true);
    assert.equal(m.comment, 'made in a sauna');
    assert.equal(m.creationDate, 1_700_000_000);
  });

  it('reports progress up to the total', async () => {
    let last = 0;
    let total = 0;
    await createTorrent(join(dir, 'show'), {
      pieceLength: KIB16,
      onProgress: (d, t) => {
        last = d;
        total = t;
      },
    });
    assert.equal(last, total);
    assert.equal(
      total,
      FILES.reduce((n, [, l]) => n + l, 0),
    );
  });

  it('refuses a missing path with IO_NOT_FOUND', async () => {
    await assert.rejects(
      createTorrent(join(dir, 'nope')),
      (e: unknown) => e instanceof FanseedError && e.code === 'IO_NOT_FOUND',
    );
  });

  it('refuses a folder with nothing in it', async () => {
    await mkdir(join(dir, 'void'));
    await assert.rejects(
      createTorrent(join(dir, 'void')),
      (e: unknown) => e instanceof FanseedError && e.code === 'CREATE_NO_FILES',
    );
  });

  it('refuses a piece length that is not a power of two', async () => {
    await assert.rejects(
      createTorrent(join(dir, 'single.mkv'), { pieceLength: 20_000 }),
      (e: unknown) => e instanceof FanseedError && e.code === 'CREATE_BAD_OPTION',
    );
  });

  it('fails with IO_CHANGED when a file is shorter than when it was listed', async () => {
    const path = join(dir, 'single.mkv');
    const layout = alignedLayout([80_000], KIB16);
    await assert.rejects(
      hashPieces({ paths: [path], layout, needV1: true, needV2: false }),
      (e: unknown) => e instanceof FanseedError && e.code === 'IO_CHANGED',
    );
  });
});
