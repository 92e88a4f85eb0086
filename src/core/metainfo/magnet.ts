/** Magnet links: BEP 9 (btih, dn, tr, x.pe), BEP 53 (so), BEP 19 (ws) and BEP 52 (btmh). */
import { toHex } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import {
  type InfoHashV1,
  type InfoHashV2,
  infoHashV1,
  infoHashV1FromHex,
  infoHashV2FromHex,
} from '../../lib/ids.js';
import { err, ok, type Result } from '../../lib/result.js';

export interface FileRange {
  readonly first: number;
  readonly last: number;
}

export interface MagnetLink {
  readonly infoHashV1: InfoHashV1 | undefined;
  readonly infoHashV2: InfoHashV2 | undefined;
  readonly name: string | undefined;
  readonly trackers: readonly string[];
  readonly webSeeds: readonly string[];
  /** Peer addresses as `host:port` (`[v6]:port` for IPv6). */
  readonly peers: readonly string[];
  /** BEP 53 select-only: file indices to download, undefined for all. */
  readonly select: readonly FileRange[] | undefined;
}

const MAX_URI = 64 * 1024;
const MAX_PARAMS = 1000;
const MAX_SELECT_RANGES = 10_000;
// multihash prefix of SHA2-256 with a 32-byte digest (BEP 52).
const SHA256_MULTIHASH = '1220';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const bad = (message: string): Result<never, ErrorValue> =>
  err({ code: 'MAGNET_BAD_URI', message });

const base32Decode = (text: string): Uint8Array | undefined => {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of text.toUpperCase()) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
};

const parseBtih = (value: string): InfoHashV1 | undefined => {
  if (value.length === 40) return infoHashV1FromHex(value);
  if (value.length === 32) {
    const bytes = base32Decode(value);
    return bytes === undefined ? undefined : infoHashV1(bytes);
  }
  return undefined;
};

const parseBtmh = (value: string): InfoHashV2 | undefined =>
  value.toLowerCase().startsWith(SHA256_MULTIHASH) && value.length === 68
    ? infoHashV2FromHex(value.slice(4))
    : undefined;

const PEER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const parsePeer = (value: string): string | undefined => {
  const m = PEER.exec(value);
  if (m === null) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? value : undefined;
};

/** "0,2,4-6" → ranges; undefined if malformed. */
export const parseSelect = (value: string): FileRange[] | undefined => {
  const parts = value.split(',');
  if (parts.length > MAX_SELECT_RANGES) return undefined;
  const ranges: FileRange[] = [];
  for (const part of parts) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    if (m === null) return undefined;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return undefined;
    ranges.push({ first, last });
  }
  return ranges;
};

export const formatSelect = (ranges: readonly FileRange[]): string =>
  ranges.map((r) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`)).join(',');

const decodeParam = (raw: string, plusIsSpace: boolean): string | undefined => {
  try {
    return decodeURIComponent(plusIsSpace ? raw.replaceAll('+', ' ') : raw);
  } catch {
    return undefined;
  }
};

const push = (list: string[], value: string): void => {
  if (!list.includes(value)) list.push(value);
};

export const parseMagnet = (uri: string): Result<MagnetLink, ErrorValue> => {
  if (uri.length > MAX_URI) return bad(`magnet link longer than ${MAX_URI} characters`);
  if (!uri.toLowerCase().startsWith('magnet:?')) return bad('not a magnet link (magnet:?...)');
  const params = uri.slice(8).split('&');
  if (params.length > MAX_PARAMS) return bad(`more than ${MAX_PARAMS} parameters`);
  let v1: InfoHashV1 | undefined;
  let v2: InfoHashV2 | undefined;
  let name: string | undefined;
  let select: FileRange[] | undefined;
  const trackers: string[] = [];
  const webSeeds: string[] = [];
  const peers: string[] = [];
  for (const param of params) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    // BEP 9 allows numbered keys (xt.1, tr.2); x.pe is a name in its own right.
    const rawKey = (eq < 0 ? param : param.slice(0, eq)).toLowerCase();
    const key = rawKey === 'x.pe' ? rawKey : rawKey.replace(/\.\d+$/, '');
    const value = decodeParam(eq < 0 ? '' : param.slice(eq + 1), key === 'dn');
    if (value === undefined) return bad(`parameter ${rawKey} is not valid percent-encoding`);
    switch (key) {
      case 'xt': {
        const lower = value.toLowerCase();
        if (lower.startsWith('urn:btih:')) {
          const h = parseBtih(value.slice(9));
          if (h === undefined) return bad(`xt ${value} is not a 40-hex or 32-base32 info-hash`);
          v1 ??= h;
        } else if (lower.startsWith('urn:btmh:')) {
          const h = parseBtmh(value.slice(9));
          if (h === undefined)
            return bad(`xt ${value} is not a SHA2-256 multihash (1220 + 64 hex)`);
          v2 ??= h;
        }
        break;
      }
      case 'dn':
        name = value;
        break;
      case 'tr':
        if (value !== '') push(trackers, value);
        break;
      case 'ws':
        if (value !== '') push(webSeeds, value);
        break;
      case 'x.pe': {
        const peer = parsePeer(value);
        if (peer === undefined) return bad(`x.pe ${value} is not host:port`);
        push(peers, peer);
        break;
      }
      case 'so': {
        const ranges = parseSelect(value);
        if (ranges === undefined) return bad(`so ${value} is not a list of file indices`);
        select = ranges;
        break;
      }
      default:
        // Other parameters (xl, kt, as, ...) are allowed and ignored.
        break;
    }
  }
  if (v1 === undefined && v2 === undefined) {
    return err({
      code: 'MAGNET_NO_HASH',
      message: 'the magnet link has no urn:btih or urn:btmh xt',
    });
  }
  return ok({ infoHashV1: v1, infoHashV2: v2, name, trackers, webSeeds, peers, select });
};

/** Builds a magnet link; values are percent-encoded, hashes in lower-case hex. */
export const buildMagnet = (link: Partial<MagnetLink>): string => {
  const parts: string[] = [];
  if (link.infoHashV1 !== undefined) parts.push(`xt=urn:btih:${toHex(link.infoHashV1)}`);
  if (link.infoHashV2 !== undefined)
    parts.push(`xt=urn:btmh:${SHA256_MULTIHASH}${toHex(link.infoHashV2)}`);
  if (link.name !== undefined) parts.push(`dn=${encodeURIComponent(link.name)}`);
  for (const t of link.trackers ?? []) parts.push(`tr=${encodeURIComponent(t)}`);
  for (const w of link.webSeeds ?? []) parts.push(`ws=${encodeURIComponent(w)}`);
  for (const p of link.peers ?? []) parts.push(`x.pe=${encodeURIComponent(p)}`);
  if (link.select !== undefined) parts.push(`so=${formatSelect(link.select)}`);
  return `magnet:?${parts.join('&')}`;
};
