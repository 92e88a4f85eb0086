import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../../lib/errors.js';
import { seededRng } from '../../../lib/ports.js';
import { nodeHash } from '../../../runtime/node-hash.js';
import { bigIntToBytes, DH_KEY_LENGTH, generateKeyPair, MSE_PRIME } from './dh.js';
import { MseInitiator, type MseInitiatorOptions } from './initiator.js';
import { skeyLookup } from './keys.js';
import { REQ1_WINDOW, VC_WINDOW } from './protocol.js';
import { MseResponder, type MseResponderOptions } from './responder.js';
import {
  deliver,
  type ScriptedStep3,
  type ScriptedStep4,
  scriptedInitiator,
  scriptedResponder,
} from './testing.js';

const INFO_HASH = new Uint8Array(20).fill(0x5a);
const UNKNOWN = new Uint8Array(20).fill(0x66);
const lookup = skeyLookup(nodeHash, [INFO_HASH]);

const responder = (options: Partial<MseResponderOptions> = {}): MseResponder =>
  new MseResponder({ lookup, rng: seededRng(11), hash: nodeHash, ...options });

const initiator = (options: Partial<MseInitiatorOptions> = {}): MseInitiator =>
  new MseInitiator({ infoHash: INFO_HASH, rng: seededRng(12), hash: nodeHash, ...options });

const failsWith = (d: { error: { code: ErrorCode } | undefined }, code: ErrorCode): void =>
  assert.equal(d.error?.code, code);

/** A scripted initiator's step 3 against a real responder, in `chunk`-byte pieces. */
const step3Against = (
  s: ScriptedStep3,
  options: Partial<MseResponderOptions> = {},
  padA = 0,
  chunk = 0,
) => {
  const them = scriptedInitiator(seededRng(13), nodeHash);
  const me = responder(options);
  const step2 = deliver(me, them.step1(padA), chunk);
  assert.equal(step2.error, undefined);
  const yb = step2.send.subarray(0, DH_KEY_LENGTH);
  return { me, result: deliver(me, them.step3(yb, s).bytes, chunk) };
};

/** A real initiator against a scripted responder's step 2 (`padB` bytes) and step 4. */
const step4Against = (
  s: ScriptedStep4 | undefined,
  options: Partial<MseInitiatorOptions> = {},
  padB = 0,
  chunk = 0,
) => {
  const me = initiator(options);
  const them = scriptedResponder(seededRng(14), nodeHash);
  const step1 = me.start();
  assert.ok(step1.ok);
  const step2 = them.step2(step1.value, padB);
  const step3 = deliver(me, step2, chunk);
  assert.equal(step3.error, undefined);
  if (s === undefined) return { me, result: step3 };
  return { me, result: deliver(me, them.step4(s).bytes, chunk) };
};

