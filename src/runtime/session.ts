/**
 * A session: our peer id, one listen socket, and the torrents being shared. Incoming
 * connections are routed to a torrent by the info-hash in their handshake.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { FileRange, MagnetLink } from '../core/metainfo/magnet.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { HandshakeReader } from '../core/wire/handshake.js';
import { req2Hash } from '../core/wire/mse/keys.js';
import { bytesToBinary, toHex } from '../lib/bytes.js';
import { FanseedError } from '../lib/errors.js';
import { makePeerId, type PeerId } from '../lib/ids.js';
import type { Rng } from '../lib/ports.js';
import { TokenBucket } from '../lib/token-bucket.js';
import type { PeerLookup } from './dht/dht-discovery.js';
import type { LocalPeers } from './lsd/local-discovery.js';
import { magnetDiscovery } from './magnet-discovery.js';
import { fetchMetainfo } from './metadata-fetch.js';
import { nodeHash } from './node-hash.js';
import { acceptIncoming } from './peer/mse.js';
import { DEFAULT_PEER_TIMEOUTS, type PeerTimeouts } from './peer/peer-socket.js';
import type { Storage } from './storage/storage.js';
import { Torrent } from './torrent.js';
import type { ConnectionBudget, OutgoingEncryption } from './trading.js';

export interface SessionOptions {
  /** Listen port; 0 picks a free one. */
  readonly port?: number;
  /** Listen address (default all interfaces). */
  readonly host?: string;
  readonly rng?: Rng;
  /** Upload limit for all torrents together, bytes per second. */
  readonly uploadLimit?: number;
  /** Download limit for all torrents together, bytes per second. */
  readonly downloadLimit?: number;
  /** Peer connections across all torrents, at most (default 500). */
  readonly maxConnections?: number;
  /**
   * Message Stream Encryption. Incoming: 'accept' (default) takes plain and encrypted
   * handshakes, 'require' only encrypted ones. Outgoing: 'plaintext' (default), 'prefer' (MSE
   * first, plain if the peer hangs up) or 'require'.
   */
  readonly encryption?: {
    readonly incoming?: 'accept' | 'require';
    readonly outgoing?: OutgoingEncryption;
  };
  readonly peerTimeouts?: PeerTimeouts;
  /** A DHT to find peers with (the caller starts and closes it): every torrent that is not
   * private asks it for peers and announces itself there. */
  readonly dht?: PeerLookup;
  /** Local service discovery (BEP 14, the caller starts and closes it). */
  readonly lsd?: LocalPeers;
  /** Peer exchange (BEP 11) for every torrent: on unless false. */
  readonly pex?: boolean;
}

export interface AddOptions {
  readonly path: string;
  readonly skipCheck?: boolean;
  /** Keep resume data (in `path`/.fanseed/) so a restart skips re-checking verified pieces. */
  readonly resume?: boolean;
  /** Upload limit for this torrent, bytes per second. */
  readonly uploadLimit?: number;
  /** Download limit for this torrent, bytes per second. */
  readonly downloadLimit?: number;
  /** Peer connections for this torrent, at most (default 50). */
  readonly maxPeers?: number;
  /** Files to download (real-file indices); all when undefined. */
  readonly select?: readonly FileRange[];
  /** Where the data lives (default: files under `path`). */
  readonly storage?: Storage;
  /** Announce to the torrent's trackers (default true). */
  readonly trackers?: boolean;
  /** A magnet link: how long to look for its metadata (default 60 s). */
  readonly metadataTimeoutMs?: number;
  /** Use the torrent's web seeds (url-list, BEP 19) and those added later (default true). */
  readonly webSeeds?: boolean;
  /** HTTP connections to each web seed at once (default 4). */
  readonly webSeedConnections?: number;
}

/** Randomness from the operating system, for peer ids and picking, drawn 4 KiB at a time. */
export const systemRng: Rng = (() => {
  let pool = randomBytes(4096);
  let at = 0;
  return {
    next: () => {
      if (at + 4 > pool.length) {
        pool = randomBytes(4096);
        at = 0;
      }
      const v = pool.readUInt32BE(at);
      at += 4;
      return v / 2 ** 32;
    },
    fill: (bytes) => {
      bytes.set(randomBytes(bytes.length));
    },
  };
})();

