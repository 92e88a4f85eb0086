/** Helpers shared by the wire tests only (as lib/testing.ts): arbitraries and stream drivers. */
import fc from 'fast-check';
import type { ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import type { HashRange, PeerMessage } from './messages.js';
import type { MessageReader } from './reader.js';

export const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
const bytesArb = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

const hashRangeArb: fc.Arbitrary<HashRange> = fc.record({
  piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  baseLayer: u32Arb,
  index: u32Arb,
  length: u32Arb,
  proofLayers: u32Arb,
});

const blockRefArb = fc.record({ index: u32Arb, begin: u32Arb, length: u32Arb });

/** Every message kind with any field values the wire can carry. */
export const peerMessageArb: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.constantFrom<PeerMessage>(
    { kind: 'keep-alive' },
    { kind: 'choke' },
    { kind: 'unchoke' },
    { kind: 'interested' },
    { kind: 'not-interested' },
    { kind: 'have-all' },
    { kind: 'have-none' },
  ),
  fc
    .tuple(fc.constantFrom('have', 'suggest', 'allowed-fast'), u32Arb)
    .map(([kind, index]): PeerMessage => ({ kind, index })),
  bytesArb(40).map((bytes): PeerMessage => ({ kind: 'bitfield', bytes })),
  fc
    .tuple(fc.constantFrom('request', 'cancel', 'reject'), blockRefArb)
    .map(([kind, ref]): PeerMessage => ({ kind, ...ref })),
  fc
    .tuple(u32Arb, u32Arb, bytesArb(64))
    .map(([index, begin, block]): PeerMessage => ({ kind: 'piece', index, begin, block })),
  fc.integer({ min: 0, max: 0xffff }).map((port): PeerMessage => ({ kind: 'port', port })),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), bytesArb(64))
    .map(([id, payload]): PeerMessage => ({ kind: 'extended', id, payload })),
  fc
    .tuple(fc.constantFrom('hash-request', 'hash-reject'), hashRangeArb)
    .map(([kind, range]): PeerMessage => ({ kind, ...range })),
  fc.tuple(hashRangeArb, fc.integer({ min: 0, max: 4 })).map(
    ([range, n]): PeerMessage => ({
      kind: 'hashes',
      ...range,
      hashes: new Uint8Array(32 * n).fill(n),
    }),
  ),
);

/** Cuts `bytes` at the given points (any numbers; taken modulo the length, sorted). */
export const cut = (bytes: Uint8Array, points: readonly number[]): Uint8Array[] => {
  const at = [...new Set(points.map((p) => (bytes.length === 0 ? 0 : p % bytes.length)))].sort(
    (a, b) => a - b,
  );
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of at) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
};

/** Pushes each chunk and pulls everything that is ready; stops at the first error. */
export const readChunks = (
  reader: MessageReader,
  chunks: readonly Uint8Array[],
): Result<PeerMessage[], ErrorValue> => {
  const messages: PeerMessage[] = [];
  for (const chunk of chunks) {
    const pushed = reader.push(chunk);
    if (!pushed.ok) return pushed;
    for (;;) {
      const r = reader.pull();
      if (!r.ok) return r;
      if (r.value === undefined) break;
      messages.push(r.value);
    }
  }
  return { ok: true, value: messages };
};

/** A message with every byte field copied into a plain Uint8Array, for deep comparison. */
export const plain = (m: PeerMessage): PeerMessage => {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m))
    copy[k] = v instanceof Uint8Array ? Uint8Array.from(v) : v;
  return copy as unknown as PeerMessage;
};
