/** XOR-metric helpers (BEP 5). Placeholder until the BEP 42 work lands; same signatures. */
import type { NodeId } from '../../lib/ids.js';
import type { Rng } from '../../lib/ports.js';

/** Which of `a` and `b` is closer to `target` by XOR distance: -1 a, 1 b, 0 equal. */
export const xorDistanceCompare = (a: Uint8Array, b: Uint8Array, target: Uint8Array): number => {
  for (let i = 0; i < 20; i++) {
    const da = ((a[i] as number) ^ (target[i] as number)) >>> 0;
    const db = ((b[i] as number) ^ (target[i] as number)) >>> 0;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
};

/** How many leading bits `a` and `b` share (0..160). */
export const commonPrefixBits = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < 20; i++) {
    const x = ((a[i] as number) ^ (b[i] as number)) & 0xff;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 160;
};

/** A random id sharing exactly `prefixBits` leading bits with `own` (for bucket refreshes). */
export const randomIdInBucket = (own: NodeId, prefixBits: number, rng: Rng): NodeId => {
  const id = new Uint8Array(20);
  rng.fill(id);
  const bits = Math.min(prefixBits, 159);
  for (let bit = 0; bit <= bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const ownBit = (own[byte] as number) & mask;
    // The shared prefix, then the first bit that differs.
    const want = bit < bits ? ownBit : ownBit ^ mask;
    id[byte] = ((id[byte] as number) & ~mask) | want;
  }
  return id as NodeId;
};
