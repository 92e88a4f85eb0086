/**
 * BEP 15 requests (client to tracker): connect, announce (IPv4 layout, with BEP 41 options
 * after it) and scrape. Decoding is strict about lengths and fields and refuses with
 * TRACKER_BAD_PACKET; encoding is total and never throws.
 */
import { binaryToBytes, bytesToBinary, concatBytes } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';
import { attempt, refuse } from './refusal.js';
import { INFO_HASH_BYTES, type UdpAnnounceEvent } from './types.js';
import {
  DEFAULT_UDP_LIMITS,
  int64,
  UDP_ACTIONS,
  UDP_ANNOUNCE_REQUEST_BYTES,
  UDP_CONNECT_REQUEST_BYTES,
  UDP_EVENTS,
  UDP_PROTOCOL_ID,
  UDP_SCRAPE_REQUEST_HEADER_BYTES,
  type UdpAnnounceRequest,
  type UdpLimits,
  type UdpRequest,
  type UdpScrapeRequest,
  viewOf,
} from './udp-types.js';

/** BEP 41 option types. */
const OPTION_END = 0x0;
const OPTION_NOP = 0x1;
const OPTION_URL_DATA = 0x2;
const MAX_OPTION_DATA = 255;

function bad(message: string): never {
  return refuse('TRACKER_BAD_PACKET', message);
}

const EVENT_BY_NUMBER: readonly UdpAnnounceEvent[] = ['none', 'completed', 'started', 'stopped'];

/** A 64-bit counter as BEP 15 sends it (signed); negative or unsafe values are refused. */
const counter = (view: DataView, at: number, name: string): number => {
  // Two 32-bit halves, no BigInt on the tracker's hot path: a high half of at most 2^21 - 1
  // keeps the value within Number.MAX_SAFE_INTEGER (2^53 - 1).
  const high = view.getInt32(at);
  if (high < 0 || high > 0x1fffff) bad(`${name} ${view.getBigInt64(at)} is out of range`);
  return high * 0x1_0000_0000 + view.getUint32(at + 4);
};

/**
 * BEP 41 options after the fixed announce: EndOfOptions stops, NOP is one byte, every other
 * option is type, length, data. URLData chunks are joined; unknown options are skipped by their
 * length. An option running past the packet is refused: its URLData could be cut short.
 */
const readOptions = (packet: Uint8Array, maxUrlData: number): string | undefined => {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let at = UDP_ANNOUNCE_REQUEST_BYTES;
  while (at < packet.length) {
    const type = packet[at] as number;
    if (type === OPTION_END) break;
    if (type === OPTION_NOP) {
      at++;
      continue;
    }
    const length = packet[at + 1];
    if (length === undefined || at + 2 + length > packet.length) {
      bad(`BEP 41 option ${type} at byte ${at} runs past the end of the packet`);
    }
    const end = at + 2 + length;
    if (type === OPTION_URL_DATA) {
      total += length;
      if (total > maxUrlData) bad(`URLData longer than ${maxUrlData} bytes`);
      chunks.push(packet.subarray(at + 2, end));
    }
    at = end;
  }
  return chunks.length === 0 ? undefined : bytesToBinary(concatBytes(chunks));
};

const decodeAnnounce = (
  packet: Uint8Array,
  view: DataView,
  limits: UdpLimits,
): UdpAnnounceRequest => {
  if (packet.length < UDP_ANNOUNCE_REQUEST_BYTES) {
    bad(
      `announce request of ${packet.length} bytes, at least ${UDP_ANNOUNCE_REQUEST_BYTES} expected`,
    );
  }
  const eventNumber = view.getUint32(80);
  const event = EVENT_BY_NUMBER[eventNumber] ?? bad(`unknown event ${eventNumber}`);
  const port = view.getUint16(96);
  if (port === 0) bad('port 0');
  const ipBytes = packet.subarray(84, 88);
  const urlData = readOptions(packet, limits.maxUrlData);
  return {
    action: 'announce',
    connectionId: view.getBigUint64(0),
    transactionId: view.getUint32(12),
    infoHash: infoHashV1(packet.subarray(16, 36)) as InfoHashV1,
    peerId: packet.subarray(36, 56),
    downloaded: counter(view, 56, 'downloaded'),
    left: counter(view, 64, 'left'),
    uploaded: counter(view, 72, 'uploaded'),
    event,
    ...(view.getUint32(84) === 0 ? {} : { ip: { family: 'ipv4', bytes: ipBytes } as const }),
    key: view.getUint32(88),
    numWant: view.getInt32(92),
    port,
    ...(urlData === undefined ? {} : { urlData }),
  };
};

const decodeScrape = (packet: Uint8Array, view: DataView, limits: UdpLimits): UdpScrapeRequest => {
  const hashBytes = packet.length - UDP_SCRAPE_REQUEST_HEADER_BYTES;
  if (hashBytes % INFO_HASH_BYTES !== 0) {
    bad(`scrape request of ${packet.length} bytes is not 16 + 20 per info-hash`);
  }
  const count = hashBytes / INFO_HASH_BYTES;
  // BEP 15 has no full scrape: a scrape names at least one torrent.
  if (count === 0) bad('scrape request without an info-hash');
  if (count > limits.maxScrapeHashes)
    bad(`scrape of ${count} info-hashes, at most ${limits.maxScrapeHashes}`);
  const infoHashes: InfoHashV1[] = [];
  for (let at = UDP_SCRAPE_REQUEST_HEADER_BYTES; at < packet.length; at += INFO_HASH_BYTES) {
    infoHashes.push(infoHashV1(packet.subarray(at, at + INFO_HASH_BYTES)) as InfoHashV1);
  }
  return {
    action: 'scrape',
    connectionId: view.getBigUint64(0),
    transactionId: view.getUint32(12),
    infoHashes,
  };
};

