import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unsafeComponentReason } from './path-safety.js';
import { defaultPieceLength } from './piece-length.js';

describe('unsafeComponentReason', () => {
  for (const ok of ['film.mkv', '.hidden', 'Étoile – 星', 'a..b', '...x', 'console.log', 'com10']) {
    it(`accepts ${JSON.stringify(ok)}`, () => assert.equal(unsafeComponentReason(ok), undefined));
  }
  for (const bad of [
    '',
    '.',
    '..',
    '...',
    ' ',
    'a/b',
    'a\\b',
    'C:',
    'x\u0000',
    'tab\there',
    'NUL',
    'lpt1.txt',
    'CON',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () =>
      assert.notEqual(unsafeComponentReason(bad), undefined));
  }
});

describe('defaultPieceLength', () => {
  it('aims at about 1,500 pieces within 16 KiB and 16 MiB', () => {
    assert.equal(defaultPieceLength(0), 16 * 1024);
    assert.equal(defaultPieceLength(10 * 1024 * 1024), 16 * 1024);
    assert.equal(defaultPieceLength(1024 ** 3), 1024 * 1024);
    assert.equal(defaultPieceLength(4 * 1024 ** 4), 16 * 1024 * 1024);
  });
});
