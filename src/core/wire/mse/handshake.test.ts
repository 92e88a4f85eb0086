import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../../lib/bytes.js';
import { seededRng } from '../../../lib/ports.js';
import { nodeHash } from '../../../runtime/node-hash.js';
import { MseInitiator, type MseInitiatorOptions } from './initiator.js';
import { skeyLookup } from './keys.js';
import type { MseMethod } from './method.js';
import type { MseOutcome } from './protocol.js';
import { MseResponder, type MseResponderOptions } from './responder.js';
import { deliver } from './testing.js';

const INFO_HASH = new Uint8Array(20).map((_, i) => 0xa0 + i);
const OTHER = new Uint8Array(32).fill(0x33); // a v2 hash: known by its first 20 bytes
const lookup = skeyLookup(nodeHash, [OTHER, INFO_HASH]);
const HANDSHAKE = new Uint8Array(68).map((_, i) => (i * 13) & 0xff);

interface Talk {
  readonly initiator: MseOutcome;
  readonly responder: MseOutcome;
}

/**
 * One handshake in memory, every byte delivered in pieces of `chunk` bytes (0: whole messages).
 * Both machines are built twice from the same seeds when `replay` is given, so that a second
 * responder can receive step 3 and payload in one go (the payload needs the initiator's cipher,
 * which exists only after step 4).
 */
const talk = (
  chunk: number,
  init: Partial<MseInitiatorOptions> = {},
  resp: Partial<MseResponderOptions> = {},
  seed = 1,
): Talk => {
  const initiator = new MseInitiator({
    infoHash: INFO_HASH,
    rng: seededRng(seed),
    hash: nodeHash,
    ...init,
  });
  const responder = new MseResponder({
    lookup,
    rng: seededRng(seed + 1000),
    hash: nodeHash,
    ...resp,
  });
  const step1 = initiator.start();
  assert.ok(step1.ok);
  const toResponder = deliver(responder, step1.value, chunk);
  assert.equal(toResponder.error, undefined);
  const step3 = deliver(initiator, toResponder.send, chunk);
  assert.equal(step3.error, undefined);
  assert.equal(step3.done, undefined);
  const step4 = deliver(responder, step3.send, chunk);
  assert.equal(step4.error, undefined);
  const end = deliver(initiator, step4.send, chunk);
  assert.equal(end.error, undefined);
  assert.equal(end.send.length, 0);
  const i = end.done ?? assert.fail('the initiator did not finish');
  const r = step4.done ?? assert.fail('the responder did not finish');
  return { initiator: i, responder: r };
};

/** Bytes sent by `from` arrive at `to` intact (through RC4 or not). */
const assertStreams = (from: MseOutcome, to: MseOutcome, size: number): void => {
  const data = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
  const wire = from.method === 'rc4' ? from.cipher.encrypt.update(data) : data;
  if (from.method === 'rc4') assert.notEqual(toHex(wire), toHex(data));
  const got = to.method === 'rc4' ? to.cipher.decrypt.update(wire) : wire;
  assert.equal(toHex(got), toHex(data));
};

/** The payload stream as the receiver sees it: the leftover, then later bytes decrypted. */
const received = (outcome: MseOutcome, after: Uint8Array): Uint8Array =>
  new Uint8Array([
    ...outcome.leftover,
    ...(outcome.method === 'rc4' ? outcome.cipher.decrypt.update(after) : after),
  ]);

const CASES: readonly {
  readonly name: string;
  readonly provide: readonly MseMethod[];
  readonly allowed: readonly MseMethod[];
  readonly prefer: MseMethod;
  readonly expect: MseMethod;
}[] = [
  {
    name: 'both offered, RC4 preferred',
    provide: ['plaintext', 'rc4'],
    allowed: ['plaintext', 'rc4'],
    prefer: 'rc4',
    expect: 'rc4',
  },
  {
    name: 'both offered, plaintext preferred',
    provide: ['plaintext', 'rc4'],
    allowed: ['plaintext', 'rc4'],
    prefer: 'plaintext',
    expect: 'plaintext',
  },
  {
    name: 'RC4 only offered',
    provide: ['rc4'],
    allowed: ['plaintext', 'rc4'],
    prefer: 'plaintext',
    expect: 'rc4',
  },
  {
    name: 'plaintext only offered',
    provide: ['plaintext'],
    allowed: ['plaintext', 'rc4'],
    prefer: 'rc4',
    expect: 'plaintext',
  },
  {
    name: 'responder allows RC4 only',
    provide: ['plaintext', 'rc4'],
    allowed: ['rc4'],
    prefer: 'plaintext',
    expect: 'rc4',
  },
  {
    name: 'responder allows plaintext only',
    provide: ['plaintext', 'rc4'],
    allowed: ['plaintext'],
    prefer: 'rc4',
    expect: 'plaintext',
  },
];

