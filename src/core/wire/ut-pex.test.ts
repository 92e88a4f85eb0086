import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binaryToBytes, utf8 } from '../../lib/bytes.js';
import { decode } from '../bencode/index.js';
import type { NodeAddress } from '../dht/types.js';
import { formatIp, type IpAddress, ipFromBytes } from '../tracker-protocol/address.js';
import {
  decodePex,
  encodePex,
  PEX_FLAGS,
  PEX_INTERVAL_MS,
  PEX_MAX_ADDED,
  type PexMessage,
  type PexPeer,
  PexTracker,
} from './ut-pex.js';

const peer = (host: string, port: number, flags = 0): PexPeer => ({
  address: { host, port },
  flags,
});

/** Bencode written by hand: text parts as ASCII, number arrays as raw bytes. */
const raw = (...parts: Array<string | number[]>): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...utf8(p)] : p)));

/** A bencoded string of `bytes`. */
const str = (bytes: number[]): Array<string | number[]> => [`${bytes.length}:`, bytes];

/** Compact entries (BEP 23 / BEP 7): address bytes, then the port big-endian. */
const v4 = (ip: string, port: number): number[] => [
  ...ip.split('.').map(Number),
  port >> 8,
  port & 0xff,
];

/** What decoding yields: the IPv4 entries first, then the IPv6 ones. */
const hostOf = (x: PexPeer | NodeAddress): string => ('address' in x ? x.address.host : x.host);
const v4First = <T extends PexPeer | NodeAddress>(xs: readonly T[]): T[] => [
  ...xs.filter((x) => !hostOf(x).includes(':')),
  ...xs.filter((x) => hostOf(x).includes(':')),
];

const refusal = (payload: Uint8Array): string | undefined => {
  const r = decodePex(payload);
  return r.ok ? undefined : r.error.code;
};

