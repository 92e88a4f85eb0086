/**
 * Local Service Discovery (BEP 14): a peer announces the torrents it has on the local network
 * by multicasting an HTTP-like "BT-SEARCH" datagram to 239.192.152.143:6771 (IPv4) or
 * [ff15::efc0:988f]:6771 (IPv6), naming its listen port, the info-hashes (hex) and a cookie that
 * lets it recognise, and ignore, its own announces.
 */
import { decodeUtf8, utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';

export const LSD_IPV4_GROUP = '239.192.152.143';
export const LSD_IPV6_GROUP = 'ff15::efc0:988f';
export const LSD_PORT = 6771;
/** BEP 14: announce a torrent no more than once a minute; five is plenty for a LAN. */
export const LSD_INTERVAL_MS = 5 * 60_000;
/** One datagram; more info-hashes go in the next. */
export const LSD_MAX_HASHES = 16;
const MAX_DATAGRAM = 1400;

export interface LsdAnnounce {
  readonly port: number;
  /** 20-byte info-hashes (v2 ones truncated), at most LSD_MAX_HASHES. */
  readonly infoHashes: readonly Uint8Array[];
  readonly cookie?: string | undefined;
}

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export const encodeLsd = (a: LsdAnnounce, ipv6 = false): Uint8Array => {
  const host = ipv6 ? `[${LSD_IPV6_GROUP}]:${LSD_PORT}` : `${LSD_IPV4_GROUP}:${LSD_PORT}`;
  const lines = [
    'BT-SEARCH * HTTP/1.1',
    `Host: ${host}`,
    `Port: ${a.port}`,
    ...a.infoHashes.slice(0, LSD_MAX_HASHES).map((h) => `Infohash: ${hex(h)}`),
    ...(a.cookie === undefined ? [] : [`cookie: ${a.cookie}`]),
  ];
  return utf8(`${lines.join('\r\n')}\r\n\r\n\r\n`);
};

const bad = (message: string): { ok: false; error: ErrorValue } =>
  err({ code: 'LSD_BAD_MESSAGE', message });

export const decodeLsd = (datagram: Uint8Array): Result<LsdAnnounce, ErrorValue> => {
  if (datagram.length > MAX_DATAGRAM) return bad(`a datagram of ${datagram.length} bytes`);
  const text = decodeUtf8(datagram);
  if (text === undefined) return bad('not UTF-8');
  const lines = text.split(/\r?\n/);
  if (lines[0] !== 'BT-SEARCH * HTTP/1.1') return bad('not a BT-SEARCH request');
  let port: number | undefined;
  let cookie: string | undefined;
  const infoHashes: Uint8Array[] = [];
  for (const line of lines.slice(1)) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase();
    const value = line.slice(at + 1).trim();
    if (name === 'port') {
      const n = Number(value);
      if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) return bad(`port ${value}`);
      port = n;
    } else if (name === 'infohash') {
      if (!/^[0-9a-fA-F]{40}$/.test(value)) return bad(`infohash ${value}`);
      if (infoHashes.length >= LSD_MAX_HASHES) return bad('too many info-hashes');
      infoHashes.push(
        Uint8Array.from(value.match(/../g) as string[], (h) => Number.parseInt(h, 16)),
      );
    } else if (name === 'cookie') cookie = value.slice(0, 64);
  }
  if (port === undefined) return bad('no port');
  if (infoHashes.length === 0) return bad('no info-hash');
  return ok({ port, infoHashes, cookie });
};