/** Incoming connections still waiting for their handshake, at most. */
const MAX_PENDING_HANDSHAKES = 256;

const bucket = (rate: number | undefined): TokenBucket | undefined =>
  rate === undefined ? undefined : new TokenBucket(rate);

const present = <T>(items: ReadonlyArray<T | undefined>): T[] =>
  items.filter((x): x is T => x !== undefined);

/** The object without its undefined values (for exactOptionalPropertyTypes). */
const defined = <T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };

/** A shared count of open connections, refusing past `max`. */
const countedBudget = (max: number): ConnectionBudget => {
  let open = 0;
  return {
    tryTake: () => {
      if (open >= max) return false;
      open++;
      return true;
    },
    release: () => {
      open = Math.max(0, open - 1);
    },
  };
};

export class Session {
  readonly peerId: PeerId;
  private readonly torrents = new Map<string, Torrent>();
  private readonly pending = new Set<Socket>();
  private readonly rng: Rng;
  private readonly uploadLimit: TokenBucket | undefined;
  private readonly downloadLimit: TokenBucket | undefined;
  private readonly connections: ConnectionBudget;
  /** HASH('req2', info-hash) -> info-hash, to find the torrent an MSE handshake names. */
  private readonly skeys = new Map<string, Uint8Array>();

  private constructor(
    private readonly server: Server,
    private readonly options: SessionOptions,
  ) {
    this.rng = options.rng ?? systemRng;
    this.uploadLimit = bucket(options.uploadLimit);
    this.downloadLimit = bucket(options.downloadLimit);
    this.connections = countedBudget(options.maxConnections ?? 500);
    this.peerId = makePeerId(this.rng);
  }