/**
 * Decodes a request packet as a tracker receives it. Hashes, peer ids and addresses are views
 * into `packet`: copy them before reusing the buffer.
 */
export const decodeUdpRequest = (
  packet: Uint8Array,
  limits?: Partial<UdpLimits>,
): Result<UdpRequest, ErrorValue> =>
  attempt(() => {
    const l = limits === undefined ? DEFAULT_UDP_LIMITS : { ...DEFAULT_UDP_LIMITS, ...limits };
    if (packet.length < UDP_CONNECT_REQUEST_BYTES) {
      bad(`packet of ${packet.length} bytes is shorter than any request`);
    }
    const view = viewOf(packet);
    const action = view.getUint32(8);
    switch (action) {
      case UDP_ACTIONS.connect: {
        if (packet.length !== UDP_CONNECT_REQUEST_BYTES) {
          bad(`connect request of ${packet.length} bytes, ${UDP_CONNECT_REQUEST_BYTES} expected`);
        }
        if (view.getBigUint64(0) !== UDP_PROTOCOL_ID)
          bad('connect request without the BEP 15 protocol id');
        return { action: 'connect', transactionId: view.getUint32(12) };
      }
      case UDP_ACTIONS.announce:
        return decodeAnnounce(packet, view, l);
      case UDP_ACTIONS.scrape:
        return decodeScrape(packet, view, l);
      default:
        return bad(`unknown request action ${action}`);
    }
  });

/**
 * The transaction id of a request packet, if it is long enough to have one, so a tracker can
 * answer a request it refused with an error packet (BEP 15).
 */
export const udpRequestTransactionId = (packet: Uint8Array): number | undefined =>
  packet.length < UDP_CONNECT_REQUEST_BYTES ? undefined : viewOf(packet).getUint32(12);

/** BEP 41 URLData options, in chunks of at most 255 bytes. */
const urlDataOptions = (urlData: string | undefined): Uint8Array => {
  if (urlData === undefined || urlData === '') return new Uint8Array(0);
  const data = binaryToBytes(urlData);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += MAX_OPTION_DATA) {
    const chunk = data.subarray(at, at + MAX_OPTION_DATA);
    parts.push(Uint8Array.of(OPTION_URL_DATA, chunk.length), chunk);
  }
  return concatBytes(parts);
};

const encodeAnnounce = (r: UdpAnnounceRequest): Uint8Array => {
  const options = urlDataOptions(r.urlData);
  const out = new Uint8Array(UDP_ANNOUNCE_REQUEST_BYTES + options.length);
  const view = viewOf(out);
  view.setBigUint64(0, r.connectionId);
  view.setUint32(8, UDP_ACTIONS.announce);
  view.setUint32(12, r.transactionId);
  out.set(r.infoHash.subarray(0, 20), 16);
  out.set(r.peerId.subarray(0, 20), 36);
  view.setBigInt64(56, int64(r.downloaded));
  view.setBigInt64(64, int64(r.left));
  view.setBigInt64(72, int64(r.uploaded));
  view.setUint32(80, UDP_EVENTS[r.event]);
  if (r.ip !== undefined) out.set(r.ip.bytes.subarray(0, 4), 84);
  view.setUint32(88, r.key);
  view.setInt32(92, r.numWant);
  view.setUint16(96, r.port);
  out.set(options, UDP_ANNOUNCE_REQUEST_BYTES);
  return out;
};

/** Encodes a request packet as a client sends it. Values are written as given (validated by
 * the caller); a scrape should name 1..74 torrents. */
export const encodeUdpRequest = (request: UdpRequest): Uint8Array => {
  switch (request.action) {
    case 'connect': {
      const out = new Uint8Array(UDP_CONNECT_REQUEST_BYTES);
      const view = viewOf(out);
      view.setBigUint64(0, UDP_PROTOCOL_ID);
      view.setUint32(8, UDP_ACTIONS.connect);
      view.setUint32(12, request.transactionId);
      return out;
    }
    case 'announce':
      return encodeAnnounce(request);
    case 'scrape': {
      const out = new Uint8Array(
        UDP_SCRAPE_REQUEST_HEADER_BYTES + request.infoHashes.length * INFO_HASH_BYTES,
      );
      const view = viewOf(out);
      view.setBigUint64(0, request.connectionId);
      view.setUint32(8, UDP_ACTIONS.scrape);
      view.setUint32(12, request.transactionId);
      request.infoHashes.forEach((h, i) => {
        out.set(
          h.subarray(0, INFO_HASH_BYTES),
          UDP_SCRAPE_REQUEST_HEADER_BYTES + i * INFO_HASH_BYTES,
        );
      });
      return out;
    }
  }
};
