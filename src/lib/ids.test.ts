import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makePeerId, PEER_ID_PREFIX } from './ids.js';
import { seededRng } from './ports.js';

describe('makePeerId', () => {
  it('starts with the Azureus-style fanseed prefix and is 20 printable bytes', () => {
    const id = makePeerId(seededRng(1));
    const text = new TextDecoder().decode(id);
    assert.equal(id.length, 20);
    assert.ok(text.startsWith(PEER_ID_PREFIX));
    assert.match(text.slice(8), /^[0-9A-Za-z]{12}$/);
    assert.notDeepEqual(makePeerId(seededRng(2)), id);
  });
});