describe('MSE responder against hostile initiators', () => {
  it('refuses a DH key of 0, 1, P-1 or P', () => {
    for (const y of [0n, 1n, MSE_PRIME - 1n, MSE_PRIME]) {
      failsWith(deliver(responder(), bigIntToBytes(y, DH_KEY_LENGTH), 0), 'MSE_BAD_FIELD');
    }
  });

  it('waits for the req1 hash up to 532 bytes after Ya, then gives up', () => {
    const ya = generateKeyPair(seededRng(15)).publicKey;
    const me = responder();
    assert.equal(deliver(me, ya, 0).error, undefined);
    assert.equal(deliver(me, new Uint8Array(REQ1_WINDOW - 1).fill(1), 1).error, undefined);
    failsWith(deliver(me, new Uint8Array([1]), 0), 'MSE_NO_SYNC');
  });

  it('gives up at once on a chunk of garbage longer than the sync window', () => {
    const ya = generateKeyPair(seededRng(15)).publicKey;
    failsWith(
      deliver(responder(), new Uint8Array([...ya, ...new Uint8Array(5000)]), 0),
      'MSE_NO_SYNC',
    );
  });

  it('finds the req1 hash after the longest PadA, in any chunking', () => {
    for (const chunk of [0, 1, 100]) {
      const { result } = step3Against({ infoHash: INFO_HASH }, {}, 512, chunk);
      assert.equal(result.error, undefined);
      assert.ok(result.done !== undefined);
    }
  });

  it('refuses PadA over 512 bytes (the req1 hash out of the window)', () => {
    failsWith(step3Against({ infoHash: INFO_HASH }, {}, 513).result, 'MSE_NO_SYNC');
  });

  it('refuses a torrent it does not have', () => {
    failsWith(step3Against({ infoHash: UNKNOWN }).result, 'MSE_UNKNOWN_TORRENT');
  });

  it('refuses a wrong verification constant', () => {
    const vc = new Uint8Array(8);
    vc[7] = 1;
    failsWith(step3Against({ infoHash: INFO_HASH, vc }).result, 'MSE_BAD_FIELD');
  });

  it('refuses PadC over 512 bytes', () => {
    failsWith(step3Against({ infoHash: INFO_HASH, padCField: 513 }).result, 'MSE_BAD_FIELD');
    failsWith(step3Against({ infoHash: INFO_HASH, padCField: 0xffff }).result, 'MSE_BAD_FIELD');
  });

  it('accepts PadC of 512 bytes and an IA of 65535', () => {
    const ia = new Uint8Array(0xffff).fill(3);
    const { result } = step3Against({ infoHash: INFO_HASH, padC: 512, ia });
    assert.equal(result.error, undefined);
    assert.equal(result.done?.leftover.length, 0xffff);
  });

  it('refuses an offer with no method it allows', () => {
    failsWith(step3Against({ infoHash: INFO_HASH, provide: 0 }).result, 'MSE_NO_COMMON_METHOD');
    failsWith(step3Against({ infoHash: INFO_HASH, provide: 0x04 }).result, 'MSE_NO_COMMON_METHOD');
    failsWith(
      step3Against({ infoHash: INFO_HASH, provide: 0x01 }, { allowed: ['rc4'] }).result,
      'MSE_NO_COMMON_METHOD',
    );
  });

  it('ignores unknown bits in crypto_provide', () => {
    const { result } = step3Against({ infoHash: INFO_HASH, provide: 0xfffffff2 });
    assert.equal(result.done?.method, 'rc4');
  });

  it('keeps failing with the same error after a failure', () => {
    const { me, result } = step3Against({ infoHash: UNKNOWN });
    failsWith(result, 'MSE_UNKNOWN_TORRENT');
    failsWith(deliver(me, new Uint8Array(10), 0), 'MSE_UNKNOWN_TORRENT');
  });

  it('never throws on random bytes, and never waits past the sync window', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 0, max: 64 }),
        (bytes, chunk) => {
          const d = deliver(responder(), bytes, chunk);
          if (bytes.length >= DH_KEY_LENGTH + REQ1_WINDOW) assert.notEqual(d.error, undefined);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('MSE initiator against hostile responders', () => {
  it('refuses a DH key out of range', () => {
    const me = initiator();
    assert.ok(me.start().ok);
    failsWith(deliver(me, bigIntToBytes(MSE_PRIME - 1n, DH_KEY_LENGTH), 0), 'MSE_BAD_FIELD');
  });

  it('finds the encrypted VC after the longest PadB, in any chunking', () => {
    for (const chunk of [0, 1, 9]) {
      const { result } = step4Against({ infoHash: INFO_HASH }, {}, 512, chunk);
      assert.equal(result.error, undefined);
      assert.equal(result.done?.method, 'rc4');
    }
  });

  it('gives up when no encrypted VC comes within 520 bytes after Yb', () => {
    const { me, result } = step4Against(undefined, {}, VC_WINDOW - 1, 1);
    assert.equal(result.error, undefined);
    failsWith(deliver(me, new Uint8Array([9]), 0), 'MSE_NO_SYNC');
  });

  it('does not sync on a VC under another torrent key', () => {
    failsWith(step4Against({ infoHash: UNKNOWN }, {}, VC_WINDOW - 8).result, 'MSE_NO_SYNC');
  });

  it('refuses a select of no method, of two, of an unknown one', () => {
    for (const select of [0, 0x03, 0x04, 0x80000002]) {
      failsWith(step4Against({ infoHash: INFO_HASH, select }).result, 'MSE_BAD_FIELD');
    }
  });

  it('refuses a select of a method it did not offer', () => {
    failsWith(
      step4Against({ infoHash: INFO_HASH, select: 0x01 }, { provide: ['rc4'] }).result,
      'MSE_NO_COMMON_METHOD',
    );
  });

  it('refuses PadD over 512 bytes, skips one of 512', () => {
    failsWith(step4Against({ infoHash: INFO_HASH, padDField: 513 }).result, 'MSE_BAD_FIELD');
    const { result } = step4Against({ infoHash: INFO_HASH, padD: 512, select: 0x01 });
    assert.equal(result.done?.method, 'plaintext');
  });

  it('refuses to start with nothing to offer or an oversized IA, and pushes before start', () => {
    assert.equal(initiator({ provide: [] }).start().ok, false);
    assert.equal(initiator({ initialPayload: new Uint8Array(0x10000) }).start().ok, false);
    assert.equal(initiator({ infoHash: new Uint8Array(19) }).start().ok, false);
    failsWith(deliver(initiator(), new Uint8Array(96), 0), 'MSE_BAD_FIELD');
  });

  it('never throws on random bytes, and never waits past the sync window', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1500 }),
        fc.integer({ min: 0, max: 64 }),
        (bytes, chunk) => {
          const me = initiator();
          assert.ok(me.start().ok);
          const d = deliver(me, bytes, chunk);
          if (bytes.length >= DH_KEY_LENGTH + VC_WINDOW) assert.notEqual(d.error, undefined);
        },
      ),
      { numRuns: 200 },
    );
  });
});
