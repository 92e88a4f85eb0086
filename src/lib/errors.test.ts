import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, FanseedError, unwrap } from './errors.js';

describe('error catalogue', () => {
  it('is documented code by code in docs/errors.md', () => {
    // dist/src/lib -> repository root
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), Object.keys(ERROR_CATALOGUE).sort());
  });

  it('unwrap throws a FanseedError carrying the code and offset', () => {
    assert.throws(
      () => unwrap({ ok: false, error: { code: 'BENCODE_TRUNCATED', message: 'cut', offset: 7 } }),
      (e: unknown) => e instanceof FanseedError && e.code === 'BENCODE_TRUNCATED' && e.offset === 7,
    );
    assert.equal(unwrap({ ok: true, value: 3 }), 3);
  });
});
