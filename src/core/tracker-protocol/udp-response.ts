/**
 * BEP 15 responses (tracker to client): connect, announce (6-byte peers, or 18-byte ones over
 * IPv6), scrape and error. Decoding is strict about lengths and the action and refuses with
 * TRACKER_BAD_PACKET; encoding is total and never throws.
 */
import { utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { Result } from '../../lib/result.js';
import type { IpFamily } from './address.js';
import { compactPeerBytes, decodeCompactPeers, encodeCompactPeers } from './compact.js';
import { attempt, refuse } from './refusal.js';
import {
  DEFAULT_UDP_LIMITS,
  UDP_ACTIONS,
  UDP_ANNOUNCE_RESPONSE_HEADER_BYTES,
  UDP_CONNECT_RESPONSE_BYTES,
  UDP_ERROR_HEADER_BYTES,
  UDP_SCRAPE_ENTRY_BYTES,
  UDP_SCRAPE_RESPONSE_HEADER_BYTES,
  type UdpAnnounceResponse,
  type UdpLimits,
  type UdpResponse,
  type UdpScrapeResponse,
  type UdpScrapeStats,
  viewOf,
} from './udp-types.js';

function bad(message: string): never {
  return refuse('TRACKER_BAD_PACKET', message);
}

/** Error texts are shown, not trusted: bad UTF-8 becomes U+FFFD, trailing NULs are dropped. */
const lenientUtf8 = new TextDecoder('utf-8');

const decodeAnnounce = (
  packet: Uint8Array,
  view: DataView,
  family: IpFamily,
  limits: UdpLimits,
): UdpAnnounceResponse => {
  const size = compactPeerBytes(family);
  const peerBytes = packet.length - UDP_ANNOUNCE_RESPONSE_HEADER_BYTES;
  if (peerBytes < 0 || peerBytes % size !== 0) {
    bad(`announce response of ${packet.length} bytes is not 20 + ${size} per peer`);
  }
  if (peerBytes / size > limits.maxPeers) {
    bad(`announce response with ${peerBytes / size} peers, at most ${limits.maxPeers}`);
  }
  const peers = decodeCompactPeers(
    packet.subarray(UDP_ANNOUNCE_RESPONSE_HEADER_BYTES),
    family,
    limits.maxPeers,
  );
  if (!peers.ok) return bad(peers.error.message);
  return {
    action: 'announce',
    transactionId: view.getUint32(4),
    interval: view.getUint32(8),
    leechers: view.getUint32(12),
    seeders: view.getUint32(16),
    peers: peers.value,
  };
};

const decodeScrape = (packet: Uint8Array, view: DataView): UdpScrapeResponse => {
  const entryBytes = packet.length - UDP_SCRAPE_RESPONSE_HEADER_BYTES;
  if (entryBytes % UDP_SCRAPE_ENTRY_BYTES !== 0) {
    bad(`scrape response of ${packet.length} bytes is not 8 + 12 per torrent`);
  }
  const files: UdpScrapeStats[] = [];
  for (
    let at = UDP_SCRAPE_RESPONSE_HEADER_BYTES;
    at < packet.length;
    at += UDP_SCRAPE_ENTRY_BYTES
  ) {
    files.push({
      seeders: view.getUint32(at),
      completed: view.getUint32(at + 4),
      leechers: view.getUint32(at + 8),
    });
  }
  return { action: 'scrape', transactionId: view.getUint32(4), files };
};

/**
 * Decodes a response packet as a client receives it. `family` is that of the socket the
 * announce went over: it decides whether peers are 6 or 18 bytes (BEP 15). Peer addresses are
 * views into `packet`: copy them before reusing the buffer.
 */
export const decodeUdpResponse = (
  packet: Uint8Array,
  family: IpFamily = 'ipv4',
  limits?: Partial<UdpLimits>,
): Result<UdpResponse, ErrorValue> =>
  attempt(() => {
    const l = { ...DEFAULT_UDP_LIMITS, ...limits };
    if (packet.length < UDP_ERROR_HEADER_BYTES) {
      bad(`packet of ${packet.length} bytes is shorter than any response`);
    }
    const view = viewOf(packet);
    const action = view.getUint32(0);
    switch (action) {
      case UDP_ACTIONS.connect:
        if (packet.length !== UDP_CONNECT_RESPONSE_BYTES) {
          bad(`connect response of ${packet.length} bytes, ${UDP_CONNECT_RESPONSE_BYTES} expected`);
        }
        return {
          action: 'connect',
          transactionId: view.getUint32(4),
          connectionId: view.getBigUint64(8),
        };
      case UDP_ACTIONS.announce:
        return decodeAnnounce(packet, view, family, l);
      case UDP_ACTIONS.scrape:
        return decodeScrape(packet, view);
      case UDP_ACTIONS.error: {
        const text = lenientUtf8.decode(packet.subarray(UDP_ERROR_HEADER_BYTES));
        return {
          action: 'error',
          transactionId: view.getUint32(4),
          message: text.replace(/\0+$/, ''),
        };
      }
      default:
        return bad(`unknown response action ${action}`);
    }
  });

const header = (
  size: number,
  action: number,
  transactionId: number,
): { out: Uint8Array; view: DataView } => {
  const out = new Uint8Array(size);
  const view = viewOf(out);
  view.setUint32(0, action);
  view.setUint32(4, transactionId);
  return { out, view };
};

/**
 * Encodes a response packet as a tracker sends it. `family` is that of the socket the request
 * came over; an announce response carries only peers of that family. Values are written as
 * given (validated by the caller): 32-bit fields wrap, they never throw.
 */
export const encodeUdpResponse = (response: UdpResponse, family: IpFamily = 'ipv4'): Uint8Array => {
  switch (response.action) {
    case 'connect': {
      const { out, view } = header(
        UDP_CONNECT_RESPONSE_BYTES,
        UDP_ACTIONS.connect,
        response.transactionId,
      );
      view.setBigUint64(8, response.connectionId);
      return out;
    }
    case 'announce': {
      const peers = encodeCompactPeers(response.peers, family);
      const size = UDP_ANNOUNCE_RESPONSE_HEADER_BYTES + peers.length;
      const { out, view } = header(size, UDP_ACTIONS.announce, response.transactionId);
      view.setUint32(8, response.interval);
      view.setUint32(12, response.leechers);
      view.setUint32(16, response.seeders);
      out.set(peers, UDP_ANNOUNCE_RESPONSE_HEADER_BYTES);
      return out;
    }
    case 'scrape': {
      const size =
        UDP_SCRAPE_RESPONSE_HEADER_BYTES + response.files.length * UDP_SCRAPE_ENTRY_BYTES;
      const { out, view } = header(size, UDP_ACTIONS.scrape, response.transactionId);
      response.files.forEach((f, i) => {
        const at = UDP_SCRAPE_RESPONSE_HEADER_BYTES + i * UDP_SCRAPE_ENTRY_BYTES;
        view.setUint32(at, f.seeders);
        view.setUint32(at + 4, f.completed);
        view.setUint32(at + 8, f.leechers);
      });
      return out;
    }
    case 'error': {
      const text = utf8(response.message);
      const { out } = header(
        UDP_ERROR_HEADER_BYTES + text.length,
        UDP_ACTIONS.error,
        response.transactionId,
      );
      out.set(text, UDP_ERROR_HEADER_BYTES);
      return out;
    }
  }
};
