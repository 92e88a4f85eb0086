/**
 * Announce responses built straight from compact peer bytes, for a tracker's hot path: no peer
 * objects, no generic bencode tree. The HTTP body is byte-identical to what
 * encodeAnnounceResponse writes for the same compact reply (BEP 3 keys in sorted order, BEP 23
 * "peers", BEP 7 "peers6" only when there are IPv6 peers); the UDP packet is BEP 15's.
 */
import { utf8 } from '../../lib/bytes.js';
import { UDP_ACTIONS, UDP_ANNOUNCE_RESPONSE_HEADER_BYTES } from './udp-types.js';

export interface CompactAnnounceFields {
  readonly interval: number;
  readonly minInterval?: number | undefined;
  /** Seeders. */
  readonly complete: number;
  /** Leechers. */
  readonly incomplete: number;
  readonly warning?: string | undefined;
}

const writeAscii = (out: Uint8Array, at: number, text: string): number => {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
};

const int = (key: string, n: number): string =>
  `${key.length}:${key}i${Math.max(0, Math.floor(n))}e`;

/**
 * The bencoded body of a compact announce response. `peers` holds 6-byte IPv4 entries and
 * `peers6` 18-byte IPv6 ones, already encoded (BEP 23, BEP 7).
 */
export const encodeCompactAnnounceBody = (
  fields: CompactAnnounceFields,
  peers: Uint8Array,
  peers6: Uint8Array,
): Uint8Array => {
  let head = `d${int('complete', fields.complete)}${int('incomplete', fields.incomplete)}`;
  head += int('interval', fields.interval);
  if (fields.minInterval !== undefined) head += int('min interval', fields.minInterval);
  head += `5:peers${peers.length}:`;
  const mid = peers6.length > 0 ? `6:peers6${peers6.length}:` : '';
  const warning = fields.warning === undefined ? undefined : utf8(fields.warning);
  const warningHead = warning === undefined ? '' : `15:warning message${warning.length}:`;
  const size =
    head.length +
    peers.length +
    mid.length +
    (mid === '' ? 0 : peers6.length) +
    warningHead.length +
    (warning?.length ?? 0) +
    1;
  const out = new Uint8Array(size);
  let at = writeAscii(out, 0, head);
  out.set(peers, at);
  at += peers.length;
  if (mid !== '') {
    at = writeAscii(out, at, mid);
    out.set(peers6, at);
    at += peers6.length;
  }
  if (warning !== undefined) {
    at = writeAscii(out, at, warningHead);
    out.set(warning, at);
    at += warning.length;
  }
  out[at] = 0x65; // 'e'
  return out;
};

const writeU32 = (out: Uint8Array, at: number, v: number): void => {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
};

/**
 * A BEP 15 announce response with `peers` already compact (6 bytes each over IPv4, 18 over
 * IPv6): 20 bytes plus the peers, nothing more. `alloc` gives the packet's bytes (a runtime
 * can hand out pooled memory; every byte is written).
 */
export const encodeUdpAnnounceBody = (
  transactionId: number,
  interval: number,
  leechers: number,
  seeders: number,
  peers: Uint8Array,
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array => {
  const out = alloc(UDP_ANNOUNCE_RESPONSE_HEADER_BYTES + peers.length);
  writeU32(out, 0, UDP_ACTIONS.announce);
  writeU32(out, 4, transactionId >>> 0);
  writeU32(out, 8, interval >>> 0);
  writeU32(out, 12, leechers >>> 0);
  writeU32(out, 16, seeders >>> 0);
  out.set(peers, UDP_ANNOUNCE_RESPONSE_HEADER_BYTES);
  return out;
};
