import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Metainfo, TorrentFile } from '../metainfo/types.js';
import { selectedFiles, wantedPieces } from './selection.js';
import { torrentLayout } from './torrent-layout.js';

const file = (length: number, pad = false): TorrentFile => ({
  path: ['f'],
  length,
  offset: 0,
  pad,
  piecesRoot: undefined,
});
const meta = (files: TorrentFile[], pieceLength: number): Metainfo =>
  ({
    version: 'v1',
    files,
    pieceLength,
    pieceCount: Math.ceil(files.reduce((n, f) => n + f.length, 0) / pieceLength),
  }) as unknown as Metainfo;

describe('file selection', () => {
  it('numbers real files only, skipping padding', () => {
    const m = meta([file(10), file(6, true), file(16), file(16)], 16);
    assert.deepEqual(selectedFiles(m, [{ first: 1, last: 1 }]), [false, false, true, false]);
    assert.deepEqual(selectedFiles(m, undefined), [true, false, true, true]);
  });

  it('wants the pieces that hold a selected file, shared pieces included', () => {
    const m = meta([file(20), file(20), file(20)], 16);
    const wanted = wantedPieces(m, torrentLayout(m), selectedFiles(m, [{ first: 1, last: 1 }]));
    assert.deepEqual(
      [0, 1, 2, 3].map((p) => wanted.has(p)),
      [false, true, true, false],
    );
  });
});
