/**
 * The trading half of a torrent whose metadata is known: drives the pure Swarm with peer
 * sockets, the piece writer and the upload queues. Owns its links and its tick timer; the
 * Torrent facade owns the lifecycle (metadata, checking, pause, trackers) and hears back
 * through narrow hooks.
 */
import { connect, type Socket } from 'node:net';
import type { Metainfo } from '../core/metainfo/types.js';
import type { PeerKey } from '../core/torrent/peer-state.js';
import type { Swarm, SwarmCommand } from '../core/torrent/swarm.js';
import type { TorrentLayout } from '../core/torrent/torrent-layout.js';
import {
  decodeExtendedHandshake,
  EXTENDED_HANDSHAKE_ID,
  encodeExtendedHandshake,
  UT_METADATA,
} from '../core/wire/extension.js';
import { encodeHandshake, type Handshake, matchInfoHash } from '../core/wire/handshake.js';
import type { ValidPeerMessage } from '../core/wire/validate.js';
import { bytesToBinary, equalBytes } from '../lib/bytes.js';
import { FanseedError } from '../lib/errors.js';
import type { PeerId } from '../lib/ids.js';
import type { TokenBucket } from '../lib/token-bucket.js';
import type { PeerLookup } from './dht/dht-discovery.js';
import type { PieceCheckPool } from './hash/piece-check-pool.js';
import { dialEncrypted } from './peer/dial-encrypted.js';
import { metadataReply } from './peer/metadata-serve.js';
import {
  type NegotiatedStream,
  PeerSocket,
  type PeerTimeouts,
  readInto,
} from './peer/peer-socket.js';
import { OUR_UT_PEX, PexExchange, UT_PEX_KEY } from './peer/pex-exchange.js';
import { UploadQueue } from './peer/upload-queue.js';
import { PieceCache } from './piece-cache.js';
import type { PieceWriter } from './piece-writer.js';
import type { Storage } from './storage/storage.js';
import { WebSeedSet } from './webseed/web-seeds.js';

/** Connections across a whole session, at most: each torrent takes one per peer. */
export interface ConnectionBudget {
  tryTake(): boolean;
  release(): void;
}

export interface TradingOptions {
  readonly meta: Metainfo;
  readonly layout: TorrentLayout;
  readonly storage: Storage;
  readonly swarm: Swarm;
  readonly checker: PieceCheckPool;
  /** Outlives a Trading (pause and resume): partial pieces stay assembled in it. */
  readonly writer: PieceWriter;
  /** Peer keys, unique across every Trading of the torrent (the swarm remembers who sent
   * which block of a piece, so a key must never name two peers). */
  readonly keys: { next(): number };
  readonly peerId: PeerId;
  readonly listenPort?: number | undefined;
  readonly client?: string | undefined;
  /** Limits every sent block must pass (this torrent's and the session's). */
  readonly uploadLimits: readonly TokenBucket[];
  /** Limits every received block is counted against; reading pauses while one is in debt. */
  readonly downloadLimits: readonly TokenBucket[];
  readonly peerTimeouts?: PeerTimeouts | undefined;
  readonly maxPeers: number;
  readonly connections?: ConnectionBudget | undefined;
  /** Outgoing connections: plain BitTorrent, MSE first with a plain retry, or MSE only. */
  readonly outgoing?: OutgoingEncryption | undefined;
  /** Peer exchange (BEP 11), on unless false; never for private torrents. */
  readonly pex?: boolean | undefined;
  /** The session's DHT node, for BEP 5 PORT messages both ways. */
  readonly dht?: PeerLookup | undefined;
  /** HTTP connections to each web seed at once (default 4). */
  readonly webSeedConnections?: number | undefined;
  /** Web seeds given up on (bad data, gone): kept by the torrent across pauses. */
  readonly droppedWebSeeds?: Set<string> | undefined;
}

export type OutgoingEncryption = 'plaintext' | 'prefer' | 'require';

export interface TradingHooks {
  pieceVerified(piece: number): void;
  done(): void;
  peerConnect(address: string): void;
  /** `connected`: the handshake had completed (else the dial or handshake failed). */
  peerDisconnect(address: string, reason: string, connected: boolean): void;
  error(e: FanseedError): void;
}

interface Link {
  readonly key: PeerKey;
  readonly address: string;
  readonly sock: PeerSocket;
  readonly uploads: UploadQueue;
  /** Their id for ut_metadata messages, from their extended handshake. */
  utMetadata?: number | undefined;
  /** Reading stopped until then (a download limit is in debt). */
  limitedUntil: number;
  limitTimer?: NodeJS.Timeout | undefined;
}

const UT_METADATA_KEY = bytesToBinary(new TextEncoder().encode(UT_METADATA));
/** Our id for ut_metadata messages sent to us. */
const OUR_UT_METADATA = 3;

