/**
 * Correctness checks of the load generator: its hand-written requests must equal what the
 * project's codecs build, and a sample of the replies, decoded by the project's codecs, must
 * list peers of the requested torrent's swarm (not the requester, not another swarm's).
 */

import {
  buildAnnounceUrl,
  encodeUdpRequest,
  type PeerAddress,
} from '../../src/core/tracker-protocol/index.js';
import type { InfoHashV1 } from '../../src/lib/ids.js';
import {
  addressIndexOf,
  leftOf,
  NUM_WANT,
  type Population,
  peerAt,
  peerIdText,
  portOf,
  torrentOf,
  writePeerId,
} from './tracker-load-plan.js';
import type { LoadCounts } from './tracker-load-stats.js';

/** Counts, among `peers` of a reply to `requester`, those outside its swarm and itself. */
export const checkReplyPeers = (
  pop: Population,
  requester: number,
  peers: readonly PeerAddress[],
  counts: LoadCounts,
): boolean => {
  const torrent = torrentOf(pop, requester);
  let good = true;
  for (const peer of peers) {
    const b = peer.ip.bytes;
    const p =
      peer.ip.family === 'ipv4'
        ? peerAt(pop, addressIndexOf(b[0] ?? 0, b[1] ?? 0, b[2] ?? 0, b[3] ?? 0), peer.port)
        : -1;
    if (p < 0 || torrentOf(pop, p) !== torrent) {
      counts.foreignPeers++;
      good = false;
    } else if (p === requester) {
      counts.selfPeers++;
    }
  }
  return good;
};

export const infoHashOf = (hashes: Uint8Array, torrent: number): InfoHashV1 =>
  hashes.subarray(torrent * 20, torrent * 20 + 20) as InfoHashV1;

/** The `key` a peer sends: its number, 8 hex digits. */
export const keyOf = (peer: number): number => peer >>> 0;
export const keyText = (peer: number): string => keyOf(peer).toString(16).padStart(8, '0');

/** The announce request of `peer` built by the project's UDP codec. */
export const codecUdpAnnounce = (
  pop: Population,
  hashes: Uint8Array,
  peer: number,
  connectionId: bigint,
  transactionId: number,
  event: 'started' | 'none',
): Uint8Array => {
  const peerId = new Uint8Array(20);
  writePeerId(peer, peerId, 0);
  return encodeUdpRequest({
    action: 'announce',
    connectionId,
    transactionId,
    infoHash: infoHashOf(hashes, torrentOf(pop, peer)),
    peerId,
    downloaded: 0,
    left: leftOf(peer),
    uploaded: 0,
    event,
    key: keyOf(peer),
    numWant: NUM_WANT,
    port: portOf(pop, peer),
  });
};

/** The announce path and query of `peer` built by the project's HTTP codec. */
export const codecHttpTarget = (pop: Population, hashes: Uint8Array, peer: number): string => {
  const peerId = new Uint8Array(20);
  writePeerId(peer, peerId, 0);
  const url = buildAnnounceUrl('http://127.0.0.1/announce', {
    infoHash: infoHashOf(hashes, torrentOf(pop, peer)),
    peerId,
    port: portOf(pop, peer),
    uploaded: 0,
    downloaded: 0,
    left: leftOf(peer),
    numwant: NUM_WANT,
    key: keyText(peer),
  });
  if (!url.ok) throw new Error(`buildAnnounceUrl refused peer ${peer}: ${url.error.message}`);
  if (peerIdText(peer) !== Buffer.from(peerId).toString('latin1')) {
    throw new Error('peer id text and bytes differ');
  }
  return url.value.slice('http://127.0.0.1'.length);
};

/** Peers spread over the population, for the self-checks. */
export const samplePeers = (pop: Population): number[] =>
  [...new Set([0, 1, 4, 5, pop.peers >> 1, pop.peers - 1])].filter((p) => p < pop.peers);
