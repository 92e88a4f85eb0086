/**
 * Answers to the queries of other nodes (BEP 5): ping, find_node, get_peers, announce_peer, and
 * error 204 for a method this node does not know. Pure: the routing table, the peer store and
 * the token issuer are passed in.
 */
import type { NodeId } from '../../lib/ids.js';
import type { Rng } from '../../lib/ports.js';
import type { PeerStore } from './peer-store.js';
import type { RoutingTable } from './routing-table.js';
import type { TokenIssuer } from './tokens.js';
import {
  KRPC_ERROR,
  type KrpcMessage,
  type KrpcQueryMessage,
  type NodeAddress,
  type NodeInfo,
  type WantFamily,
} from './types.js';

export interface ServeContext {
  readonly own: NodeId;
  readonly table: RoutingTable;
  readonly peers: PeerStore;
  readonly tokens: TokenIssuer;
  readonly rng: Rng;
  readonly version: Uint8Array | undefined;
  readonly k: number;
}

export const isIpv6 = (host: string): boolean => host.includes(':');

/** The closest nodes of each wanted family (BEP 32: by default the querier's own family). */
const closestByFamily = (
  ctx: ServeContext,
  target: Uint8Array,
  want: readonly WantFamily[] | undefined,
  from: NodeAddress,
): { nodes?: NodeInfo[]; nodes6?: NodeInfo[] } => {
  const families = want !== undefined && want.length > 0 ? want : [isIpv6(from.host) ? 'n6' : 'n4'];
  // Ask the table for more than k: some of the closest may be of the other family.
  const near = ctx.table.closest(target, ctx.k * 4);
  const out: { nodes?: NodeInfo[]; nodes6?: NodeInfo[] } = {};
  if (families.includes('n4'))
    out.nodes = near.filter((n) => !isIpv6(n.address.host)).slice(0, ctx.k);
  if (families.includes('n6'))
    out.nodes6 = near.filter((n) => isIpv6(n.address.host)).slice(0, ctx.k);
  return out;
};

/** The answer to a query from `from`, or undefined when none is due. */
export const serveQuery = (
  ctx: ServeContext,
  q: KrpcQueryMessage,
  from: NodeAddress,
  now: number,
): KrpcMessage => {
  const base = { kind: 'response' as const, t: q.t, id: ctx.own, version: ctx.version, ip: from };
  const query = q.query;
  switch (query.method) {
    case 'ping':
      return base;
    case 'find_node':
      return { ...base, ...closestByFamily(ctx, query.target, query.want, from) };
    case 'get_peers': {
      const values = ctx.peers
        .peers(query.infoHash, now, ctx.rng)
        .filter((p) => isIpv6(p.host) === isIpv6(from.host));
      return {
        ...base,
        token: ctx.tokens.issue(from.host, now),
        ...closestByFamily(ctx, query.infoHash, query.want, from),
        ...(values.length > 0 ? { values } : {}),
      };
    }
    case 'announce_peer': {
      if (!ctx.tokens.valid(query.token, from.host, now)) {
        return { kind: 'error', t: q.t, code: KRPC_ERROR.protocol, message: 'bad token' };
      }
      const port = query.impliedPort ? from.port : query.port;
      if (port < 1 || port > 65535)
        return { kind: 'error', t: q.t, code: KRPC_ERROR.protocol, message: 'bad port' };
      ctx.peers.announce(query.infoHash, { host: from.host, port }, query.seed === true, now);
      return base;
    }
    case 'unknown':
      return {
        kind: 'error',
        t: q.t,
        code: KRPC_ERROR.methodUnknown,
        message: 'Method Unknown',
      };
    default: {
      const never: never = query;
      return never;
    }
  }
};
