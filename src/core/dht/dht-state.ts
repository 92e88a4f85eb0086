/**
 * What a DHT node keeps between runs: its id and the nodes of its routing table (good ones
 * first), as a small bencoded dictionary {id, nodes, nodes6} with compact node lists. Read back
 * with the same bounds as packets from the network: the file may be damaged or stale.
 */

import { decodeUtf8, utf8 } from '../../lib/bytes.js';
import type { NodeId } from '../../lib/ids.js';
import { nodeId } from '../../lib/ids.js';
import { decode, encode } from '../bencode/index.js';
import { isBytes, isDict } from '../bencode/types.js';
import { parseIp } from '../tracker-protocol/address.js';
import { decodeNodes, encodeNodes } from './compact.js';
import type { NodeInfo } from './types.js';

export interface DhtState {
  readonly id: NodeId;
  readonly nodes: readonly NodeInfo[];
  /** Our external address as other nodes agreed on it (for a BEP 42 id at the next start). */
  readonly external?: string | undefined;
}

/** A full table: 160 buckets of 8 nodes is far more than any table holds. */
const MAX_SAVED_NODES = 1280;

export const encodeDhtState = (s: DhtState): Uint8Array => {
  const nodes = s.nodes.slice(0, MAX_SAVED_NODES);
  const bytes = encode(
    new Map<string, Uint8Array>([
      ['id', s.id],
      ['nodes', encodeNodes(nodes, 'ipv4')],
      ['nodes6', encodeNodes(nodes, 'ipv6')],
      ...(s.external === undefined ? [] : [['external', utf8(s.external)] as [string, Uint8Array]]),
    ]),
  );
  if (!bytes.ok) throw new Error(`DHT state not encodable: ${bytes.error.message}`);
  return bytes.value;
};

/** The saved state, or undefined when the bytes are not one. */
export const decodeDhtState = (bytes: Uint8Array): DhtState | undefined => {
  const d = decode(bytes, { maxDepth: 2, maxInput: 64 * 1024, requireSortedKeys: false });
  if (!d.ok || !isDict(d.value)) return undefined;
  const id = d.value.get('id');
  if (!isBytes(id) || id.length !== 20) return undefined;
  const nodes: NodeInfo[] = [];
  for (const [key, family] of [
    ['nodes', 'ipv4'],
    ['nodes6', 'ipv6'],
  ] as const) {
    const raw = d.value.get(key);
    if (!isBytes(raw)) continue;
    const r = decodeNodes(raw, family, MAX_SAVED_NODES);
    if (r.ok) nodes.push(...r.value);
  }
  const raw = d.value.get('external');
  const text = isBytes(raw) && raw.length <= 64 ? decodeUtf8(raw) : undefined;
  const external = text !== undefined && parseIp(text) !== undefined ? text : undefined;
  return {
    id: nodeId(id.slice()) as NodeId,
    nodes,
    ...(external === undefined ? {} : { external }),
  };
};
