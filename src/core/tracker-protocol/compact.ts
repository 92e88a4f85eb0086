/**
 * Compact peer lists: BEP 23 (IPv4, 6 bytes a peer: address then port, big-endian) and BEP 7
 * "peers6" (IPv6, 18 bytes a peer). The same layout serves BEP 15 announce responses.
 */
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { type IpFamily, ipBytesLength, type PeerAddress } from './address.js';
import { DEFAULT_MAX_PEERS } from './types.js';

export const COMPACT_IPV4_PEER_BYTES = 6;
export const COMPACT_IPV6_PEER_BYTES = 18;

export const compactPeerBytes = (family: IpFamily): number =>
  family === 'ipv4' ? COMPACT_IPV4_PEER_BYTES : COMPACT_IPV6_PEER_BYTES;

/**
 * Decodes a compact peer list. Addresses are views into `bytes`, not copies: copy them if the
 * buffer is reused (a pooled socket buffer). Refuses, with TRACKER_BAD_RESPONSE, a length that
 * is not a whole number of entries or that holds more than `maxPeers`.
 */
export const decodeCompactPeers = (
  bytes: Uint8Array,
  family: IpFamily,
  maxPeers: number = DEFAULT_MAX_PEERS,
): Result<PeerAddress[], ErrorValue> => {
  const size = compactPeerBytes(family);
  const name = family === 'ipv4' ? 'peers' : 'peers6';
  if (bytes.length % size !== 0) {
    return err({
      code: 'TRACKER_BAD_RESPONSE',
      message: `${name} of ${bytes.length} bytes is not a multiple of ${size}`,
    });
  }
  const count = bytes.length / size;
  if (count > maxPeers) {
    return err({
      code: 'TRACKER_BAD_RESPONSE',
      message: `${count} ${name} is more than the limit of ${maxPeers}`,
    });
  }
  const ipLength = ipBytesLength(family);
  const peers: PeerAddress[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const port = ((bytes[at + ipLength] as number) << 8) | (bytes[at + ipLength + 1] as number);
    const ipBytes = bytes.subarray(at, at + ipLength);
    peers.push({ ip: { family, bytes: ipBytes }, port });
  }
  return ok(peers);
};

/**
 * Encodes the peers of one family (others are skipped: they belong in the other list). Ports
 * are written as 16 bits; the caller passes valid ones.
 */
export const encodeCompactPeers = (peers: readonly PeerAddress[], family: IpFamily): Uint8Array => {
  const size = compactPeerBytes(family);
  const ipLength = ipBytesLength(family);
  let count = 0;
  for (const p of peers) if (p.ip.family === family) count++;
  const out = new Uint8Array(count * size);
  let at = 0;
  for (const p of peers) {
    if (p.ip.family !== family) continue;
    out.set(p.ip.bytes.subarray(0, ipLength), at);
    out[at + ipLength] = (p.port >>> 8) & 0xff;
    out[at + ipLength + 1] = p.port & 0xff;
    at += size;
  }
  return out;
};
