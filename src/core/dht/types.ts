/**
 * The DHT's vocabulary (BEP 5): node contacts, KRPC messages as decoded values. The codec
 * (krpc.ts) turns packets into these and back; the node (dht-node.ts) only ever sees these.
 */
import type { NodeId } from '../../lib/ids.js';

/** A UDP endpoint: `host` is a dotted IPv4 address or an IPv6 address in text form. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** A node's contact: its id and where it answers. */
export interface NodeInfo {
  readonly id: NodeId;
  readonly address: NodeAddress;
}

/** BEP 32: which address families a querier wants nodes of ('n4', 'n6'). */
export type WantFamily = 'n4' | 'n6';

export type KrpcQuery =
  | { readonly method: 'ping' }
  | {
      readonly method: 'find_node';
      readonly target: NodeId;
      readonly want?: readonly WantFamily[] | undefined;
    }
  | {
      readonly method: 'get_peers';
      /** 20 bytes (a v1 info-hash, or a v2 one truncated, BEP 52). */
      readonly infoHash: Uint8Array;
      readonly want?: readonly WantFamily[] | undefined;
    }
  | {
      readonly method: 'announce_peer';
      readonly infoHash: Uint8Array;
      readonly port: number;
      /** `implied_port`: use the UDP source port instead of `port` (for peers behind NAT). */
      readonly impliedPort: boolean;
      readonly token: Uint8Array;
      /** BEP 33 `seed`: the announcer is a seed (informational). */
      readonly seed?: boolean | undefined;
    }
  /** A method this node does not know: answered with error 204 (BEP 5). */
  | { readonly method: 'unknown'; readonly name: string };

export interface KrpcQueryMessage {
  readonly kind: 'query';
  /** Transaction id, echoed in the answer (1 to 16 bytes). */
  readonly t: Uint8Array;
  /** The querier's node id. */
  readonly id: NodeId;
  /** BEP 43 `ro`: the querier is read-only; do not add it to routing tables. */
  readonly readOnly: boolean;
  /** Client version (`v`), informational. */
  readonly version?: Uint8Array | undefined;
  readonly query: KrpcQuery;
}

export interface KrpcResponseMessage {
  readonly kind: 'response';
  readonly t: Uint8Array;
  readonly id: NodeId;
  readonly version?: Uint8Array | undefined;
  /** BEP 42 `ip`: the address the responder saw the query come from. */
  readonly ip?: NodeAddress | undefined;
  /** `nodes`: compact IPv4 node info (26 bytes each). */
  readonly nodes?: readonly NodeInfo[] | undefined;
  /** `nodes6` (BEP 32): compact IPv6 node info (38 bytes each). */
  readonly nodes6?: readonly NodeInfo[] | undefined;
  /** `values`: compact peers (6 or 18 bytes each) for get_peers. */
  readonly values?: readonly NodeAddress[] | undefined;
  /** Write token for a later announce_peer (get_peers). */
  readonly token?: Uint8Array | undefined;
}

export interface KrpcErrorMessage {
  readonly kind: 'error';
  readonly t: Uint8Array;
  /** 201 generic, 202 server, 203 protocol, 204 method unknown (BEP 5). */
  readonly code: number;
  readonly message: string;
}

export type KrpcMessage = KrpcQueryMessage | KrpcResponseMessage | KrpcErrorMessage;

export const KRPC_ERROR = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
} as const;
