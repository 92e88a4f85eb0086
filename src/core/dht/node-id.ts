/**
 * Node ids: the XOR metric of BEP 5 (distance, shared prefix, random ids for bucket refreshes)
 * and BEP 42, which ties an id to the node's external address so that nobody can pick ids
 * next to an info-hash at will.
 */

import { crc32c } from '../../lib/crc32c.js';
import type { NodeId } from '../../lib/ids.js';
import type { Rng } from '../../lib/ports.js';
import { type IpAddress, parseIp, unmapIpv4 } from '../tracker-protocol/address.js';

const ID_BYTES = 20;
const ID_BITS = ID_BYTES * 8;

/**
 * Which of `a` and `b` is closer to `target` by XOR distance (BEP 5): -1 for `a`, 1 for `b`,
 * 0 when they are the same distance away (that is, when they are the same id).
 */
export const xorDistanceCompare = (
  a: Uint8Array,
  b: Uint8Array,
  target: Uint8Array,
): -1 | 0 | 1 => {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = (a[i] as number) ^ (target[i] as number);
    const db = (b[i] as number) ^ (target[i] as number);
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
};

/** How many leading bits `a` and `b` share: 0..160 (160 when they are the same id). */
export const commonPrefixBits = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = ((a[i] as number) ^ (b[i] as number)) & 0xff;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
};

/**
 * A random id sharing exactly `prefixBits` leading bits with `own`, so one in the bucket at
 * that depth, for a refresh (BEP 5: "pick a random ID in the range of the bucket"). Its next
 * bit differs from `own`'s and the rest are random. `prefixBits` is clamped to 0..160; for 160
 * the only such id is `own` itself, returned as a copy.
 */
export const randomIdInBucket = (own: NodeId, prefixBits: number, rng: Rng): NodeId => {
  const bits = Math.max(0, Math.min(Math.floor(prefixBits), ID_BITS));
  const id = new Uint8Array(ID_BYTES);
  if (bits === ID_BITS) {
    id.set(own.subarray(0, ID_BYTES));
    return id as NodeId;
  }
  rng.fill(id);
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

/** BEP 42 masks: how much of each octet of the address counts (IPv4, then IPv6's first 8). */
const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/** An address as BEP 42 reads it: IPv4-mapped IPv6 (dual-stack sockets) counts as IPv4. */
const addressOf = (host: string): IpAddress | undefined => {
  const ip = parseIp(host);
  return ip === undefined ? undefined : unmapIpv4(ip);
};

/**
 * BEP 42: crc32c((ip & 0x030f3fff) | (r << 29)) for IPv4, crc32c((ip & 0x0103070f1f3f7fff) |
 * (r << 61)) over the high 64 bits for IPv6, big-endian; `r` is 0..7.
 */
const bep42Crc = (ip: IpAddress, r: number): number => {
  const mask = ip.family === 'ipv4' ? V4_MASK : V6_MASK;
  const input = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) input[i] = (ip.bytes[i] as number) & (mask[i] as number);
  input[0] = (input[0] as number) | ((r & 7) << 5);
  return crc32c(input);
};

/**
 * BEP 42 "Enforcement": peers on local network addresses are exempt. The BEP lists 10/8,
 * 172.16/12, 192.168/16, 169.254/16 and 127/8; for IPv6 we exempt their counterparts, the
 * loopback ::1, unique local fc00::/7 and link-local fe80::/10.
 */
const isExempt = (ip: IpAddress): boolean => {
  const [a, b] = [ip.bytes[0] as number, ip.bytes[1] as number];
  if (ip.family === 'ipv6')
    return (
      (a & 0xfe) === 0xfc ||
      (a === 0xfe && (b & 0xc0) === 0x80) ||
      ip.bytes.every((x, i) => x === (i === 15 ? 1 : 0))
    );
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && (b & 0xf0) === 16) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
};

/** Whether BEP 42 exempts `host` (a local address: any id is accepted from it). False for
 * text that is not an IP address. */
export const bep42Exempt = (host: string): boolean => {
  const ip = addressOf(host);
  return ip !== undefined && isExempt(ip);
};

/**
 * A node id for our external address `host` (BEP 42's example code): a random byte `rand` as
 * the last byte, r = rand & 7, the first 21 bits from the CRC-32C of the masked address and r,
 * and every other bit random. Undefined when `host` is not an IP address.
 */
export const bep42Id = (host: string, rng: Rng): NodeId | undefined => {
  const ip = addressOf(host);
  if (ip === undefined) return undefined;
  const id = new Uint8Array(ID_BYTES);
  rng.fill(id);
  const crc = bep42Crc(ip, id[ID_BYTES - 1] as number);
  id[0] = (crc >>> 24) & 0xff;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = ((crc >>> 8) & 0xf8) | ((id[2] as number) & 0x07);
  return id as NodeId;
};

/**
 * Whether `id` fits `host` by BEP 42: its first 21 bits match the CRC-32C of the masked
 * address and r, the low 3 bits of its last byte. Always true for exempt local addresses;
 * false for an id that is not 20 bytes or text that is not an IP address.
 */
export const bep42Valid = (id: Uint8Array, host: string): boolean => {
  const ip = addressOf(host);
  if (ip === undefined || id.length !== ID_BYTES) return false;
  if (isExempt(ip)) return true;
  const crc = bep42Crc(ip, id[ID_BYTES - 1] as number);
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    ((id[2] as number) & 0xf8) === ((crc >>> 8) & 0xf8)
  );
};