  static async open(options: SessionOptions = {}): Promise<Session> {
    const server = createServer();
    const session = new Session(server, options);
    server.on('connection', (socket) => session.incoming(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new FanseedError('IO_FAILED', `cannot listen: ${e.message}`, { cause: e })),
      );
      server.listen(options.port ?? 0, options.host, () => resolve());
    });
    return session;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Torrents in the session, in the order they were added. */
  list(): Torrent[] {
    return [...new Set(this.torrents.values())];
  }

  /**
   * Adds a torrent. From a .torrent's metainfo, it resolves once the data on disk is checked
   * and trading has started (and throws if the check cannot run). From a magnet link, it
   * resolves at once: the torrent emits `metadata` when peers have sent the info dictionary,
   * then `ready`; `torrent.start()` returns a promise for that, and failures are emitted as
   * `error` (the torrent then closes).
   */
  async add(source: Metainfo | MagnetLink, options: AddOptions): Promise<Torrent> {
    const hashes = [source.infoHashV1, source.infoHashV2];
    const keys = hashes.flatMap((h) => (h === undefined ? [] : [toHex(h.subarray(0, 20))]));
    if (keys.length === 0) throw new FanseedError('MAGNET_NO_HASH', 'the torrent has no info-hash');
    if (keys.some((k) => this.torrents.has(k)))
      throw new FanseedError('API_BAD_ARGUMENT', 'the torrent is in the session already');
    const torrent = new Torrent(source, {
      path: options.path,
      peerId: this.peerId,
      rng: this.rng,
      listenPort: this.port,
      connections: this.connections,
      ...(this.options.encryption?.outgoing === undefined
        ? {}
        : { outgoing: this.options.encryption.outgoing }),
      uploadLimits: present([this.uploadLimit, bucket(options.uploadLimit)]),
      downloadLimits: present([this.downloadLimit, bucket(options.downloadLimit)]),
      ...defined({
        peerTimeouts: this.options.peerTimeouts,
        skipCheck: options.skipCheck,
        select: options.select,
        resume: options.resume,
        storage: options.storage,
        maxPeers: options.maxPeers,
        trackers: options.trackers,
        metadataTimeoutMs: options.metadataTimeoutMs,
        webSeeds: options.webSeeds,
        webSeedConnections: options.webSeedConnections,
        dht: this.options.dht,
        pex: this.options.pex,
        lsd: this.options.lsd,
      }),
    });
    const skeys = hashes.flatMap((h) =>
      h === undefined ? [] : [bytesToBinary(req2Hash(nodeHash, h.subarray(0, 20)))],
    );
    for (const k of keys) this.torrents.set(k, torrent);
    hashes.forEach((h, i) => {
      if (h !== undefined) this.skeys.set(skeys[i] ?? '', h.subarray(0, 20));
    });
    torrent.once('closed', () => {
      for (const k of keys) if (this.torrents.get(k) === torrent) this.torrents.delete(k);
      for (const k of skeys) this.skeys.delete(k);
    });
    if ('info' in source) {
      try {
        await torrent.start();
      } catch (e) {
        await torrent.close();
        throw e;
      }
    } else {
      torrent.start().catch((e: unknown) => {
        const error =
          e instanceof FanseedError ? e : new FanseedError('IO_FAILED', String(e), { cause: e });
        if (torrent.listenerCount('error') > 0 && torrent.state !== 'closed')
          torrent.emit('error', error);
        void torrent.close();
      });
    }
    return torrent;
  }

  /** Closes a torrent and forgets it. Its files stay on disk. */
  async remove(torrent: Torrent): Promise<void> {
    await torrent.close();
  }

  /** Fetches a magnet link's metadata from peers (BEP 9) and returns the torrent it names,
   * with the magnet's trackers and web seeds. */
  metadataFor(
    magnet: MagnetLink,
    peers: ReadonlyArray<{ readonly host: string; readonly port: number }>,
    timeoutMs?: number,
  ): Promise<Metainfo> {
    return fetchMetainfo(magnet, {
      peers,
      peerId: this.peerId,
      rng: this.rng,
      port: this.port,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...magnetDiscovery(
        (magnet.infoHashV1 ?? magnet.infoHashV2) as Uint8Array,
        this.port,
        this.options.dht,
        this.options.lsd,
      ),
    });
  }

  async close(): Promise<void> {
    for (const s of this.pending) s.destroy();
    await Promise.all(this.list().map((t) => t.close()));
    this.torrents.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * An incoming connection: a plain BitTorrent handshake is read far enough to know the
   * torrent; anything else is taken for MSE, whose SKEY names the torrent. Either way the
   * socket is then handed to that torrent.
   */
  private incoming(socket: Socket): void {
    // Bounded: a flood of connections that never handshake cannot pile up.
    if (this.pending.size >= MAX_PENDING_HANDSHAKES) return void socket.destroy();
    this.pending.add(socket);
    const timeoutMs = (this.options.peerTimeouts ?? DEFAULT_PEER_TIMEOUTS).handshakeMs;
    acceptIncoming(socket, {
      lookup: (h) => this.skeys.get(bytesToBinary(h)),
      // Peers offering both get plain data after the handshake: RC4 costs CPU and hides nothing
      // from anyone the obfuscated handshake does not already fool.
      prefer: 'plaintext',
      plaintext: this.options.encryption?.incoming === 'require' ? 'refuse' : 'accept',
      timeoutMs,
    }).then(
      (c) => {
        if (!c.encrypted) {
          socket.unshift(Buffer.from(c.leftover));
          return this.readHandshake(socket, timeoutMs);
        }
        this.pending.delete(socket);
        const torrent = this.torrents.get(toHex(c.infoHash));
        const negotiated = { cipher: c.cipher, leftover: c.leftover };
        if (torrent?.acceptIncoming(socket, negotiated) === undefined) socket.destroy();
      },
      () => {
        this.pending.delete(socket);
        socket.destroy();
      },
    );
  }

  /** Reads a plain handshake far enough to know the torrent, then hands the socket over. */
  private readHandshake(socket: Socket, timeoutMs: number): void {
    const reader = new HandshakeReader();
    const seen: Buffer[] = [];
    const drop = (): void => {
      this.pending.delete(socket);
      socket.destroy();
    };
    const timer = setTimeout(drop, timeoutMs);
    timer.unref();
    socket.on('error', drop);
    const onData = (chunk: Buffer): void => {
      seen.push(chunk);
      const r = reader.push(chunk);
      if (!r.ok) return drop();
      if (r.value.kind === 'need-more') return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', drop);
      socket.pause();
      this.pending.delete(socket);
      const torrent = this.torrents.get(toHex(r.value.handshake.infoHash));
      if (torrent === undefined) return void socket.destroy();
      socket.unshift(Buffer.concat(seen));
      if (torrent.acceptIncoming(socket) === undefined) socket.destroy();
      else socket.resume();
    };
    socket.on('data', onData);
    socket.resume();
  }
}