describe('ut_pex messages (BEP 11)', () => {
  it('round-trips added and dropped peers of both families, with flags', () => {
    const m: PexMessage = {
      added: [
        peer('10.0.0.1', 6881, PEX_FLAGS.reachable | PEX_FLAGS.prefersEncryption),
        peer('2001:db8::1', 51413, PEX_FLAGS.seed),
        peer('198.51.100.7', 1, PEX_FLAGS.utp | PEX_FLAGS.holepunch),
      ],
      dropped: [
        { host: '10.0.0.9', port: 1 },
        { host: '2001:db8::9', port: 2 },
      ],
    };
    const r = decodePex(encodePex(m));
    assert.ok(r.ok);
    // Decoding yields IPv4 first, then IPv6.
    assert.deepEqual(r.value.added, [m.added[0], m.added[2], m.added[1]]);
    assert.deepEqual(r.value.dropped, m.dropped);
  });

  it('writes canonical bencode with every list present, each family under its keys', () => {
    const bytes = encodePex({
      added: [peer('1.2.3.4', 0x1ae1, 0x12), peer('::1', 80, 0x01)],
      dropped: [{ host: '5.6.7.8', port: 256 }],
    });
    const expected = binaryToBytes(
      'd5:added6:\x01\x02\x03\x04\x1a\xe17:added.f1:\x12' +
        `6:added618:${'\x00'.repeat(15)}\x01\x00\x508:added6.f1:\x01` +
        '7:dropped6:\x05\x06\x07\x08\x01\x008:dropped60:e',
    );
    assert.deepEqual(bytes, expected);
    assert.equal(decode(bytes).ok, true, 'sorted keys, as strict decoding demands');
    assert.deepEqual(
      encodePex({ added: [], dropped: [] }),
      utf8('d5:added0:7:added.f0:6:added60:8:added6.f0:7:dropped0:8:dropped60:e'),
    );
  });

  it('leaves out hosts that are not IP literals and ports outside 1..65535 when encoding', () => {
    const r = decodePex(
      encodePex({
        added: [peer('example.org', 80), peer('1.2.3.4', 0), peer('1.2.3.4', 70000)],
        dropped: [
          { host: '1.2.3.4', port: 1.5 },
          { host: '::g', port: 1 },
        ],
      }),
    );
    assert.deepEqual(r, { ok: true, value: { added: [], dropped: [] } });
  });

  it('reads a message as libtorrent writes it (all six keys, both families)', () => {
    const body = binaryToBytes(
      'd5:added12:\xc0\x00\x02\x01\x1a\xe1\xc0\x00\x02\x02\x1a\xe27:added.f2:\x12\x01' +
        `6:added618:\x20\x01\x0d\xb8${'\x00'.repeat(11)}\x42\xc8\xd58:added6.f1:\x04` +
        '7:dropped6:\xcb\x00\x71\x09\x00\x508:dropped60:e',
    );
    const r = decodePex(body);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.value, {
      added: [
        peer('192.0.2.1', 6881, 0x12),
        peer('192.0.2.2', 6882, 0x01),
        peer('2001:db8::42', 51413, 0x04),
      ],
      dropped: [{ host: '203.0.113.9', port: 80 }],
    });
  });

  it('reads keys in any order, a short or missing flags string as 0, and ignores unknown keys', () => {
    const body = binaryToBytes(
      'd7:dropped6:\x0a\x00\x00\x01\x00\x50' +
        '5:added12:\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe27:added.f1:\x10' +
        `6:added618:\xfe\x80${'\x00'.repeat(13)}\x01\x00\x071:vi3ee`,
    );
    const r = decodePex(body);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.value, {
      added: [peer('127.0.0.1', 6881, 0x10), peer('127.0.0.2', 6882, 0), peer('fe80::1', 7, 0)],
      dropped: [{ host: '10.0.0.1', port: 80 }],
    });
  });

  it('skips port 0 and repeated entries, keeping each flags byte with its own peer', () => {
    // added: 1.1.1.1:0, 2.2.2.2:2 twice; dropped: 3.3.3.3:0, 4.4.4.4:4 twice.
    const body = binaryToBytes(
      'd5:added18:\x01\x01\x01\x01\x00\x00\x02\x02\x02\x02\x00\x02\x02\x02\x02\x02\x00\x02' +
        '7:added.f4:\x01\x02\x04\x08' +
        '7:dropped18:\x03\x03\x03\x03\x00\x00\x04\x04\x04\x04\x00\x04\x04\x04\x04\x04\x00\x04e',
    );
    const r = decodePex(body);
    assert.ok(r.ok);
    assert.deepEqual(r.value, {
      added: [peer('2.2.2.2', 2, 0x02)],
      dropped: [{ host: '4.4.4.4', port: 4 }],
    });
  });

  it('accepts an empty dictionary and exactly 200 entries in a list', () => {
    assert.deepEqual(decodePex(utf8('de')), { ok: true, value: { added: [], dropped: [] } });
    const entries = Array.from({ length: 200 }, (_, i) =>
      v4(`10.0.${i >> 8}.${i & 0xff}`, 1),
    ).flat();
    const r = decodePex(raw('d', '7:dropped', ...str(entries), 'e'));
    assert.equal(r.ok ? r.value.dropped.length : r.error.message, 200);
  });

  it('refuses payloads that are not a flat dictionary', () => {
    for (const bad of ['', 'le', 'i1e', '3:abc', 'not bencode', 'd5:added0:', 'de1:x']) {
      assert.equal(refusal(utf8(bad)), 'PEX_BAD_MESSAGE', JSON.stringify(bad));
    }
    assert.equal(refusal(utf8('d1:xd1:yd1:zleeee')), 'PEX_BAD_MESSAGE', 'too deep');
    assert.equal(refusal(utf8('d5:added0:5:added0:e')), 'PEX_BAD_MESSAGE', 'a key twice');
  });

  it('refuses lists and flags of the wrong type', () => {
    for (const key of ['added', 'added.f', 'added6', 'added6.f', 'dropped', 'dropped6']) {
      for (const value of ['i1e', 'le', 'de']) {
        const body = utf8(`d${key.length}:${key}${value}e`);
        assert.equal(refusal(body), 'PEX_BAD_MESSAGE', `${key} ${value}`);
      }
    }
  });

  it('refuses compact lists that are not whole entries', () => {
    for (const [key, length] of Object.entries({ added: 7, dropped: 1, added6: 6, dropped6: 19 })) {
      const body = raw('d', `${key.length}:${key}`, ...str(new Array<number>(length).fill(1)), 'e');
      assert.equal(refusal(body), 'PEX_BAD_MESSAGE', `${key} of ${length} bytes`);
    }
  });

  it('refuses more than 200 entries in any one list', () => {
    for (const [key, size] of Object.entries({ added: 6, dropped: 6, added6: 18, dropped6: 18 })) {
      const body = raw('d', `${key.length}:${key}`, ...str(new Array(201 * size).fill(1)), 'e');
      const r = decodePex(body);
      assert.equal(r.ok, false, key);
      assert.match(r.ok ? '' : r.error.message, /more than 200/);
    }
  });

  it('refuses a payload over 16 KiB, even a well-formed one', () => {
    const pad = new Array<number>(16 * 1024).fill(0x61);
    assert.equal(refusal(raw('d', '1:x', ...str(pad), 'e')), 'PEX_BAD_MESSAGE');
    assert.equal(refusal(new Uint8Array(16 * 1024 + 1)), 'PEX_BAD_MESSAGE');
    const fits = raw('d', '1:x', ...str(pad.slice(0, 16 * 1024 - 11)), 'e');
    assert.equal(fits.length, 16 * 1024);
    assert.equal(decodePex(fits).ok, true, 'exactly 16 KiB is read');
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
        decodePex(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on dictionaries of the right keys with arbitrary values', () => {
    const key = fc.constantFrom('added', 'added.f', 'added6', 'added6.f', 'dropped', 'dropped6');
    const value = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => raw(...str([...b]))),
      fc.integer().map((n) => utf8(`i${n}e`)),
      fc.constant(utf8('le')),
      fc.constant(utf8('de')),
    );
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k }), (entries) => {
        const body = raw(
          'd',
          ...entries.flatMap(([k, v]): Array<string | number[]> => [`${k.length}:${k}`, [...v]]),
          'e',
        );
        const r = decodePex(body);
        if (r.ok) {
          for (const p of r.value.added) assert.ok(p.address.port > 0 && p.flags <= 0xff);
          for (const a of r.value.dropped) assert.ok(a.port > 0);
        } else {
          assert.equal(r.error.code, 'PEX_BAD_MESSAGE');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips any distinct peers of both families (property)', () => {
    const address = fc
      .constantFrom(4, 16)
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
      .map((b) => formatIp(ipFromBytes(b) as IpAddress));
    const endpoint = fc
      .tuple(address, fc.integer({ min: 1, max: 65535 }))
      .map(([host, port]) => ({ host, port }));
    const unique = { selector: (a: { host: string; port: number }) => `${a.host}:${a.port}` };
    const message = fc.record({
      added: fc.uniqueArray(endpoint, { ...unique, maxLength: 60 }),
      flags: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 60, maxLength: 60 }),
      dropped: fc.uniqueArray(endpoint, { ...unique, maxLength: 60 }),
    });
    fc.assert(
      fc.property(message, ({ added, flags, dropped }) => {
        const m = { added: added.map((a, i) => ({ address: a, flags: flags[i] ?? 0 })), dropped };
        const r = decodePex(encodePex(m));
        assert.ok(r.ok);
        assert.deepEqual(r.value, { added: v4First(m.added), dropped: v4First(m.dropped) });
      }),
      { numRuns: 300 },
    );
  });
});

