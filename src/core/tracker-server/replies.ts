/**
 * Announce and scrape results as bytes on the wire: HTTP bodies (BEP 3, 7, 23, 48) and UDP
 * packets (BEP 15). Replies carry only what was asked: at most numwant peers, and a UDP reply
 * only peers of the socket's family.
 */
import type { ErrorValue } from '../../lib/errors.js';
import type { InfoHashV1 } from '../../lib/ids.js';
import type { IpFamily } from '../tracker-protocol/address.js';
import {
  encodeCompactAnnounceBody,
  encodeUdpAnnounceBody,
} from '../tracker-protocol/compact-response.js';
import {
  encodeAnnounceResponse,
  encodeFailureResponse,
} from '../tracker-protocol/http-response.js';
import { encodeScrapeResponse } from '../tracker-protocol/http-scrape.js';
import type { TrackerPeer } from '../tracker-protocol/types.js';
import { encodeUdpResponse } from '../tracker-protocol/udp-response.js';
import type { PeerSelection } from './peer-table.js';
import { torrentKeyBytes } from './swarm-store.js';
import type { AnnounceReply, ScrapeEntry } from './tracker-core.js';

const peerObjects = (s: PeerSelection, withIds: boolean): TrackerPeer[] => {
  const out: TrackerPeer[] = [];
  const add = (bytes: Uint8Array, ids: Uint8Array, n: number, ipLength: 4 | 16): void => {
    const size = ipLength + 2;
    for (let i = 0; i < n; i++) {
      const at = i * size;
      const ip = bytes.slice(at, at + ipLength);
      const port = ((bytes[at + ipLength] as number) << 8) | (bytes[at + ipLength + 1] as number);
      const peer: TrackerPeer =
        ipLength === 4
          ? { ip: { family: 'ipv4', bytes: ip }, port }
          : { ip: { family: 'ipv6', bytes: ip }, port };
      out.push(withIds ? { ...peer, peerId: ids.slice(i * 20, i * 20 + 20) } : peer);
    }
  };
  add(s.v4, s.ids4, s.n4, 4);
  add(s.v6, s.ids6, s.n6, 16);
  return out;
};

/** BEP 3 failure body ("failure reason"), the only kind of HTTP refusal a client reads. */
export const httpFailureBody = (message: string): Uint8Array => {
  const r = encodeFailureResponse(message);
  return r.ok ? r.value : new Uint8Array(0);
};

/** The body for an announce: compact (BEP 23 + BEP 7 peers6) unless compact=0 was asked. */
export const httpAnnounceBody = (
  reply: AnnounceReply,
  compact: boolean,
  noPeerId: boolean,
): Uint8Array => {
  const peers = reply.peers;
  if (compact) {
    return encodeCompactAnnounceBody(
      {
        interval: reply.interval,
        minInterval: reply.minInterval,
        complete: reply.seeders,
        incomplete: reply.leechers,
        warning: reply.warning,
      },
      peers.v4.subarray(0, peers.n4 * 6),
      peers.v6.subarray(0, peers.n6 * 18),
    );
  }
  const r = encodeAnnounceResponse(
    {
      interval: reply.interval,
      minInterval: reply.minInterval,
      complete: reply.seeders,
      incomplete: reply.leechers,
      warning: reply.warning,
      peers: peerObjects(peers, !noPeerId),
    },
    { compact: false, noPeerId },
  );
  return r.ok ? r.value : httpFailureBody('internal error');
};

/** BEP 48: every torrent asked appears (zeros when unknown), with min_request_interval. */
export const httpScrapeBody = (
  entries: readonly ScrapeEntry[],
  minRequestInterval: number,
): Uint8Array => {
  const r = encodeScrapeResponse({
    files: entries.map((e) => ({
      infoHash: torrentKeyBytes(e.key) as InfoHashV1,
      complete: e.seeders,
      downloaded: e.completed,
      incomplete: e.leechers,
    })),
    minRequestInterval,
  });
  return r.ok ? r.value : httpFailureBody('internal error');
};

/** `alloc` gives the packet's bytes (see encodeUdpAnnounceBody). */
export const udpAnnouncePacket = (
  transactionId: number,
  reply: AnnounceReply,
  family: IpFamily,
  alloc?: (size: number) => Uint8Array,
): Uint8Array => {
  const p = reply.peers;
  const peers = family === 'ipv4' ? p.v4.subarray(0, p.n4 * 6) : p.v6.subarray(0, p.n6 * 18);
  return encodeUdpAnnounceBody(
    transactionId,
    reply.interval,
    reply.leechers,
    reply.seeders,
    peers,
    alloc,
  );
};

export const udpScrapePacket = (
  transactionId: number,
  entries: readonly ScrapeEntry[],
): Uint8Array =>
  encodeUdpResponse({
    action: 'scrape',
    transactionId,
    files: entries.map((e) => ({
      seeders: e.seeders,
      completed: e.completed,
      leechers: e.leechers,
    })),
  });

/** Error packets are short: the message is cut to `maxMessageBytes` (no amplification). */
export const udpErrorPacket = (
  transactionId: number,
  error: ErrorValue | string,
  maxMessageBytes = 64,
): Uint8Array => {
  const text = typeof error === 'string' ? error : error.message;
  return encodeUdpResponse({
    action: 'error',
    transactionId,
    message: text.slice(0, maxMessageBytes),
  });
};