export class Trading {
  private readonly links = new Map<PeerKey, Link>();
  private readonly banned = new Set<string>();
  /** Addresses connected or being dialled, so a tracker's repeats are not dialled twice. */
  private readonly dialled = new Set<string>();
  private readonly cache: PieceCache;
  private readonly timer: NodeJS.Timeout;
  /** Pieces being checked and written: a closing torrent lets them finish. */
  private readonly verifying = new Set<Promise<void>>();
  private closing = false;
  private readonly pex: PexExchange;
  private readonly webSeeds: WebSeedSet;
  downloaded = 0;
  uploaded = 0;
  misbehaving = 0;

  constructor(
    private readonly o: TradingOptions,
    private readonly hooks: TradingHooks,
  ) {
    const { layout, storage } = o;
    this.cache = new PieceCache(storage, (piece) => layout.wireGeometry.pieceSize(piece));
    this.pex = new PexExchange({
      enabled: o.pex !== false && !o.meta.private,
      send: (key, id, payload) => this.links.get(key)?.sock.send({ kind: 'extended', id, payload }),
      dial: (host, port) => this.connectTo(host, port),
    });
    this.webSeeds = new WebSeedSet({
      swarm: o.swarm,
      keys: o.keys,
      seed: {
        meta: o.meta,
        layout,
        userAgent: o.client ?? 'fanseed',
        connections: o.webSeedConnections,
      },
      run: () => this.run(),
      received: (bytes) => {
        this.downloaded += bytes;
        return this.limitWait(bytes);
      },
      dropped: o.droppedWebSeeds,
      connected: (url) => hooks.peerConnect(url),
      closed: (url, reason) => hooks.peerDisconnect(url, reason, true),
    });
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** Adds an HTTP mirror (BEP 19) as a source; the same URL twice is one mirror. */
  addWebSeed(url: string): void {
    if (!this.closing) this.webSeeds.add(url);
  }

  get webSeedCount(): number {
    return this.webSeeds.size;
  }

  private get writer(): PieceWriter {
    return this.o.writer;
  }

  /** The writer paused or resumed reading from peers. */
  readingChanged(): void {
    for (const link of this.links.values()) this.updateReading(link);
    this.webSeeds.pauseReading(this.writer.readingPaused);
  }

  get peerCount(): number {
    return this.links.size;
  }

  /** Dials a peer once; failures are reported as peer-disconnect, never thrown. */
  connectTo(host: string, port: number, mode = this.o.outgoing ?? 'plaintext'): void {
    const address = `${host}:${port}`;
    if (this.closing || this.banned.has(host) || this.dialled.has(address)) return;
    if (this.dialled.size >= this.o.maxPeers) return;
    if (this.o.connections !== undefined && !this.o.connections.tryTake()) return;
    this.dialled.add(address);
    if (mode === 'plaintext') {
      let sock: PeerSocket | undefined;
      const socket = connect({ host, port, onread: readInto(() => sock) });
      sock = this.wrap(socket, address, false);
      socket.once('connect', () => sock.writeRaw(this.ourHandshake()));
      return;
    }
    const hash = (this.o.meta.infoHashV1 ?? this.o.meta.infoHashV2) as Uint8Array;
    dialEncrypted(
      {
        host,
        port,
        infoHash: hash.subarray(0, 20),
        initialPayload: this.ourHandshake(),
        timeoutMs: this.o.peerTimeouts?.handshakeMs,
      },
      {
        ready: (socket, negotiated) => {
          if (this.closing) return false;
          this.wrap(socket, address, false, negotiated);
          return true;
        },
        failed: (why, afterConnect) => {
          this.dialled.delete(address);
          this.o.connections?.release();
          // A peer that hangs up on MSE may speak only plain BitTorrent (BEP-less but universal).
          if (afterConnect && mode === 'prefer' && !this.closing)
            this.connectTo(host, port, 'plaintext');
          else this.hooks.peerDisconnect(address, `could not connect: ${why}`, false);
        },
      },
    );
  }

  /** An incoming connection whose handshake named this torrent (the Session routes it). With an
   * MSE handshake done, `negotiated` holds its cipher and the bytes read past it. */
  acceptIncoming(socket: Socket, negotiated?: NegotiatedStream): PeerSocket | undefined {
    const host = socket.remoteAddress ?? '';
    if (this.closing || this.banned.has(host)) return undefined;
    // The connection caps cover peers that dial us too.
    if (this.links.size >= this.o.maxPeers) return undefined;
    if (this.o.connections !== undefined && !this.o.connections.tryTake()) return undefined;
    return this.wrap(socket, `${host}:${socket.remotePort ?? 0}`, true, negotiated);
  }

  /** Ends every connection and the timer; pieces being written are finished first. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    this.webSeeds.close();
    for (const link of this.links.values()) link.sock.end('torrent closed', undefined);
    await Promise.all(this.verifying);
  }

  private ourHandshake(): Uint8Array {
    const { meta } = this.o;
    const hash = meta.infoHashV1 ?? meta.infoHashV2;
    if (hash === undefined)
      throw new FanseedError('META_MISSING_FIELD', 'the torrent has no info-hash');
    return encodeHandshake(hash, this.o.peerId, {
      extensionProtocol: true,
      fast: true,
      dht: this.o.dht?.port !== undefined,
      v2Upgrade: meta.version === 'hybrid',
    });
  }

  private wrap(
    socket: Socket,
    address: string,
    incoming: boolean,
    negotiated?: NegotiatedStream,
  ): PeerSocket {
    const key = this.o.keys.next();
    let registered = false;
    const sock: PeerSocket = new PeerSocket(
      socket,
      {
        handshake: (h) => {
          const verdict = this.onHandshake(key, address, sock, h, incoming);
          registered = verdict === 'accept';
          return verdict;
        },
        message: (m) => this.onMessage(key, m),
        batchEnd: () => this.run(),
        closed: (reason, error) => {
          this.dialled.delete(address);
          this.o.connections?.release();
          if (error?.code.startsWith('WIRE_')) this.misbehaving++;
          const link = this.links.get(key);
          if (link !== undefined) {
            clearTimeout(link.limitTimer);
            link.uploads.close();
            this.links.delete(key);
            this.pex.closed(key);
            this.o.swarm.peerClosed(key);
          }
          this.hooks.peerDisconnect(
            address,
            registered ? reason : `could not connect: ${reason}`,
            registered,
          );
          if (registered) this.run();
        },
        drained: () => this.links.get(key)?.uploads.pump(),
      },
      this.o.peerTimeouts,
      negotiated,
    );
    return sock;
  }

  private onHandshake(
    key: PeerKey,
    address: string,
    sock: PeerSocket,
    h: Handshake,
    incoming: boolean,
  ): 'accept' | 'refuse' | 'self' {
    const { meta, swarm } = this.o;
    if (this.closing) return 'refuse';
    if (!matchInfoHash(h.infoHash, { v1: meta.infoHashV1, v2: meta.infoHashV2 }).ok)
      return 'refuse';
    // Trackers hand out our own address too; a handshake with our own peer id is ourselves.
    if (equalBytes(h.peerId, this.o.peerId)) return 'self';
    sock.attach(this.o.layout.wireGeometry, meta.pieceCount);
    if (incoming) sock.writeRaw(this.ourHandshake());
    const uploads = new UploadQueue(sock, {
      read: (ref) => this.cache.read(ref),
      prefetch: (piece) => this.cache.prefetch(piece),
      limits: this.o.uploadLimits,
      sent: (ref) => {
        this.uploaded += ref.length;
        swarm.served(key, ref);
      },
      failed: (ref, e) =>
        this.hooks.error(
          new FanseedError('IO_FAILED', `reading piece ${ref.index}: ${e.message}`, { cause: e }),
        ),
    });
    const link: Link = { key, address, sock, uploads, limitedUntil: 0 };
    this.links.set(key, link);
    this.pex.connected(key, address, !incoming);
    this.updateReading(link);
    if (h.flags.extensionProtocol) {
      const payload = encodeExtendedHandshake({
        // BEP 9: we hand our metadata to peers that came with only a magnet link.
        extensions: new Map([[UT_METADATA_KEY, OUR_UT_METADATA], ...this.pex.extensions]),
        metadataSize: meta.info.length,
        client: this.o.client ?? 'fanseed',
        requestQueue: swarm.maxIncoming,
        ...(this.o.listenPort === undefined ? {} : { port: this.o.listenPort }),
      });
      sock.send({ kind: 'extended', id: EXTENDED_HANDSHAKE_ID, payload });
    }
    // BEP 5: both ends run a DHT node, so each tells the other where it listens.
    const dhtPort = this.o.dht?.port;
    if (h.flags.dht && dhtPort !== undefined) sock.send({ kind: 'port', port: dhtPort });
    swarm.peerConnected(key, h.flags.fast, Date.now());
    this.hooks.peerConnect(address);
    this.run();
    return 'accept';
  }

  private onMessage(key: PeerKey, m: ValidPeerMessage): void {
    if (m.kind === 'extended') this.onExtended(key, m.id, m.payload);
    if (m.kind === 'port') {
      const link = this.links.get(key);
      const host = link?.sock.socket.remoteAddress?.replace(/^::ffff:/, '');
      if (host !== undefined) this.o.dht?.addNode?.(host, m.port);
    }
    if (m.kind === 'piece') this.received(key, m.block.length);
    // Commands are carried out once per received chunk (batchEnd), not once per message.
    this.o.swarm.message(key, m, Date.now());
  }

  /** Counts received piece data, and stops reading from the peer while a limit is in debt. */
  private received(key: PeerKey, bytes: number): void {
    this.downloaded += bytes;
    if (this.o.downloadLimits.length === 0) return;
    const link = this.links.get(key);
    if (link === undefined) return;
    const now = Date.now();
    const wait = this.limitWait(bytes);
    if (wait === 0) return;
    link.limitedUntil = Math.max(link.limitedUntil, now + wait);
    this.updateReading(link);
  }

  /** Spends received bytes from every download limit: how long reading must wait, in ms. */
  private limitWait(bytes: number): number {
    const now = Date.now();
    let wait = 0;
    for (const bucket of this.o.downloadLimits) wait = Math.max(wait, bucket.spend(bytes, now));
    return wait;
  }

  /** Reads from a peer unless the disk is behind or a download limit is in debt. */
  private updateReading(link: Link): void {
    const now = Date.now();
    const limited = link.limitedUntil > now;
    if (this.writer.readingPaused || limited) link.sock.socket.pause();
    else link.sock.socket.resume();
    if (limited && link.limitTimer === undefined) {
      link.limitTimer = setTimeout(() => {
        link.limitTimer = undefined;
        if (this.links.get(link.key) === link) this.updateReading(link);
      }, link.limitedUntil - now);
    }
  }

  private onExtended(key: PeerKey, id: number, payload: Uint8Array): void {
    const link = this.links.get(key);
    if (link === undefined) return;
    if (id === EXTENDED_HANDSHAKE_ID) {
      const h = decodeExtendedHandshake(payload);
      if (!h.ok) return;
      if (h.value.requestQueue !== undefined)
        this.o.swarm.setMaxRequests(key, h.value.requestQueue);
      link.utMetadata = h.value.extensions.get(UT_METADATA_KEY);
      this.pex.handshake(key, h.value.extensions.get(UT_PEX_KEY), h.value.port);
      return;
    }
    if (id === OUR_UT_PEX) return this.pex.message(key, payload);
    if (id !== OUR_UT_METADATA || link.utMetadata === undefined || link.utMetadata === 0) return;
    const reply = metadataReply(this.o.meta.info, payload);
    if (reply !== undefined)
      link.sock.send({ kind: 'extended', id: link.utMetadata, payload: reply });
  }

  private tick(): void {
    this.o.swarm.tick(Date.now());
    this.pex.tick(Date.now());
    this.run();
  }

  /** Carries out what the swarm asked for. */
  run(): void {
    for (const c of this.o.swarm.drain()) this.execute(c);
  }

  private execute(c: SwarmCommand): void {
    switch (c.kind) {
      case 'send':
        if (!this.webSeeds.send(c.peer, c.message)) this.links.get(c.peer)?.sock.send(c.message);
        return;
      case 'serve':
        this.links.get(c.peer)?.uploads.add(c.ref);
        return;
      case 'unserve':
        this.links.get(c.peer)?.uploads.remove(c.ref);
        return;
      case 'write':
        this.writer.add(c.ref, c.data);
        return;
      case 'verify': {
        const v = this.verify(c.piece);
        this.verifying.add(v);
        void v.finally(() => this.verifying.delete(v));
        return;
      }
      case 'disconnect': {
        if (this.webSeeds.disconnect(c.peer, c.reason, c.ban)) return;
        const link = this.links.get(c.peer);
        if (link === undefined) return;
        if (c.ban) this.banned.add(link.address.slice(0, link.address.lastIndexOf(':')));
        if (c.misbehaving) this.misbehaving++;
        link.sock.end(c.reason, undefined);
        return;
      }
      case 'piece-verified':
        this.hooks.pieceVerified(c.piece);
        return;
      case 'done':
        this.hooks.done();
        return;
    }
  }

  /** Checks a complete piece from memory (on a worker thread); only a good piece is written. */
  private async verify(piece: number): Promise<void> {
    let good = false;
    try {
      const size = this.o.layout.geometry.pieceSize(piece);
      const taken = await this.writer.take(piece, size);
      const { verdict, data } = await this.o.checker.check(piece, taken);
      good = verdict === 'good';
      if (good) await this.writer.commit(piece, data);
      else this.writer.discard(piece, data);
    } catch {
      // A read, write or checker failure: the piece is fetched again (a read or write failure
      // has been reported by the writer, and the torrent stops).
      this.writer.discard(piece);
      good = false;
    }
    // Even while closing (or pausing): the picker must learn the piece's fate.
    this.o.swarm.pieceChecked(piece, good);
    this.run();
  }
}
