/**
 * Compact contact information (BEP 5, BEP 32): a node as its 20-byte id, address and port
 * (26 bytes for IPv4, 38 for IPv6); a peer or an endpoint as address and port (6 or 18 bytes).
 */
import type { ErrorValue } from '../../lib/errors.js';
import { type NodeId, nodeId } from '../../lib/ids.js';
import { err, ok, type Result } from '../../lib/result.js';
import {
  formatIp,
  type IpFamily,
  ipBytesLength,
  ipFromBytes,
  parseIp,
} from '../tracker-protocol/address.js';
import type { NodeAddress, NodeInfo } from './types.js';

export const COMPACT_NODE_BYTES = { ipv4: 26, ipv6: 38 } as const;
export const COMPACT_ENDPOINT_BYTES = { ipv4: 6, ipv6: 18 } as const;

const portAt = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] as number) << 8) | (bytes[at + 1] as number);

/** An endpoint from 6 or 18 bytes (copied: safe to keep). */
export const decodeEndpoint = (bytes: Uint8Array): NodeAddress | undefined => {
  const ip = ipFromBytes(bytes.slice(0, bytes.length - 2));
  if (ip === undefined) return undefined;
  return { host: formatIp(ip), port: portAt(bytes, bytes.length - 2) };
};

export const encodeEndpoint = (a: NodeAddress): Uint8Array | undefined => {
  const ip = parseIp(a.host);
  if (ip === undefined || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
    return undefined;
  const out = new Uint8Array(ip.bytes.length + 2);
  out.set(ip.bytes);
  out[ip.bytes.length] = a.port >> 8;
  out[ip.bytes.length + 1] = a.port & 0xff;
  return out;
};

export const familyOf = (host: string): IpFamily => (host.includes(':') ? 'ipv6' : 'ipv4');

/**
 * A compact node list of one family. A length that is not a whole number of entries, or more
 * than `max` entries, is refused; entries with port 0 are skipped (nobody can be reached there).
 */
export const decodeNodes = (
  bytes: Uint8Array,
  family: IpFamily,
  max: number,
): Result<NodeInfo[], ErrorValue> => {
  const size = COMPACT_NODE_BYTES[family];
  if (bytes.length % size !== 0)
    return err({
      code: 'DHT_BAD_NODE',
      message: `${bytes.length} bytes of nodes is not a multiple of ${size}`,
    });
  if (bytes.length / size > max)
    return err({ code: 'DHT_BAD_NODE', message: `more than ${max} nodes in one list` });
  const out: NodeInfo[] = [];
  const ipLength = ipBytesLength(family);
  for (let at = 0; at < bytes.length; at += size) {
    const port = portAt(bytes, at + 20 + ipLength);
    if (port === 0) continue;
    const ip = ipFromBytes(bytes.slice(at + 20, at + 20 + ipLength));
    if (ip === undefined) continue;
    out.push({
      id: nodeId(bytes.slice(at, at + 20)) as NodeId,
      address: { host: formatIp(ip), port },
    });
  }
  return ok(out);
};

/** The nodes of one family as a compact list (others, and unparsable hosts, are left out). */
export const encodeNodes = (nodes: readonly NodeInfo[], family: IpFamily): Uint8Array => {
  const parts: Uint8Array[] = [];
  for (const n of nodes) {
    if (familyOf(n.address.host) !== family) continue;
    const endpoint = encodeEndpoint(n.address);
    if (endpoint === undefined) continue;
    const entry = new Uint8Array(20 + endpoint.length);
    entry.set(n.id);
    entry.set(endpoint, 20);
    parts.push(entry);
  }
  const out = new Uint8Array(parts.length * COMPACT_NODE_BYTES[family]);
  for (const [i, p] of parts.entries()) out.set(p, i * p.length);
  return out;
};
