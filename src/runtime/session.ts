/**
 * A session: our peer id, one listen socket, and the torrents being shared. Incoming
 * connections are routed to a torrent by the info-hash in their handshake.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { FileRange, MagnetLink } from '../core/metainfo/magnet.js';
import { parseInfoDict } from '../core/metainfo/parse.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { HandshakeReader } from '../core/wire/handshake.js';
import { toHex } from '../lib/bytes.js';
import { FanseedError, unwrap } from '../lib/errors.js';
import { makePeerId, type PeerId } from '../lib/ids.js';
import type { Rng } from '../lib/ports.js';
import { TokenBucket } from '../lib/token-bucket.js';
import { fetchMetadata } from './metadata-fetch.js';
import { nodeHash } from './node-hash.js';
import { DEFAULT_PEER_TIMEOUTS, type PeerTimeouts } from './peer/peer-socket.js';
import { resumePath } from './resume-store.js';
import { Torrent } from './torrent.js';

export interface SessionOptions {
  /** Listen port; 0 picks a free one. */
  readonly port?: number;
  /** Listen address (default all interfaces). */
  readonly host?: string;
  readonly rng?: Rng;
  /** Upload limit for all torrents together, bytes per second. */
  readonly uploadLimit?: number;
  readonly peerTimeouts?: PeerTimeouts;
}

export interface AddOptions {
  readonly path: string;
  readonly skipCheck?: boolean;
  /** Keep resume data (in `path`/.fanseed/) so a restart skips re-checking verified pieces. */
  readonly resume?: boolean;
  /** Upload limit for this torrent, bytes per second. */
  readonly uploadLimit?: number;
  /** Files to download (real-file indices); all when undefined. */
  readonly select?: readonly FileRange[];
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

export class Session {
  readonly peerId: PeerId;
  private readonly torrents = new Map<string, Torrent>();
  private readonly pending = new Set<Socket>();
  private readonly rng: Rng;

  private readonly uploadLimit: TokenBucket | undefined;

  private constructor(
    private readonly server: Server,
    rng: Rng,
    uploadLimit: number | undefined,
    private readonly peerTimeouts: PeerTimeouts | undefined,
  ) {
    this.rng = rng;
    this.uploadLimit = uploadLimit === undefined ? undefined : new TokenBucket(uploadLimit);
    this.peerId = makePeerId(rng);
  }

  static async open(options: SessionOptions = {}): Promise<Session> {
    const server = createServer();
    const session = new Session(
      server,
      options.rng ?? systemRng,
      options.uploadLimit,
      options.peerTimeouts,
    );
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

  /** Adds a torrent and starts it (its data is checked first unless skipCheck). */
  async add(meta: Metainfo, options: AddOptions): Promise<Torrent> {
    const torrent = new Torrent(meta, {
      path: options.path,
      peerId: this.peerId,
      rng: this.rng,
      listenPort: this.port,
      ...(this.peerTimeouts === undefined ? {} : { peerTimeouts: this.peerTimeouts }),
      uploadLimits: [
        this.uploadLimit,
        options.uploadLimit === undefined ? undefined : new TokenBucket(options.uploadLimit),
      ].filter((b): b is TokenBucket => b !== undefined),
      ...(options.skipCheck === undefined ? {} : { skipCheck: options.skipCheck }),
      ...(options.select === undefined ? {} : { select: options.select }),
      ...(options.resume
        ? {
            resumeFile: resumePath(
              options.path,
              (meta.infoHashV1 ?? meta.infoHashV2) as Uint8Array,
            ),
          }
        : {}),
    });
    for (const hash of [meta.infoHashV1, meta.infoHashV2?.subarray(0, 20)]) {
      if (hash !== undefined) this.torrents.set(toHex(hash), torrent);
    }
    await torrent.start();
    return torrent;
  }

  /** Fetches a magnet link's metadata from peers (BEP 9) and returns the torrent it names,
   * with the magnet's trackers and web seeds. */
  async metadataFor(
    magnet: MagnetLink,
    peers: ReadonlyArray<{ readonly host: string; readonly port: number }>,
    timeoutMs?: number,
  ): Promise<Metainfo> {
    const info = await fetchMetadata(magnet, {
      peers,
      peerId: this.peerId,
      rng: this.rng,
      port: this.port,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const meta = unwrap(parseInfoDict(info, nodeHash));
    return { ...meta, announce: magnet.trackers.map((t) => [t]), urlList: [...magnet.webSeeds] };
  }

  async close(): Promise<void> {
    for (const s of this.pending) s.destroy();
    await Promise.all([...new Set(this.torrents.values())].map((t) => t.close()));
    this.torrents.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Reads the handshake far enough to know the torrent, then hands the socket over. */
  private incoming(socket: Socket): void {
    // Bounded: a flood of connections that never handshake cannot pile up.
    if (this.pending.size >= MAX_PENDING_HANDSHAKES) return void socket.destroy();
    this.pending.add(socket);
    const reader = new HandshakeReader();
    const seen: Buffer[] = [];
    const drop = (): void => {
      this.pending.delete(socket);
      socket.destroy();
    };
    const timer = setTimeout(drop, (this.peerTimeouts ?? DEFAULT_PEER_TIMEOUTS).handshakeMs);
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
  }
}
