import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { binaryToBytes, bytesToBinary, toHex, utf8 } from '../../lib/bytes.js';
import type { ErrorCode } from '../../lib/errors.js';
import { nodeHash } from '../../runtime/node-hash.js';
import { encode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import { merkleRoot } from '../merkle/merkle.js';
import { parseInfoDict, parseTorrent } from './parse.js';

type Obj = Record<string, BEncodable | undefined>;

const KIB16 = 16 * 1024;
const bytesOf = (value: BEncodable): Uint8Array => {
  const r = encode(value);
  assert.ok(r.ok);
  return r.value;
};
const zeros = (n: number): Uint8Array => new Uint8Array(n);

const v1Info = (over: Obj = {}): Obj => ({
  name: 'film',
  'piece length': KIB16,
  files: [
    { length: 20000, path: ['a', 'one.mkv'] },
    { length: 100, path: ['two.srt'] },
  ],
  pieces: zeros(20 * 2),
  ...over,
});

const parse = (top: Obj) => parseTorrent(bytesOf(top), nodeHash);

const expectError = (top: Obj, code: ErrorCode, mentions?: string): void => {
  const r = parse(top);
  assert.equal(r.ok, false, 'expected the torrent to be refused');
  if (r.ok) return;
  assert.equal(r.error.code, code, r.error.message);
  if (mentions !== undefined)
    assert.match(r.error.message, new RegExp(mentions.replace(/[[\].]/g, '\\$&')));
};

describe('parseTorrent v1', () => {
  it('reads a multi-file torrent with offsets and the SHA-1 of the original info bytes', () => {
    const bytes = bytesOf({ announce: 'http://127.0.0.1:1/announce', info: v1Info() });
    const r = parseTorrent(bytes, nodeHash);
    assert.ok(r.ok);
    const m = r.value;
    assert.equal(m.version, 'v1');
    assert.equal(m.name, 'film');
    assert.equal(m.length, 20100);
    assert.equal(m.pieceCount, 2);
    assert.equal(m.multiFile, true);
    assert.deepEqual(
      m.files.map((f) => [f.path.join('/'), f.length, f.offset]),
      [
        ['a/one.mkv', 20000, 0],
        ['two.srt', 100, 20000],
      ],
    );
    const expected = createHash('sha1').update(bytesOf(v1Info())).digest('hex');
    assert.equal(toHex(m.infoHashV1 as Uint8Array), expected);
    assert.equal(m.infoHashV2, undefined);
    assert.deepEqual(m.announce, [['http://127.0.0.1:1/announce']]);
  });

  it('hashes the info dictionary as given, unknown keys included', () => {
    const info = v1Info({ 'x-extra': 'kept' });
    const r = parse({ info });
    assert.ok(r.ok);
    assert.equal(
      toHex(r.value.infoHashV1 as Uint8Array),
      createHash('sha1').update(bytesOf(info)).digest('hex'),
    );
  });

  it('reads a single-file torrent as one file named after the torrent', () => {
    const r = parse({
      info: { name: 'clip.webm', 'piece length': KIB16, length: 5, pieces: zeros(20) },
    });
    assert.ok(r.ok);
    assert.equal(r.value.multiFile, false);
    assert.deepEqual(r.value.files[0]?.path, ['clip.webm']);
  });

  it('prefers announce-list tiers over announce, and reads url-list as a string or a list', () => {
    const r = parse({
      announce: 'http://ignored/',
      'announce-list': [
        ['udp://127.0.0.1:1', 'http://127.0.0.1:2/a'],
        [],
        ['http://127.0.0.1:3/a'],
      ],
      'url-list': 'http://127.0.0.1/mirror/',
      info: v1Info(),
    });
    assert.ok(r.ok);
    assert.deepEqual(r.value.announce, [
      ['udp://127.0.0.1:1', 'http://127.0.0.1:2/a'],
      ['http://127.0.0.1:3/a'],
    ]);
    assert.deepEqual(r.value.urlList, ['http://127.0.0.1/mirror/']);
  });

  it('reads private, comment, created by and creation date', () => {
    const r = parse({
      comment: 'Star Wreck',
      'created by': 'x',
      'creation date': 1700000000,
      info: v1Info({ private: 1 }),
    });
    assert.ok(r.ok);
    assert.equal(r.value.private, true);
    assert.equal(r.value.comment, 'Star Wreck');
    assert.equal(r.value.createdBy, 'x');
    assert.equal(r.value.creationDate, 1700000000);
  });

  it('reads Unicode names and prefers path.utf-8', () => {
    const r = parse({
      info: v1Info({
        name: 'Étoile – 星',
        files: [{ length: 10, path: ['legacy'], 'path.utf-8': ['ñandú', '🎬.txt'] }],
        pieces: zeros(20),
      }),
    });
    assert.ok(r.ok);
    assert.equal(r.value.name, 'Étoile – 星');
    assert.deepEqual(r.value.files[0]?.path, ['ñandú', '🎬.txt']);
  });

  it('parses a bare info dictionary as received for a magnet link', () => {
    const info = bytesOf(v1Info());
    const r = parseInfoDict(info, nodeHash);
    assert.ok(r.ok);
    assert.equal(
      toHex(r.value.infoHashV1 as Uint8Array),
      createHash('sha1').update(info).digest('hex'),
    );
    assert.deepEqual(r.value.announce, []);
  });
});

describe('parseTorrent refuses hostile torrents, naming the field', () => {
  const withPath = (path: string[]) => ({
    info: v1Info({ files: [{ length: 1, path }], pieces: zeros(20) }),
  });

  it('refuses input that is not a dictionary or has no info', () => {
    assert.equal(
      (parseTorrent(bytesOf([1, 2]), nodeHash) as { error: { code: string } }).error.code,
      'META_NOT_A_TORRENT',
    );
    expectError({ announce: 'x' }, 'META_NOT_A_TORRENT');
  });
  it('refuses a .. component', () =>
    expectError(withPath(['..', 'etc', 'passwd']), 'META_PATH_ESCAPE', 'info.files[0].path[0]'));
  it('refuses a . component', () =>
    expectError(withPath(['a', '.', 'b']), 'META_PATH_ESCAPE', 'info.files[0].path[1]'));
  it('refuses an empty component (an absolute path)', () =>
    expectError(withPath(['', 'etc']), 'META_PATH_ESCAPE', 'is empty'));
  it('refuses an empty path', () =>
    expectError(withPath([]), 'META_PATH_ESCAPE', 'info.files[0].path is empty'));
  it('refuses a slash inside a component', () =>
    expectError(withPath(['/etc/passwd']), 'META_PATH_ESCAPE', 'separator'));
  it('refuses a backslash (Windows separator)', () =>
    expectError(withPath(['..\\..\\x']), 'META_PATH_ESCAPE', 'separator'));
  it('refuses a drive letter or stream colon', () =>
    expectError(withPath(['C:', 'x']), 'META_PATH_ESCAPE', 'colon'));
  it('refuses NUL in a name', () => expectError(withPath(['a\u0000b']), 'META_PATH_ESCAPE', 'NUL'));
  it('refuses names Windows turns into ..', () =>
    expectError(withPath(['. .']), 'META_PATH_ESCAPE', 'dots'));
  it('refuses Windows device names', () =>
    expectError(withPath(['con.txt']), 'META_PATH_ESCAPE', 'device'));
  it('refuses a name over 255 bytes', () =>
    expectError(withPath(['é'.repeat(128)]), 'META_PATH_ESCAPE', '255'));
  it('refuses paths deeper than the limit', () =>
    expectError(withPath(Array.from({ length: 65 }, () => 'd')), 'META_PATH_ESCAPE', 'deeper'));
  it('refuses an unsafe torrent name', () =>
    expectError({ info: v1Info({ name: '..' }) }, 'META_PATH_ESCAPE', 'info.name'));
  it('refuses a name that is not UTF-8', () =>
    expectError(
      { info: v1Info({ name: new Uint8Array([0xff, 0xfe]) }) },
      'META_BAD_UTF8',
      'info.name',
    ));
  it('refuses two files at one path', () =>
    expectError(
      {
        info: v1Info({
          files: [
            { length: 1, path: ['a'] },
            { length: 1, path: ['a'] },
          ],
          pieces: zeros(20),
        }),
      },
      'META_PATH_ESCAPE',
      'share the path',
    ));
  it('refuses a path that is both a file and a folder', () =>
    expectError(
      {
        info: v1Info({
          files: [
            { length: 1, path: ['a'] },
            { length: 1, path: ['a', 'b'] },
          ],
          pieces: zeros(20),
        }),
      },
      'META_PATH_ESCAPE',
      'both a file and a folder',
    ));
  it('refuses symbolic links', () =>
    expectError(
      {
        info: v1Info({
          files: [{ attr: 'l', length: 0, path: ['x'], 'symlink path': ['..'] }],
          pieces: zeros(0),
        }),
      },
      'META_BAD_FIELD',
      'symbolic link',
    ));
  for (const pieceLength of [0, 1000, 8192, 3 * KIB16, 2 ** 28]) {
    it(`refuses piece length ${pieceLength}`, () =>
      expectError(
        { info: v1Info({ 'piece length': pieceLength }) },
        'META_BAD_PIECE_LENGTH',
        'info.piece length',
      ));
  }
  it('refuses a negative piece length', () =>
    expectError({ info: v1Info({ 'piece length': -KIB16 }) }, 'META_BAD_SIZE', 'negative'));
  it('refuses too few piece hashes', () =>
    expectError({ info: v1Info({ pieces: zeros(20) }) }, 'META_PIECE_COUNT_MISMATCH'));
  it('refuses too many piece hashes', () =>
    expectError({ info: v1Info({ pieces: zeros(60) }) }, 'META_PIECE_COUNT_MISMATCH'));
  it('refuses pieces that are not 20-byte hashes', () =>
    expectError({ info: v1Info({ pieces: zeros(41) }) }, 'META_PIECE_COUNT_MISMATCH'));
  it('refuses a negative file length', () =>
    expectError(
      { info: v1Info({ files: [{ length: -1, path: ['a'] }] }) },
      'META_BAD_SIZE',
      'info.files[0].length',
    ));
  it('refuses a file length beyond 2^53', () =>
    expectError(
      { info: v1Info({ files: [{ length: 2n ** 60n, path: ['a'] }] }) },
      'META_BAD_SIZE',
      'info.files[0].length',
    ));
  it('refuses a total length beyond the limit', () =>
    expectError(
      {
        info: v1Info({
          files: [
            { length: 2 ** 49, path: ['a'] },
            { length: 2 ** 49 + 1, path: ['b'] },
          ],
        }),
      },
      'META_BAD_SIZE',
      'total',
    ));
  it('refuses a string where a length belongs', () =>
    expectError(
      { info: v1Info({ files: [{ length: '12', path: ['a'] }] }) },
      'META_BAD_FIELD',
      'info.files[0].length',
    ));
  it('refuses more files than the limit', () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ length: 1, path: [`f${i}`] }));
    const r = parseTorrent(bytesOf({ info: v1Info({ files, pieces: zeros(20) }) }), nodeHash, {
      limits: { maxFiles: 10 },
    });
    assert.equal(r.ok ? undefined : r.error.code, 'META_TOO_MANY_FILES');
  });
  it('refuses an info without pieces or meta version', () =>
    expectError({ info: v1Info({ pieces: undefined }) }, 'META_MISSING_FIELD', 'info.pieces'));
  it('refuses an info with neither files nor length', () =>
    expectError(
      { info: v1Info({ files: undefined }) },
      'META_MISSING_FIELD',
      'info.files or info.length',
    ));
  it('refuses an unknown meta version', () =>
    expectError({ info: v1Info({ 'meta version': 3 }) }, 'META_UNSUPPORTED_VERSION'));
  it('passes bencode errors through with their offset', () => {
    const r = parseTorrent(utf8('d4:infod4:name'), nodeHash);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'BENCODE_TRUNCATED');
      assert.equal(typeof r.error.offset, 'number');
    }
  });
});

