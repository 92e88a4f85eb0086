/**
 * KRPC, the DHT's message format (BEP 5): one bencoded dictionary per UDP datagram, a query
 * (`y` = q), a response (r) or an error (e), matched by the transaction id `t`. With BEP 32
 * (`nodes6`, `want`), BEP 42 (`ip`), BEP 43 (`ro`) and BEP 33's `seed` flag on announces.
 *
 * Strict where a mistake would mislead the node (ids, hashes, tokens, ports must have their
 * exact shapes), lenient where a field is only informational (a malformed `ip` or `v` is
 * ignored, a malformed peer in `values` skipped), and bounded throughout: a packet over
 * MAX_KRPC_PACKET bytes is refused before it is parsed.
 */

import { bytesToBinary, decodeUtf8, utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { type NodeId, nodeId } from '../../lib/ids.js';
import { err, ok, type Result } from '../../lib/result.js';
import { decode, encode } from '../bencode/index.js';
import { type BDict, type BValue, isBytes, isDict, isList } from '../bencode/types.js';
import { decodeEndpoint, decodeNodes, encodeEndpoint, encodeNodes } from './compact.js';
import type {
  KrpcMessage,
  KrpcQuery,
  KrpcQueryMessage,
  KrpcResponseMessage,
  NodeAddress,
  WantFamily,
} from './types.js';

/** Larger than any well-formed KRPC packet (8 nodes of each family and 50 peers fit in 1 KB). */
export const MAX_KRPC_PACKET = 2048;
const MAX_T = 16;
const MAX_TOKEN = 64;
const MAX_NODES = 64;
const MAX_VALUES = 256;
const MAX_METHOD = 64;
const MAX_VERSION = 16;

/** A refused packet; `t` when the transaction id could be read (to answer error 203). */
export interface KrpcDecodeError extends ErrorValue {
  readonly t?: Uint8Array | undefined;
}

const bad = (message: string, t?: Uint8Array): { ok: false; error: KrpcDecodeError } =>
  err({ code: 'DHT_BAD_PACKET', message, ...(t === undefined ? {} : { t }) });

const text = (v: BValue | undefined): string | undefined =>
  isBytes(v) ? bytesToBinary(v) : undefined;

const id20 = (v: BValue | undefined): NodeId | undefined =>
  isBytes(v) && v.length === 20 ? nodeId(v.slice()) : undefined;

const int = (v: BValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

export const decodeKrpc = (packet: Uint8Array): Result<KrpcMessage, KrpcDecodeError> => {
  if (packet.length > MAX_KRPC_PACKET)
    return bad(`a packet of ${packet.length} bytes, over the limit of ${MAX_KRPC_PACKET}`);
  const decoded = decode(packet, {
    maxDepth: 4,
    maxInput: MAX_KRPC_PACKET,
    maxString: MAX_KRPC_PACKET,
    maxIntegerDigits: 20,
    requireSortedKeys: false,
  });
  if (!decoded.ok) return bad(`not bencode: ${decoded.error.message}`);
  const top = decoded.value;
  if (!isDict(top)) return bad('not a dictionary');
  const tv = top.get('t');
  if (!isBytes(tv) || tv.length < 1 || tv.length > MAX_T) return bad('no valid transaction id');
  const t = tv.slice();
  const y = text(top.get('y'));
  const version = top.get('v');
  const v = isBytes(version) && version.length <= MAX_VERSION ? version.slice() : undefined;
  if (y === 'q') return decodeQuery(top, t, v);
  if (y === 'r') return decodeResponse(top, t, v);
  if (y === 'e') {
    const e = top.get('e');
    if (!isList(e) || e.length < 2) return bad('an error without [code, message]', t);
    const code = int(e[0]);
    const msg = e[1];
    if (code === undefined || !isBytes(msg)) return bad('an error without [code, message]', t);
    const message = (decodeUtf8(msg) ?? bytesToBinary(msg)).slice(0, 256);
    return ok({ kind: 'error', t, code, message });
  }
  return bad('y is not q, r or e', t);
};

const decodeWant = (a: BDict): WantFamily[] | undefined => {
  const want = a.get('want');
  if (!isList(want)) return undefined;
  const out: WantFamily[] = [];
  for (const w of want) {
    const name = text(w);
    if ((name === 'n4' || name === 'n6') && !out.includes(name)) out.push(name);
  }
  return out;
};

const wantOf = (a: BDict): { want?: WantFamily[] } => {
  const want = decodeWant(a);
  return want === undefined ? {} : { want };
};

const decodeQuery = (
  top: BDict,
  t: Uint8Array,
  version: Uint8Array | undefined,
): Result<KrpcQueryMessage, KrpcDecodeError> => {
  const name = text(top.get('q'));
  const a = top.get('a');
  if (name === undefined || name.length > MAX_METHOD) return bad('a query without q', t);
  if (!isDict(a)) return bad('a query without arguments', t);
  const id = id20(a.get('id'));
  if (id === undefined) return bad('a query without a 20-byte id', t);
  const base = { kind: 'query' as const, t, id, readOnly: int(top.get('ro')) === 1, version };
  const query = decodeArguments(name, a);
  if (typeof query === 'string') return bad(query, t);
  return ok({ ...base, query });
};

/** The query's arguments, or what is wrong with them. */
const decodeArguments = (name: string, a: BDict): KrpcQuery | string => {
  switch (name) {
    case 'ping':
      return { method: 'ping' };
    case 'find_node': {
      const target = id20(a.get('target'));
      if (target === undefined) return 'find_node without a 20-byte target';
      return { method: 'find_node', target, ...wantOf(a) };
    }
    case 'get_peers': {
      const infoHash = id20(a.get('info_hash'));
      if (infoHash === undefined) return 'get_peers without a 20-byte info_hash';
      return { method: 'get_peers', infoHash, ...wantOf(a) };
    }
    case 'announce_peer': {
      const infoHash = id20(a.get('info_hash'));
      const token = a.get('token');
      const impliedPort = int(a.get('implied_port')) === 1;
      const port = int(a.get('port'));
      if (infoHash === undefined) return 'announce_peer without a 20-byte info_hash';
      if (!isBytes(token) || token.length < 1 || token.length > MAX_TOKEN)
        return 'announce_peer without a valid token';
      if (!impliedPort && (port === undefined || port < 1 || port > 65535))
        return 'announce_peer without a valid port';
      const seed = int(a.get('seed'));
      return {
        method: 'announce_peer',
        infoHash,
        port: port !== undefined && port >= 0 && port <= 65535 ? port : 0,
        impliedPort,
        token: token.slice(),
        ...(seed === undefined ? {} : { seed: seed === 1 }),
      };
    }
    default:
      return { method: 'unknown', name };
  }
};

const decodeResponse = (
  top: BDict,
  t: Uint8Array,
  version: Uint8Array | undefined,
): Result<KrpcResponseMessage, KrpcDecodeError> => {
  const r = top.get('r');
  if (!isDict(r)) return bad('a response without r', t);
  const id = id20(r.get('id'));
  if (id === undefined) return bad('a response without a 20-byte id', t);
  const ipBytes = top.get('ip');
  const ip =
    isBytes(ipBytes) && (ipBytes.length === 6 || ipBytes.length === 18)
      ? decodeEndpoint(ipBytes)
      : undefined;
  const out: {
    -readonly [K in keyof KrpcResponseMessage]: KrpcResponseMessage[K];
  } = { kind: 'response', t, id, version, ip };
  for (const [key, family] of [
    ['nodes', 'ipv4'],
    ['nodes6', 'ipv6'],
  ] as const) {
    const raw = r.get(key);
    if (raw === undefined) continue;
    if (!isBytes(raw)) return bad(`${key} is not a string`, t);
    const nodes = decodeNodes(raw, family, MAX_NODES);
    if (!nodes.ok) return bad(nodes.error.message, t);
    out[key] = nodes.value;
  }
  const values = r.get('values');
  if (values !== undefined) {
    if (!isList(values)) return bad('values is not a list', t);
    if (values.length > MAX_VALUES) return bad(`more than ${MAX_VALUES} values`, t);
    const peers: NodeAddress[] = [];
    for (const v of values) {
      if (!isBytes(v) || (v.length !== 6 && v.length !== 18)) continue;
      const peer = decodeEndpoint(v);
      if (peer !== undefined && peer.port !== 0) peers.push(peer);
    }
    out.values = peers;
  }
  const token = r.get('token');
  if (isBytes(token) && token.length >= 1 && token.length <= MAX_TOKEN) out.token = token.slice();
  return ok(out);
};

/** A KRPC packet (canonical bencode: sorted keys). */
export const encodeKrpc = (m: KrpcMessage): Uint8Array => {
  const top = new Map<string, unknown>();
  top.set('t', m.t);
  if (m.kind === 'error') {
    top.set('y', 'e');
    top.set('e', [m.code, utf8(m.message)]);
  } else if (m.kind === 'query') {
    top.set('y', 'q');
    top.set('q', m.query.method === 'unknown' ? m.query.name : m.query.method);
    top.set('a', queryArguments(m));
    if (m.readOnly) top.set('ro', 1);
  } else {
    top.set('y', 'r');
    const r = new Map<string, unknown>([['id', m.id]]);
    if (m.nodes !== undefined) r.set('nodes', encodeNodes(m.nodes, 'ipv4'));
    if (m.nodes6 !== undefined) r.set('nodes6', encodeNodes(m.nodes6, 'ipv6'));
    if (m.token !== undefined) r.set('token', m.token);
    if (m.values !== undefined) {
      r.set(
        'values',
        m.values.flatMap((p) => {
          const e = encodeEndpoint(p);
          return e === undefined ? [] : [e];
        }),
      );
    }
    top.set('r', r);
    const ip = m.ip === undefined ? undefined : encodeEndpoint(m.ip);
    if (ip !== undefined) top.set('ip', ip);
  }
  if (m.kind !== 'error' && m.version !== undefined) top.set('v', m.version);
  const bytes = encode(top as Map<string, never>);
  if (!bytes.ok) throw new Error(`KRPC message not encodable: ${bytes.error.message}`);
  return bytes.value;
};

const queryArguments = (m: KrpcQueryMessage): Map<string, unknown> => {
  const a = new Map<string, unknown>([['id', m.id]]);
  const q = m.query;
  switch (q.method) {
    case 'ping':
    case 'unknown':
      break;
    case 'find_node':
      a.set('target', q.target);
      if (q.want !== undefined) a.set('want', [...q.want]);
      break;
    case 'get_peers':
      a.set('info_hash', q.infoHash);
      if (q.want !== undefined) a.set('want', [...q.want]);
      break;
    case 'announce_peer':
      a.set('info_hash', q.infoHash);
      a.set('port', q.port);
      a.set('token', q.token);
      if (q.impliedPort) a.set('implied_port', 1);
      if (q.seed !== undefined) a.set('seed', q.seed ? 1 : 0);
      break;
  }
  return a;
};
