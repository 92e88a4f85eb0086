/**
 * The UDP front (BEP 15 on node:dgram, BEP 41 options read for a passkey): connect, announce
 * and scrape, through the same announce path as HTTP. Connection ids are stateless MACs (see
 * core/tracker-server/connection-id.ts). Protection against abuse:
 * - a per-address rate limit with bounded state; packets over it are dropped unanswered;
 * - no amplification: a connect reply is as long as the request, an announce reply carries at
 *   most numwant peers and fits one datagram, an error reply is no longer than the request;
 * - a malformed packet gets an error packet (when it has a transaction id) and nothing else.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import {
  type IpAddress,
  type IpFamily,
  parseIp,
  UDP_CONNECT_REQUEST_BYTES,
  UDP_MAX_SCRAPE_HASHES,
  type UdpAnnounceRequest,
  type UdpLimits,
  unmapIpv4,
} from '../core/tracker-protocol/index.js';
import {
  decodeUdpRequest,
  encodeUdpResponse,
  udpRequestTransactionId,
} from '../core/tracker-protocol/udp.js';
import {
  type AddressRateLimiter,
  type ConnectionIds,
  isPasskey,
  type TrackerCore,
  udpAnnouncePacket,
  udpErrorPacket,
  udpScrapePacket,
} from '../core/tracker-server/index.js';

/** Peers that fit a 1500-byte datagram after IP/UDP headers and BEP 15's 20 bytes. */
const MAX_UDP_PEERS: Readonly<Record<IpFamily, number>> = { ipv4: 242, ipv6: 79 };
/** Larger packets are not BEP 15 requests (an announce with BEP 41 options stays far below). */
const MAX_PACKET_BYTES = 1500;
const MAX_ADDRESS_CACHE = 4096;

export interface UdpFrontDeps {
  readonly core: TrackerCore;
  readonly connectionIds: ConnectionIds;
  readonly limiter: AddressRateLimiter;
}

/** Replies come from Buffer's shared pool (cheaper than a fresh ArrayBuffer per packet);
 * dgram keeps a reference to each until it is sent. */
const pooled = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/** The passkey in BEP 41 URLData "/announce/<passkey>[?...]". */
const passkeyOf = (urlData: string | undefined): string | undefined => {
  if (urlData === undefined) return undefined;
  const path = urlData.split('?')[0] as string;
  const m = /^\/announce\/([^/]+)$/.exec(path);
  return m !== null && isPasskey(m[1] as string) ? m[1] : undefined;
};

export class UdpFront {
  private readonly addresses = new Map<string, IpAddress | null>();
  /** Packets dropped unanswered by the rate limit or because they were too short or long. */
  dropped = 0;

  /** Decoder limits; undefined (the defaults) unless the scrape limit differs from BEP 15's. */
  private readonly limits: Partial<UdpLimits> | undefined;

  constructor(private readonly deps: UdpFrontDeps) {
    const maxScrapeHashes = deps.core.config.maxScrapeHashes;
    this.limits = maxScrapeHashes === UDP_MAX_SCRAPE_HASHES ? undefined : { maxScrapeHashes };
  }

  private ipOf(address: string): IpAddress | undefined {
    let ip = this.addresses.get(address);
    if (ip === undefined) {
      const parsed = parseIp(address);
      ip = parsed === undefined ? null : unmapIpv4(parsed);
      if (this.addresses.size >= MAX_ADDRESS_CACHE) this.addresses.clear();
      this.addresses.set(address, ip);
    }
    return ip ?? undefined;
  }

