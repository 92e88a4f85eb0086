/** XOR-metric helpers (BEP 5) and BEP 42 node ids (derived from the node's external address). */

import { crc32c } from '../../lib/crc32c.js';
import type { NodeId } from '../../lib/ids.js';
import type { Rng } from '../../lib/ports.js';
import { parseIp } from '../tracker-protocol/address.js';

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

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/** The 21 leading bits BEP 42 derives from an address and `r` (0..7), as a 32-bit number. */
const bep42Prefix = (ip: Uint8Array, r: number): number => {
  const mask = ip.length === 4 ? V4_MASK : V6_MASK;
  const input = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) input[i] = (ip[i] as number) & (mask[i] as number);
  input[0] = (input[0] as number) | ((r & 7) << 5);
  return crc32c(input);
};

/** BEP 42: addresses exempt from the rule (local networks), where any id is accepted. */
const exempt = (ip: Uint8Array): boolean => {
  if (ip.length === 16)
    return (
      ip[0] === 0xfc ||
      ip[0] === 0xfd ||
      (ip[0] === 0xfe && ((ip[1] as number) & 0xc0) === 0x80) ||
      ip.every((b, i) => b === (i === 15 ? 1 : 0))
    );
  const [a, b] = [ip[0] as number, ip[1] as number];
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && (b & 0xf0) === 16) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
};

/** A node id for our external address (BEP 42): 21 bits from it, the last byte `r`. */
export const bep42Id = (host: string, rng: Rng): NodeId | undefined => {
  const ip = parseIp(host);
  if (ip === undefined) return undefined;
  const id = new Uint8Array(20);
  rng.fill(id);
  const r = (id[19] as number) & 7;
  const crc = bep42Prefix(ip.bytes, r);
  id[0] = (crc >>> 24) & 0xff;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = (((crc >>> 8) & 0xf8) | ((id[2] as number) & 7)) & 0xff;
  id[19] = r;
  return id as NodeId;
};

/** Whether `id` fits `host` by BEP 42 (always true for exempt local addresses). */
export const bep42Valid = (id: Uint8Array, host: string): boolean => {
  const ip = parseIp(host);
  if (ip === undefined) return false;
  if (exempt(ip.bytes)) return true;
  const crc = bep42Prefix(ip.bytes, (id[19] as number) & 7);
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    ((id[2] as number) & 0xf8) === ((crc >>> 8) & 0xf8)
  );
};