describe('MSE handshake, initiator and responder together', () => {
  for (const c of CASES) {
    for (const ia of [undefined, HANDSHAKE]) {
      for (const chunk of [0, 1, 7]) {
        const how = `${ia === undefined ? 'no IA' : 'a 68-byte IA'}, ${chunk === 0 ? 'whole messages' : `${chunk}-byte chunks`}`;
        it(`${c.name}: agrees on ${c.expect} (${how})`, () => {
          const t = talk(
            chunk,
            { provide: c.provide, ...(ia === undefined ? {} : { initialPayload: ia }) },
            { allowed: c.allowed, prefer: c.prefer },
          );
          assert.equal(t.initiator.method, c.expect);
          assert.equal(t.responder.method, c.expect);
          assert.equal(toHex(t.responder.infoHash), toHex(INFO_HASH));
          assert.equal(toHex(t.initiator.infoHash), toHex(INFO_HASH));
          assert.equal(toHex(t.responder.leftover), toHex(ia ?? new Uint8Array(0)));
          assert.equal(t.initiator.leftover.length, 0);
          assertStreams(t.initiator, t.responder, 1000);
          assertStreams(t.responder, t.initiator, 1000);
          assertStreams(t.initiator, t.responder, 17);
        });
      }
    }
  }

  it('finds a torrent by a v2 info-hash cut to 20 bytes', () => {
    const t = talk(0, { infoHash: OTHER });
    assert.equal(toHex(t.responder.infoHash), toHex(OTHER.subarray(0, 20)));
  });

  it('works with no padding and with the longest padding', () => {
    for (const padMax of [0, 512]) {
      for (let seed = 1; seed <= 5; seed++) {
        const t = talk(0, { padMax }, { padMax }, seed);
        assert.equal(t.initiator.method, 'rc4');
      }
    }
  });

  it('hands the initiator the payload that came in the same chunk as step 4', () => {
    for (const method of ['plaintext', 'rc4'] as const) {
      const initiator = new MseInitiator({
        infoHash: INFO_HASH,
        rng: seededRng(5),
        hash: nodeHash,
      });
      const responder = new MseResponder({
        lookup,
        rng: seededRng(6),
        hash: nodeHash,
        prefer: method,
      });
      const step1 = initiator.start();
      assert.ok(step1.ok);
      const step2 = deliver(responder, step1.value, 0);
      const step3 = deliver(initiator, step2.send, 0);
      const step4 = deliver(responder, step3.send, 0);
      const r = step4.done ?? assert.fail('no responder outcome');
      const payload = new Uint8Array(300).map((_, i) => i & 0xff);
      const wire = r.method === 'rc4' ? r.cipher.encrypt.update(payload) : payload;
      const joined = new Uint8Array([...step4.send, ...wire]);
      for (const chunk of [0, 1, 5]) {
        // The initiator's state is spent after one run: replay both from the same seeds.
        const i2 = new MseInitiator({ infoHash: INFO_HASH, rng: seededRng(5), hash: nodeHash });
        const r2 = new MseResponder({ lookup, rng: seededRng(6), hash: nodeHash, prefer: method });
        const s1 = i2.start();
        assert.ok(s1.ok);
        deliver(i2, deliver(r2, s1.value, 0).send, 0);
        const end = deliver(i2, joined, chunk);
        assert.equal(end.error, undefined);
        const done = end.done ?? assert.fail('no initiator outcome');
        assert.equal(done.method, method);
        assert.equal(toHex(received(done, end.after)), toHex(payload));
      }
    }
  });

  it('hands the responder the IA and the payload that came with step 3', () => {
    for (const method of ['plaintext', 'rc4'] as const) {
      const make = () => ({
        i: new MseInitiator({
          infoHash: INFO_HASH,
          rng: seededRng(8),
          hash: nodeHash,
          initialPayload: HANDSHAKE,
        }),
        r: new MseResponder({ lookup, rng: seededRng(9), hash: nodeHash, prefer: method }),
      });
      // First run: learn the initiator's cipher, positioned just after IA.
      const first = make();
      const s1 = first.i.start();
      assert.ok(s1.ok);
      const step3 = deliver(first.i, deliver(first.r, s1.value, 0).send, 0);
      const step4 = deliver(first.r, step3.send, 0);
      const done = deliver(first.i, step4.send, 0).done ?? assert.fail('no initiator outcome');
      const payload = new Uint8Array(200).map((_, i) => 255 - (i & 0xff));
      const wire = done.method === 'rc4' ? done.cipher.encrypt.update(payload) : payload;
      // Second run, same seeds, same bytes: step 3 and the payload arrive together.
      const again = make();
      const a1 = again.i.start();
      assert.ok(a1.ok);
      const a3 = deliver(again.i, deliver(again.r, a1.value, 0).send, 0);
      assert.equal(toHex(a3.send), toHex(step3.send));
      for (const chunk of [0, 3]) {
        const r2 = new MseResponder({ lookup, rng: seededRng(9), hash: nodeHash, prefer: method });
        deliver(r2, a1.value, 0);
        const got = deliver(r2, new Uint8Array([...a3.send, ...wire]), chunk);
        assert.equal(got.error, undefined);
        const outcome = got.done ?? assert.fail('no responder outcome');
        assert.equal(
          toHex(received(outcome, got.after)),
          toHex(new Uint8Array([...HANDSHAKE, ...payload])),
        );
        if (chunk === 0) assert.equal(got.after.length, 0);
      }
    }
  });

  it('agrees however the bytes are cut (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom<readonly MseMethod[]>(['plaintext'], ['rc4'], ['plaintext', 'rc4']),
        (chunk, seed, provide) => {
          const t = talk(chunk, { provide, initialPayload: HANDSHAKE }, {}, seed);
          assert.equal(t.initiator.method, t.responder.method);
          assert.equal(toHex(t.responder.leftover), toHex(HANDSHAKE));
        },
      ),
      { numRuns: 40 },
    );
  });
});