  /** The reply to one packet from address:port, or undefined to stay silent. */
  handle(packet: Uint8Array, address: string, port: number): Uint8Array | undefined {
    const { core, limiter, connectionIds } = this.deps;
    const now = core.now();
    if (!limiter.allow(address, now)) return undefined;
    const ip = this.ipOf(address);
    if (
      ip === undefined ||
      packet.length < UDP_CONNECT_REQUEST_BYTES ||
      packet.length > MAX_PACKET_BYTES
    ) {
      this.dropped++;
      return undefined;
    }
    // An error reply never outgrows the request it answers.
    const errorRoom = Math.min(64, Math.max(8, packet.length - 8));
    const decoded = decodeUdpRequest(packet, this.limits);
    if (!decoded.ok) {
      core.stats.session.refused++;
      const transactionId = udpRequestTransactionId(packet) ?? 0;
      return udpErrorPacket(transactionId, decoded.error, errorRoom);
    }
    const request = decoded.value;
    if (request.action === 'connect') {
      core.stats.session.udpConnects++;
      return encodeUdpResponse({
        action: 'connect',
        transactionId: request.transactionId,
        connectionId: connectionIds.issue(ip, port, now),
      });
    }
    if (!connectionIds.check(request.connectionId, ip, port, now)) {
      core.stats.session.refused++;
      return udpErrorPacket(
        request.transactionId,
        { code: 'TRACKER_BAD_CONNECTION_ID', message: 'connection id expired; connect again' },
        errorRoom,
      );
    }
    if (request.action === 'scrape') {
      const r = core.scrape(request.infoHashes, undefined, 'udp');
      return r.ok
        ? udpScrapePacket(request.transactionId, r.value)
        : udpErrorPacket(request.transactionId, r.error, errorRoom);
    }
    return this.announce(request, ip, errorRoom);
  }

  private announce(request: UdpAnnounceRequest, ip: IpAddress, errorRoom: number): Uint8Array {
    const r = this.deps.core.announce({
      infoHash: request.infoHash,
      peerId: request.peerId,
      ip,
      port: request.port,
      left: request.left,
      event: request.event,
      numwant: request.numWant,
      passkey: passkeyOf(request.urlData),
      families: ip.family,
      withPeerIds: false,
      maxPeers: MAX_UDP_PEERS[ip.family],
      transport: 'udp',
    });
    return r.ok
      ? udpAnnouncePacket(request.transactionId, r.value, ip.family, pooled)
      : udpErrorPacket(request.transactionId, r.error, errorRoom);
  }
}

/**
 * dgram resolves the address of every send, and dns.lookup answers even an IP literal on the
 * next tick; replies always go to the literal address a packet came from, so they are passed
 * through at once. Names (a --host that is not an address) still go to dns.lookup.
 */
const literalLookup = (
  address: string,
  // dgram passes the family as a number (4 or 6), whatever @types/node says.
  family: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void => {
  const kind = isIP(address);
  if (kind !== 0) callback(null, address, kind);
  else dnsLookup(address, family as number, callback);
};

/** Binds a UDP socket on host:port and answers with `front`. */
export const bindUdp = async (
  front: UdpFront,
  host: string,
  port: number,
  log: (line: string) => void,
): Promise<Socket> => {
  const socket = createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    reuseAddr: false,
    lookup: literalLookup,
  });
  // Replies to the packets of one poll (libuv reads up to 32) go out together after it: the
  // first send wakes the client, the rest find it awake, which costs the kernel much less than
  // waking it once per reply.
  const outbox: (Uint8Array | number | string)[] = [];
  const flush = (): void => {
    for (let i = 0; i < outbox.length; i += 3) {
      try {
        socket.send(outbox[i] as Uint8Array, outbox[i + 1] as number, outbox[i + 2] as string);
      } catch {
        // The socket is closing; nothing to tell anyone.
      }
    }
    outbox.length = 0;
  };
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    let reply: Uint8Array | undefined;
    try {
      reply = front.handle(
        new Uint8Array(message.buffer, message.byteOffset, message.length),
        from.address,
        from.port,
      );
    } catch (e) {
      log(`tracker: internal error answering a UDP packet: ${(e as Error).message}`);
      return;
    }
    if (reply === undefined) return;
    outbox.push(reply, from.port, from.address);
    if (outbox.length === 3) setImmediate(flush);
  });
  // Only the error code: a message can hold the peer's address, which is never logged.
  socket.on('error', (e: NodeJS.ErrnoException) =>
    log(`tracker: UDP socket error ${e.code ?? ''}`),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
};
