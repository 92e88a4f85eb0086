import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alignedLayout,
  contiguousLayout,
  filePieceRange,
  pieceSpans,
  rangeSpans,
} from './layout.js';

describe('contiguous layout (v1)', () => {
  const layout = contiguousLayout([10, 0, 25, 5], 16);

  it('counts pieces over the whole stream', () => {
    assert.equal(layout.streamLength, 40);
    assert.equal(layout.pieceCount, 3);
  });

  it('maps a piece across file boundaries, skipping empty files', () => {
    assert.deepEqual(pieceSpans(layout, 0).spans, [
      { file: 0, fileOffset: 0, length: 10 },
      { file: 2, fileOffset: 0, length: 6 },
    ]);
    assert.deepEqual(pieceSpans(layout, 2), {
      spans: [
        { file: 2, fileOffset: 22, length: 3 },
        { file: 3, fileOffset: 0, length: 5 },
      ],
      dataLength: 8,
      zeroPad: 0,
    });
  });

  it('gives each file its piece range', () => {
    assert.deepEqual(filePieceRange(layout, 2), { first: 0, count: 3 });
    assert.deepEqual(filePieceRange(layout, 1), { first: 0, count: 0 });
  });
});

describe('aligned layout (v2, hybrid)', () => {
  it('starts every file on a piece boundary and pads with zeros', () => {
    const layout = alignedLayout([10, 0, 40, 3], 16);
    assert.deepEqual(
      layout.files.map((f) => f.offset),
      [0, 16, 16, 64],
    );
    assert.equal(layout.pieceCount, 5);
    assert.deepEqual(pieceSpans(layout, 0), {
      spans: [{ file: 0, fileOffset: 0, length: 10 }],
      dataLength: 10,
      zeroPad: 6,
    });
    assert.deepEqual(pieceSpans(layout, 3), {
      spans: [{ file: 2, fileOffset: 32, length: 8 }],
      dataLength: 8,
      zeroPad: 8,
    });
    // The last file is not padded unless asked.
    assert.deepEqual(pieceSpans(layout, 4), {
      spans: [{ file: 3, fileOffset: 0, length: 3 }],
      dataLength: 3,
      zeroPad: 0,
    });
    assert.equal(pieceSpans(alignedLayout([10, 0, 40, 3], 16, true), 4).zeroPad, 13);
  });
});

describe('rangeSpans', () => {
  it('maps a block inside a piece onto the files it crosses', () => {
    const layout = contiguousLayout([10, 0, 25, 5], 16);
    assert.deepEqual(rangeSpans(layout, 0, 8, 6), [
      { file: 0, fileOffset: 8, length: 2 },
      { file: 2, fileOffset: 0, length: 4 },
    ]);
    assert.deepEqual(rangeSpans(layout, 2, 1, 7), [
      { file: 2, fileOffset: 23, length: 2 },
      { file: 3, fileOffset: 0, length: 5 },
    ]);
  });
});
