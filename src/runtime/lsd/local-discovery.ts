/**
 * Local Service Discovery (BEP 14) on a UDP multicast socket: announces the watched torrents to
 * the local network every five minutes (and once when a torrent is first watched), and reports
 * the peers that announce them. Its own announces are recognised by their cookie and ignored.
 * Never used for private torrents (the torrent does not ask).
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  decodeLsd,
  encodeLsd,
  LSD_INTERVAL_MS,
  LSD_IPV4_GROUP,
  LSD_MAX_HASHES,
  LSD_PORT,
} from '../../core/lsd/lsd-message.js';
import { toHex } from '../../lib/bytes.js';

export interface LocalDiscoveryOptions {
  /** Our TCP listen port, as announced (a function: the session may open after this). */
  readonly port: number | (() => number);
  /** The address of the interface to multicast on (default: the system's choice). */
  readonly interfaceAddress?: string;
}

type OnPeer = (host: string, port: number) => void;

interface Watched {
  readonly infoHash: Uint8Array;
  readonly listeners: Set<OnPeer>;
  lastSent: number;
  /** A reply waits for the once-a-second limit. */
  replyTimer: NodeJS.Timeout | undefined;
  /** Peers ("host:port") heard announcing it. */
  readonly heardFrom: Set<string>;
}

/** A newcomer's announce is answered by ours at once, but at most this often per torrent (a
 * peer that just arrived would otherwise wait up to five minutes to hear of us): once a
 * second at most, so a crowd arriving at once gets a few datagrams, not a storm. */
const REPLY_AFTER_MS = 1000;
const MAX_HEARD = 1000;

/** What a torrent needs of local discovery (LocalDiscovery, or a fake in tests). */
export interface LocalPeers {
  /** Announces the torrent and reports its local peers until the returned function is called. */
  watch(infoHash: Uint8Array, onPeer: OnPeer): () => void;
}

export class LocalDiscovery implements LocalPeers {
  private readonly watched = new Map<string, Watched>();
  private readonly cookie = randomBytes(8).toString('hex');
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Announces heard from others, and peers reported. */
  heard = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly options: LocalDiscoveryOptions,
  ) {
    socket.on('message', (m, rinfo) => this.onMessage(m, rinfo.address));
    socket.on('error', () => undefined);
    this.timer = setInterval(() => this.announceAll(), LSD_INTERVAL_MS);
    this.timer.unref();
  }

  static async start(options: LocalDiscoveryOptions): Promise<LocalDiscovery> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(LSD_PORT, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.addMembership(LSD_IPV4_GROUP, options.interfaceAddress);
      if (options.interfaceAddress !== undefined)
        socket.setMulticastInterface(options.interfaceAddress);
      socket.setMulticastTTL(1);
      socket.setMulticastLoopback(true);
    } catch (e) {
      socket.close();
      throw e;
    }
    return new LocalDiscovery(socket, options);
  }

  watch(infoHash: Uint8Array, onPeer: OnPeer): () => void {
    const hash = infoHash.subarray(0, 20);
    const key = toHex(hash);
    let w = this.watched.get(key);
    if (w === undefined) {
      w = {
        infoHash: hash,
        listeners: new Set(),
        lastSent: 0,
        replyTimer: undefined,
        heardFrom: new Set(),
      };
      this.watched.set(key, w);
      this.send([w]);
    }
    w.listeners.add(onPeer);
    const watched = w;
    return () => {
      watched.listeners.delete(onPeer);
      if (watched.listeners.size === 0) this.watched.delete(key);
    };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.watched.values()) clearTimeout(w.replyTimer);
    this.watched.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private announceAll(): void {
    const all = [...this.watched.values()];
    for (let i = 0; i < all.length; i += LSD_MAX_HASHES)
      this.send(all.slice(i, i + LSD_MAX_HASHES));
  }

  private send(torrents: Watched[]): void {
    if (this.closed || torrents.length === 0) return;
    const now = Date.now();
    for (const w of torrents) w.lastSent = now;
    const infoHashes = torrents.map((w) => w.infoHash);
    const { port } = this.options;
    const ours = typeof port === 'number' ? port : port();
    if (ours < 1) return;
    const packet = encodeLsd({ port: ours, infoHashes, cookie: this.cookie });
    this.socket.send(packet, LSD_PORT, LSD_IPV4_GROUP, () => undefined);
  }

  private onMessage(datagram: Uint8Array, host: string): void {
    const m = decodeLsd(datagram);
    if (!m.ok || m.value.cookie === this.cookie) return;
    this.heard++;
    const reply: Watched[] = [];
    const peer = `${host}:${m.value.port}`;
    for (const hash of m.value.infoHashes) {
      const w = this.watched.get(toHex(hash));
      if (w === undefined) continue;
      for (const onPeer of w.listeners) onPeer(host, m.value.port);
      if (!w.heardFrom.has(peer)) {
        if (w.heardFrom.size >= MAX_HEARD) w.heardFrom.clear();
        w.heardFrom.add(peer);
        const wait = w.lastSent + REPLY_AFTER_MS - Date.now();
        if (wait <= 0) reply.push(w);
        else if (w.replyTimer === undefined) {
          const later = w;
          later.replyTimer = setTimeout(() => {
            later.replyTimer = undefined;
            if (this.watched.get(toHex(later.infoHash)) === later) this.send([later]);
          }, wait);
          later.replyTimer.unref();
        }
      }
    }
    this.send(reply);
  }
}
