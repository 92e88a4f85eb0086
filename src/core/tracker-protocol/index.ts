/** Tracker protocol codecs (pure): HTTP (BEP 3, 7, 23, 24, 31, 48) and UDP (BEP 15, 41). */
export {
  equalIp,
  formatIp,
  formatPeerAddress,
  IPV4_BYTES,
  IPV6_BYTES,
  type IpAddress,
  type IpFamily,
  type Ipv4Address,
  type Ipv6Address,
  ipBytesLength,
  ipFromBytes,
  type PeerAddress,
  parseIp,
  parseIpv4,
  parseIpv6,
  parsePeerAddress,
  unmapIpv4,
} from './address.js';
export {
  COMPACT_IPV4_PEER_BYTES,
  COMPACT_IPV6_PEER_BYTES,
  compactPeerBytes,
  decodeCompactPeers,
  encodeCompactPeers,
} from './compact.js';
export {
  type CompactAnnounceFields,
  encodeCompactAnnounceBody,
  encodeUdpAnnounceBody,
} from './compact-response.js';
export * from './http.js';
export { percentDecode, percentEncode, percentEncodeText } from './query.js';
export {
  type AnnounceEvent,
  DEFAULT_MAX_PEERS,
  INFO_HASH_BYTES,
  PEER_ID_BYTES,
  type TrackerPeer,
  type UdpAnnounceEvent,
} from './types.js';
export * from './udp.js';