/** A v2 file entry with a real merkle root over pseudo data, and its piece layer. */
const v2File = (length: number, pieceLength: number, seed: number) => {
  const leaves: Uint8Array[] = [];
  for (let at = 0, i = 0; at < length; at += KIB16, i++) {
    leaves.push(createHash('sha256').update(`${seed}-${i}`).digest());
  }
  const bpp = pieceLength / KIB16;
  const pieceRoots: Uint8Array[] = [];
  for (let i = 0; i < leaves.length; i += bpp)
    pieceRoots.push(merkleRoot(nodeHash.sha256, leaves.slice(i, i + bpp), bpp));
  const width = 2 ** Math.ceil(Math.log2(Math.max(1, pieceRoots.length)));
  const root =
    pieceRoots.length === 1
      ? merkleRoot(nodeHash.sha256, leaves, 2 ** Math.ceil(Math.log2(leaves.length)))
      : merkleRoot(nodeHash.sha256, pieceRoots, width, Math.log2(bpp));
  return { root, layer: Buffer.concat(pieceRoots) };
};

describe('parseTorrent v2 and hybrid', () => {
  const big = v2File(5 * KIB16 + 7, 2 * KIB16, 1);
  const small = v2File(100, 2 * KIB16, 2);
  const tree = () =>
    new Map<string, BEncodable>([
      [
        'dir',
        new Map([['big.mkv', new Map([['', { length: 5 * KIB16 + 7, 'pieces root': big.root }]])]]),
      ],
      ['empty', new Map([['', { length: 0 }]])],
      ['small.srt', new Map([['', { length: 100, 'pieces root': small.root }]])],
    ]);
  const v2Info = (over: Obj = {}): Obj => ({
    name: 'show',
    'piece length': 2 * KIB16,
    'meta version': 2,
    'file tree': tree(),
    ...over,
  });
  const layers = () => new Map([[bytesToBinary(big.root), big.layer]]);

  it('reads a v2 tree in key order with per-file piece alignment and checks its piece layers', () => {
    const info = v2Info();
    const r = parse({ info, 'piece layers': layers() });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const m = r.value;
    assert.equal(m.version, 'v2');
    assert.deepEqual(
      m.files.map((f) => [f.path.join('/'), f.offset]),
      [
        ['dir/big.mkv', 0],
        ['empty', 3 * 2 * KIB16],
        ['small.srt', 3 * 2 * KIB16],
      ],
    );
    assert.equal(m.pieceCount, 4);
    assert.equal(m.infoHashV1, undefined);
    assert.equal(
      toHex(m.infoHashV2 as Uint8Array),
      createHash('sha256').update(bytesOf(info)).digest('hex'),
    );
    assert.equal(m.pieceLayers.size, 1);
  });

  it('accepts a v2 torrent without piece layers (they can come from peers)', () => {
    assert.ok(parse({ info: v2Info() }).ok);
  });

  it('refuses a piece layer that does not hash to its root', () => {
    const bad = new Uint8Array(big.layer);
    bad[0] = (bad[0] ?? 0) ^ 1;
    expectError(
      { info: v2Info(), 'piece layers': new Map([[bytesToBinary(big.root), bad]]) },
      'META_BAD_PIECE_LAYER',
      'dir/big.mkv',
    );
  });

  it('refuses a piece layer of the wrong length', () =>
    expectError(
      {
        info: v2Info(),
        'piece layers': new Map([[bytesToBinary(big.root), big.layer.subarray(32)]]),
      },
      'META_BAD_PIECE_LAYER',
    ));

  it('refuses an escaping name in the file tree', () => {
    const t = tree();
    t.set(bytesToBinary(utf8('..')), new Map([['', { length: 1, 'pieces root': small.root }]]));
    expectError({ info: v2Info({ 'file tree': t }) }, 'META_PATH_ESCAPE', '..');
  });

  it('refuses a pieces root that is not 32 bytes', () => {
    const t = tree();
    t.set('small.srt', new Map([['', { length: 100, 'pieces root': zeros(20) }]]));
    expectError({ info: v2Info({ 'file tree': t }) }, 'META_BAD_FIELD', 'pieces root');
  });

  it('refuses a non-empty file without a pieces root', () => {
    const t = tree();
    t.set('small.srt', new Map([['', { length: 100 }]]));
    expectError({ info: v2Info({ 'file tree': t }) }, 'META_MISSING_FIELD', 'pieces root');
  });

  it('refuses a tree name that is not UTF-8', () => {
    const t = tree();
    t.set(bytesToBinary(new Uint8Array([0xc3, 0x28])), new Map([['', { length: 0 }]]));
    expectError({ info: v2Info({ 'file tree': t }) }, 'META_BAD_UTF8');
  });

  const hybridInfo = (over: Obj = {}): Obj =>
    v2Info({
      files: [
        { length: 5 * KIB16 + 7, path: ['dir', 'big.mkv'] },
        { attr: 'p', length: KIB16 - 7, path: ['.pad', String(KIB16 - 7)] },
        { length: 0, path: ['empty'] },
        { length: 100, path: ['small.srt'] },
      ],
      pieces: zeros(4 * 20),
      ...over,
    });

  it('reads a hybrid torrent: both hashes, padding files marked, v2 roots attached', () => {
    const r = parse({ info: hybridInfo(), 'piece layers': layers() });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const m = r.value;
    assert.equal(m.version, 'hybrid');
    assert.ok(m.infoHashV1 !== undefined && m.infoHashV2 !== undefined);
    assert.deepEqual(
      m.files.map((f) => [f.path.join('/'), f.pad]),
      [
        ['dir/big.mkv', false],
        ['.pad/16377', true],
        ['empty', false],
        ['small.srt', false],
      ],
    );
    assert.equal(m.length, 5 * KIB16 + 7 + 100);
    assert.equal(toHex(m.files[3]?.piecesRoot as Uint8Array), toHex(small.root));
  });

  it('refuses a hybrid whose v1 files differ from its v2 tree', () => {
    const info = hybridInfo();
    const files = info.files as Obj[];
    files[3] = { length: 101, path: ['small.srt'] };
    expectError({ info }, 'META_HYBRID_MISMATCH', 'small.srt');
  });

  it('refuses a hybrid whose files are not piece-aligned', () => {
    const info = hybridInfo();
    (info.files as Obj[]).splice(1, 1);
    info.pieces = zeros(3 * 20);
    expectError({ info }, 'META_HYBRID_MISMATCH');
  });
});

describe('binary keys', () => {
  it('round-trips non-UTF-8 keys', () => {
    const key = bytesToBinary(new Uint8Array([0, 255, 128]));
    assert.deepEqual([...binaryToBytes(key)], [0, 255, 128]);
  });
});
