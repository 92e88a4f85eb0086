import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8 } from '../../lib/bytes.js';
import { decodePex, encodePex, PEX_INTERVAL_MS, type PexPeer, PexTracker } from './ut-pex.js';

const peer = (host: string, port: number, flags = 0): PexPeer => ({
  address: { host, port },
  flags,
});

describe('ut_pex messages (BEP 11)', () => {
  it('round-trips added and dropped peers of both families, with flags', () => {
    const m = {
      added: [peer('10.0.0.1', 6881, 0x10), peer('2001:db8::1', 51413, 0x02)],
      dropped: [
        { host: '10.0.0.9', port: 1 },
        { host: '2001:db8::9', port: 2 },
      ],
    };
    const r = decodePex(encodePex(m));
    assert.ok(r.ok);
    assert.deepEqual(r.value, m);
  });

  it('reads a message as libtorrent writes it, flags missing for some peers', () => {
    // added: 127.0.0.1:6881 and 127.0.0.2:6882, one flags byte only; dropped: 10.0.0.1:80.
    const body = new Uint8Array([
      ...utf8('d5:added12:'),
      127,
      0,
      0,
      1,
      0x1a,
      0xe1,
      127,
      0,
      0,
      2,
      0x1a,
      0xe2,
      ...utf8('7:added.f1:'),
      0x10,
      ...utf8('7:dropped6:'),
      10,
      0,
      0,
      1,
      0,
      80,
      ...utf8('e'),
    ]);
    const r = decodePex(body);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.value.added, [peer('127.0.0.1', 6881, 0x10), peer('127.0.0.2', 6882, 0)]);
    assert.deepEqual(r.value.dropped, [{ host: '10.0.0.1', port: 80 }]);
  });

  it('refuses malformed and oversized messages, and never throws', () => {
    for (const bad of ['le', 'd5:addedi1ee', 'd5:added5:abcdee', 'not bencode']) {
      const r = decodePex(utf8(bad));
      assert.equal(r.ok ? undefined : r.error.code, 'PEX_BAD_MESSAGE', bad);
    }
    const many = new Uint8Array(6 * 201);
    const r = decodePex(
      new Uint8Array([...utf8(`d5:added${many.length}:`), ...many, ...utf8('e')]),
    );
    assert.equal(r.ok, false, 'more than 200 peers');
    assert.equal(decodePex(new Uint8Array(20_000)).ok, false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodePex(b)));
  });
});

describe('PexTracker', () => {
  const connected = (n: number, from = 0) =>
    new Map(
      Array.from({ length: n }, (_, i) => {
        const p = peer('10.1.0.1', 1000 + from + i);
        return [`10.1.0.1:${1000 + from + i}`, p] as const;
      }),
    );

  it('sends at once, then at most once a minute, and only what changed', () => {
    const t = new PexTracker();
    const first = t.next(connected(3), 0);
    assert.equal(first?.added.length, 3);
    assert.equal(t.next(connected(4), 1000), undefined, 'too early');
    const second = t.next(connected(4), PEX_INTERVAL_MS);
    assert.deepEqual(
      second?.added.map((p) => p.address.port),
      [1003],
    );
    assert.equal(t.next(connected(4), 2 * PEX_INTERVAL_MS), undefined, 'nothing changed');
    const third = t.next(connected(2), 3 * PEX_INTERVAL_MS);
    assert.deepEqual(third?.dropped.map((a) => a.port).sort(), [1002, 1003]);
  });

  it('adds at most 50 peers a message, the rest in the next', () => {
    const t = new PexTracker();
    assert.equal(t.next(connected(80), 0)?.added.length, 50);
    assert.equal(t.next(connected(80), PEX_INTERVAL_MS)?.added.length, 30);
  });
});