describe('PexTracker', () => {
  /** `n` peers connected, on ports 1000 + from onwards. */
  const connected = (n: number, from = 0): Map<string, PexPeer> =>
    new Map(
      Array.from({ length: n }, (_, i) => [
        `10.1.0.1:${1000 + from + i}`,
        peer('10.1.0.1', 1000 + from + i),
      ]),
    );
  const ports = (m: PexMessage | undefined): number[] | undefined =>
    m?.added.map((p) => p.address.port).sort((a, b) => a - b);
  const droppedPorts = (m: PexMessage | undefined): number[] | undefined =>
    m?.dropped.map((a) => a.port).sort((a, b) => a - b);

  it('sends the first message at once, with everyone connected and nothing dropped', () => {
    const t = new PexTracker();
    const first = t.next(connected(3), 123_456);
    assert.deepEqual(ports(first), [1000, 1001, 1002]);
    assert.deepEqual(first?.dropped, []);
    assert.deepEqual(first?.added[0], peer('10.1.0.1', 1000));
  });

  it('has nothing to say while nobody is connected', () => {
    const t = new PexTracker();
    assert.equal(t.next(new Map(), 0), undefined);
    assert.deepEqual(ports(t.next(connected(1), 5)), [1000], 'the first message, still at once');
  });

  it('sends at most once a minute, counted from the last message it returned', () => {
    const t = new PexTracker();
    assert.ok(t.next(connected(1), 0));
    assert.equal(t.next(connected(2), 1), undefined, 'too early');
    assert.equal(t.next(connected(3), PEX_INTERVAL_MS - 1), undefined, 'still too early');
    assert.deepEqual(ports(t.next(connected(3), PEX_INTERVAL_MS)), [1001, 1002]);
    assert.equal(t.next(connected(3), 2 * PEX_INTERVAL_MS), undefined, 'nothing changed');
    // A quiet minute does not restart the clock: the next change goes out as soon as it comes.
    assert.deepEqual(ports(t.next(connected(4), 2 * PEX_INTERVAL_MS + 5)), [1003]);
    assert.equal(t.next(connected(5), 3 * PEX_INTERVAL_MS), undefined, 'a minute after that one');
  });

  it('reports peers gone since they were sent, and only those', () => {
    const t = new PexTracker();
    t.next(connected(4), 0);
    const m = t.next(connected(2), PEX_INTERVAL_MS);
    assert.deepEqual(m?.added, []);
    assert.deepEqual(droppedPorts(m), [1002, 1003]);
    assert.equal(t.next(connected(2), 2 * PEX_INTERVAL_MS), undefined, 'dropped only once');
  });

  it('adds at most 50 peers a message, the rest in the next ones, none twice', () => {
    const t = new PexTracker();
    const all = connected(120);
    const seen: number[] = [];
    for (const [i, expected] of [50, 50, 20].entries()) {
      const m = t.next(all, i * PEX_INTERVAL_MS);
      assert.equal(m?.added.length, expected);
      seen.push(...(ports(m) ?? []));
    }
    assert.equal(new Set(seen).size, 120);
    assert.equal(t.next(all, 3 * PEX_INTERVAL_MS), undefined);
  });

  it('drops at most 50 peers a message, the rest in the next one', () => {
    const t = new PexTracker();
    t.next(connected(50), 0);
    t.next(connected(80), PEX_INTERVAL_MS);
    const first = t.next(connected(10, 200), 2 * PEX_INTERVAL_MS);
    assert.equal(first?.dropped.length, 50);
    assert.equal(first?.added.length, 10);
    const second = t.next(connected(10, 200), 3 * PEX_INTERVAL_MS);
    assert.equal(second?.dropped.length, 30);
    assert.deepEqual(second?.added, []);
  });

  it('elides a peer that left and came back between messages, and re-adds one dropped', () => {
    const t = new PexTracker();
    t.next(connected(2), 0);
    assert.equal(t.next(connected(1), 10), undefined, 'gone, but too early to say');
    assert.equal(t.next(connected(2), PEX_INTERVAL_MS), undefined, 'back before it was dropped');
    assert.deepEqual(droppedPorts(t.next(connected(1), 2 * PEX_INTERVAL_MS)), [1001]);
    assert.deepEqual(ports(t.next(connected(2), 3 * PEX_INTERVAL_MS)), [1001]);
  });

  it("keys peers by the caller's keys, so bracketed IPv6 keys cause no churn", () => {
    const t = new PexTracker();
    const six = new Map([['[2001:db8::1]:6881', peer('2001:db8::1', 6881)]]);
    assert.equal(t.next(six, 0)?.added.length, 1);
    assert.equal(t.next(six, PEX_INTERVAL_MS), undefined);
    assert.deepEqual(t.next(new Map(), 2 * PEX_INTERVAL_MS)?.dropped, [
      { host: '2001:db8::1', port: 6881 },
    ]);
  });

  it('keeps the peer in step with who is connected (property)', () => {
    const step = fc.record({
      present: fc.uniqueArray(fc.integer({ min: 0, max: 149 }), { maxLength: 150 }),
      wait: fc.integer({ min: 0, max: 3 * PEX_INTERVAL_MS }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const t = new PexTracker();
        const view = new Set<number>();
        let now = 0;
        let lastSent: number | undefined;
        let current = new Map<string, PexPeer>();
        for (const s of steps) {
          now += s.wait;
          current = new Map(s.present.map((i) => [`10.2.0.1:${i + 1}`, peer('10.2.0.1', i + 1)]));
          const m = t.next(current, now);
          if (m === undefined) continue;
          if (lastSent !== undefined) assert.ok(now - lastSent >= PEX_INTERVAL_MS);
          lastSent = now;
          assert.ok(m.added.length <= PEX_MAX_ADDED && m.dropped.length <= PEX_MAX_ADDED);
          assert.ok(m.added.length + m.dropped.length > 0);
          for (const p of m.added) {
            assert.ok(!view.has(p.address.port), 'never added twice');
            view.add(p.address.port);
          }
          for (const a of m.dropped) {
            assert.ok(view.delete(a.port), 'only what was added is dropped');
            assert.ok(!m.added.some((p) => p.address.port === a.port), 'not added and dropped');
          }
        }
        // Left alone, it catches up: the peer's view ends equal to who is connected.
        for (let i = 1; i <= 4; i++) {
          const m = t.next(current, now + i * PEX_INTERVAL_MS);
          for (const p of m?.added ?? []) view.add(p.address.port);
          for (const a of m?.dropped ?? []) view.delete(a.port);
        }
        assert.deepEqual(
          [...view].sort((a, b) => a - b),
          [...current.values()].map((p) => p.address.port).sort((a, b) => a - b),
        );
      }),
      { numRuns: 300 },
    );
  });
});
