/**
 * IPv4 and IPv6 addresses as bytes, parsed from and formatted to text without node:net, so the
 * pure core can read tracker responses (BEP 3 "ip", BEP 24 "external ip") and build them.
 */

import { equalBytes } from '../../lib/bytes.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** An address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
export type IpAddress =
  | { readonly family: 'ipv4'; readonly bytes: Uint8Array }
  | { readonly family: 'ipv6'; readonly bytes: Uint8Array };

export type Ipv4Address = Extract<IpAddress, { family: 'ipv4' }>;
export type Ipv6Address = Extract<IpAddress, { family: 'ipv6' }>;

/** Where a peer listens. */
export interface PeerAddress {
  readonly ip: IpAddress;
  readonly port: number;
}

export const IPV4_BYTES = 4;
export const IPV6_BYTES = 16;
/** Longest IPv6 text: eight groups with an embedded dotted quad at the end. */
const MAX_IPV6_TEXT = 45;

export const ipBytesLength = (family: IpFamily): number =>
  family === 'ipv4' ? IPV4_BYTES : IPV6_BYTES;

/** An address over these bytes (a view, not a copy): IPv4 for 4 bytes, IPv6 for 16. */
export const ipFromBytes = (bytes: Uint8Array): IpAddress | undefined => {
  if (bytes.length === IPV4_BYTES) return { family: 'ipv4', bytes };
  if (bytes.length === IPV6_BYTES) return { family: 'ipv6', bytes };
  return undefined;
};

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * A dotted quad, each part 0..255 in decimal. Leading zeros are refused: inet_aton would read
 * "010" as octal 8, so accepting them would let two parsers disagree about one address.
 */
export const parseIpv4 = (text: string): Ipv4Address | undefined => {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  const bytes = new Uint8Array(IPV4_BYTES);
  for (let i = 0; i < IPV4_BYTES; i++) {
    const part = m[i + 1] as string;
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    bytes[i] = n;
  }
  return { family: 'ipv4', bytes };
};

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

const readUint16 = (bytes: Uint8Array, at: number): number =>
  ((bytes[at] as number) << 8) | (bytes[at + 1] as number);

/** Parses the groups on one side of "::" into 16-bit values; an embedded IPv4 counts as two. */
const parseGroups = (side: string, mayEndInIpv4: boolean): number[] | undefined => {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (mayEndInIpv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(readUint16(v4.bytes, 0), readUint16(v4.bytes, 2));
    } else if (HEX_GROUP.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
};

/**
 * RFC 4291 §2.2 text: eight hex groups, one "::" for a run of zero groups, and an optional
 * dotted quad in the last 32 bits. Zone identifiers ("%eth0") are refused: a tracker has no use
 * for a link-local scope.
 */
export const parseIpv6 = (text: string): Ipv6Address | undefined => {
  if (text.length < 2 || text.length > MAX_IPV6_TEXT) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = parseGroups(halves[0] as string, !compressed);
  const tail = compressed ? parseGroups(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const explicit = head.length + tail.length;
  // "::" stands for at least one zero group (RFC 4291), so at most seven are written with it.
  if (compressed ? explicit > 7 : explicit !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail];
  const bytes = new Uint8Array(IPV6_BYTES);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return { family: 'ipv6', bytes };
};

/** Either family, decided by the text: a colon means IPv6. */
export const parseIp = (text: string): IpAddress | undefined =>
  text.includes(':') ? parseIpv6(text) : parseIpv4(text);

const isIpv4Mapped = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
};

/** The IPv4 address behind an IPv4-mapped IPv6 one (::ffff:a.b.c.d), as dual-stack sockets
 * report IPv4 senders; any other address is returned as it is. */
export const unmapIpv4 = (ip: IpAddress): IpAddress =>
  ip.family === 'ipv6' && isIpv4Mapped(ip.bytes)
    ? { family: 'ipv4', bytes: ip.bytes.subarray(12) }
    : ip;

const formatIpv4 = (bytes: Uint8Array): string => Array.from(bytes.subarray(0, 4)).join('.');

/** RFC 5952 canonical text: lower case, no leading zeros, the longest run (at least two) of
 * zero groups, first on a tie, written as "::", and IPv4-mapped addresses as ::ffff:a.b.c.d. */
const formatIpv6 = (bytes: Uint8Array): string => {
  if (isIpv4Mapped(bytes)) return `::ffff:${formatIpv4(bytes.subarray(12))}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(readUint16(bytes, i * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
};

export const formatIp = (ip: IpAddress): string =>
  ip.family === 'ipv4' ? formatIpv4(ip.bytes) : formatIpv6(ip.bytes);

/** "1.2.3.4:6881", or "[2001:db8::1]:6881" for IPv6 (RFC 3986 host syntax). */
export const formatPeerAddress = (peer: PeerAddress): string =>
  peer.ip.family === 'ipv4'
    ? `${formatIp(peer.ip)}:${peer.port}`
    : `[${formatIp(peer.ip)}]:${peer.port}`;

const HOST_PORT = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/;

/** The inverse of formatPeerAddress; the port must be 1..65535. */
export const parsePeerAddress = (text: string): PeerAddress | undefined => {
  const m = HOST_PORT.exec(text);
  if (m === null) return undefined;
  const ip = m[1] !== undefined ? parseIpv6(m[1]) : parseIpv4(m[2] as string);
  const port = Number(m[3]);
  if (ip === undefined || port < 1 || port > 65535) return undefined;
  return { ip, port };
};

export const equalIp = (a: IpAddress, b: IpAddress): boolean =>
  a.family === b.family && equalBytes(a.bytes, b.bytes);
