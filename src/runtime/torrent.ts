/**
 * A torrent at work: drives the pure Swarm with real sockets, disk and timers. Owns its
 * storage, its peer connections and its tick timer; close() releases all of them.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Choker } from '../core/choker/choker.js';
import type { FileRange } from '../core/metainfo/magnet.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { PiecePicker } from '../core/picker/piece-picker.js';
import type { PeerKey } from '../core/torrent/peer-state.js';
import { checkPiece } from '../core/torrent/piece-check.js';
import { selectedFiles, wantedPieces } from '../core/torrent/selection.js';
import { Swarm, type SwarmCommand } from '../core/torrent/swarm.js';
import { type TorrentLayout, torrentLayout } from '../core/torrent/torrent-layout.js';
import {
  decodeExtendedHandshake,
  EXTENDED_HANDSHAKE_ID,
  encodeExtendedHandshake,
  UT_METADATA,
} from '../core/wire/extension.js';
import { encodeHandshake, type Handshake, matchInfoHash } from '../core/wire/handshake.js';
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPiece,
} from '../core/wire/ut-metadata.js';
import type { ValidPeerMessage } from '../core/wire/validate.js';
import { Bitfield } from '../lib/bitfield.js';
import { bytesToBinary, equalBytes } from '../lib/bytes.js';
import { FanseedError } from '../lib/errors.js';
import type { PeerId } from '../lib/ids.js';
import type { Rng } from '../lib/ports.js';
import type { TokenBucket } from '../lib/token-bucket.js';
import { nodeHash } from './node-hash.js';
import { PeerSocket, type PeerTimeouts } from './peer/peer-socket.js';
import { UploadQueue } from './peer/upload-queue.js';
import { PieceCache } from './piece-cache.js';
import { DEFAULT_WRITE_LIMITS, PieceWriter } from './piece-writer.js';
import { ResumeKeeper } from './resume-store.js';
import type { Storage } from './storage/storage.js';
import { Announcer } from './tracker/announcer.js';
import { createEmptyFiles, stillOnDisk, storageFor, verifyPieces } from './verify.js';

export interface TorrentOptions {
  /** Folder that holds (or will hold) the torrent's files. */
  readonly path: string;
  readonly peerId: PeerId;
  readonly rng: Rng;
  /** Our listen port, told to peers in the extended handshake. */
  readonly listenPort?: number;
  /** Trust the data on disk without checking it (seeding freshly created torrents). */
  readonly skipCheck?: boolean;
  readonly storage?: Storage;
  readonly client?: string;
  /** Where to keep resume data (none when undefined). */
  readonly resumeFile?: string;
  /** Upload limits every sent block must pass (this torrent's and the session's). */
  readonly uploadLimits?: readonly TokenBucket[];
  readonly peerTimeouts?: PeerTimeouts;
  /** Most peer connections (default 50). */
  readonly maxPeers?: number;
  /** Announce to the torrent's trackers (default true when it has any). */
  readonly trackers?: boolean;
  /** Files to download (real-file indices, as `fanseed info` lists them); all when undefined. */
  readonly select?: readonly FileRange[];
}

export interface TorrentStats {
  readonly have: number;
  readonly pieces: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downRate: number;
  readonly upRate: number;
  readonly peers: number;
  /** Connections closed because the peer broke the protocol or sent bad data. */
  readonly misbehaving: number;
}

export interface TorrentEvents {
  ready: [];
  'piece-verified': [piece: number];
  done: [];
  'peer-connect': [address: string];
  'peer-disconnect': [address: string, reason: string];
  'tracker-error': [url: string, error: FanseedError];
  error: [error: FanseedError];
}

interface Link {
  readonly key: PeerKey;
  readonly address: string;
  readonly sock: PeerSocket;
  readonly uploads: UploadQueue;
  /** Their id for ut_metadata messages, from their extended handshake. */
  utMetadata?: number | undefined;
}

const UT_METADATA_KEY = bytesToBinary(new TextEncoder().encode(UT_METADATA));
/** Our id for ut_metadata messages sent to us. */
const OUR_UT_METADATA = 3;

export class Torrent extends EventEmitter<TorrentEvents> {
  readonly layout: TorrentLayout;
  private storage: Storage;
  private swarm: Swarm | undefined;
  private readonly links = new Map<PeerKey, Link>();
  private readonly banned = new Set<string>();
  /** Addresses connected or being dialled, so a tracker's repeats are not dialled twice. */
  private readonly dialled = new Set<string>();
  private announcer: Announcer | undefined;
  /** Peers the user gave: redialled when they drop. */
  private readonly kept = new Map<
    string,
    { host: string; port: number; delayMs: number; timer: NodeJS.Timeout | undefined }
  >();
  private readonly writer: PieceWriter;
  /** Per torrent file: selected for download. */
  readonly selected: readonly boolean[];
  private readonly wanted: Bitfield;
  private readonly cache: PieceCache;
  private readonly resume: ResumeKeeper | undefined;
  private nextKey = 1;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  downloaded = 0;
  uploaded = 0;
  private misbehaving = 0;

  constructor(
    readonly meta: Metainfo,
    private readonly options: TorrentOptions,
  ) {
    super();
    this.layout = torrentLayout(meta);
    this.selected = selectedFiles(meta, options.select);
    this.wanted = wantedPieces(meta, this.layout, this.selected);
    this.storage = options.storage ?? storageFor(meta, options.path, this.layout);
    this.cache = new PieceCache(this.storage, (piece) => this.layout.wireGeometry.pieceSize(piece));
    this.writer = new PieceWriter(this.storage, {
      ...DEFAULT_WRITE_LIMITS,
      setReading: (on) => {
        for (const link of this.links.values()) {
          if (on) link.sock.socket.resume();
          else link.sock.socket.pause();
        }
      },
      onError: (e) => this.fail(e),
    });
    const hash = meta.infoHashV1 ?? meta.infoHashV2;
    this.resume =
      options.resumeFile === undefined || hash === undefined
        ? undefined
        : new ResumeKeeper(options.resumeFile, hash, meta.pieceCount, (e) =>
            this.emit(
              'error',
              new FanseedError('IO_FAILED', `saving resume data: ${e.message}`, { cause: e }),
            ),
          );
  }

  get have(): Bitfield {
    return this.swarm?.have ?? new Bitfield(this.meta.pieceCount);
  }

  get complete(): boolean {
    return this.swarm?.complete === true;
  }

  stats(): TorrentStats {
    const peers = this.swarm?.peerList() ?? [];
    return {
      have: this.have.count,
      pieces: this.meta.pieceCount,
      downloaded: this.downloaded,
      uploaded: this.uploaded,
      downRate: peers.reduce((n, p) => n + p.downRate, 0),
      upRate: peers.reduce((n, p) => n + p.upRate, 0),
      peers: this.links.size,
      misbehaving: this.misbehaving,
    };
  }

  /** Checks what is on disk (unless told not to), then starts trading. */
  async start(): Promise<void> {
    let have: Bitfield;
    if (this.options.skipCheck) have = Bitfield.full(this.meta.pieceCount);
    else {
      await createEmptyFiles(this.meta, this.options.path, this.selected).catch((e: unknown) => {
        throw new FanseedError('IO_FAILED', `creating empty files: ${(e as Error).message}`, {
          cause: e,
        });
      });
      const resumed = await this.loadResume();
      have = (
        await verifyPieces(
          this.meta,
          this.storage,
          this.layout,
          resumed === undefined ? {} : { trusted: resumed },
        )
      ).have;
    }
    const g = this.layout.geometry;
    const picker = new PiecePicker(g, this.options.rng, have);
    for (let piece = 0; piece < this.meta.pieceCount; piece++) {
      if (!this.wanted.has(piece)) picker.setPriority(piece, 0);
    }
    this.swarm = new Swarm(g, picker, new Choker(this.options.rng));
    this.timer = setInterval(() => this.tick(), 1000);
    this.startAnnouncing();
    this.emit('ready');
    if (this.swarm.complete) this.emit('done');
  }

  /**
   * A peer to keep connected (given by the user): dialled now, and again after a growing pause
   * (2 s doubling to 1 min) whenever the connection fails or ends, until the torrent closes.
   */
  addPeer(host: string, port: number): void {
    this.kept.set(`${host}:${port}`, { host, port, delayMs: 2000, timer: undefined });
    this.connectTo(host, port);
  }

  private redialLater(address: string): void {
    const peer = this.kept.get(address);
    if (peer === undefined || this.closing || peer.timer !== undefined) return;
    peer.timer = setTimeout(() => {
      peer.timer = undefined;
      this.connectTo(peer.host, peer.port);
    }, peer.delayMs);
    peer.timer.unref();
    peer.delayMs = Math.min(60_000, peer.delayMs * 2);
  }

  /** Dials a peer once; failures are reported as peer-disconnect, never thrown. */
  connectTo(host: string, port: number): void {
    const address = `${host}:${port}`;
    if (this.closing || this.banned.has(host) || this.dialled.has(address)) return;
    if (this.dialled.size >= (this.options.maxPeers ?? 50)) return;
    this.dialled.add(address);
    const socket = connect({ host, port });
    const sock = this.wrap(socket, address);
    socket.once('connect', () => sock.writeRaw(this.ourHandshake()));
  }

  /** An incoming connection whose handshake named this torrent (Session routes it). */
  acceptIncoming(socket: Socket): PeerSocket | undefined {
    const host = socket.remoteAddress ?? '';
    if (this.closing || this.banned.has(host)) return undefined;
    // The connection cap covers peers that dial us too.
    if (this.links.size >= (this.options.maxPeers ?? 50)) return undefined;
    return this.wrap(socket, `${host}:${socket.remotePort ?? 0}`, true);
  }

  private startAnnouncing(): void {
    const port = this.options.listenPort;
    const hash = this.meta.infoHashV1 ?? this.meta.infoHashV2?.subarray(0, 20);
    if (
      this.options.trackers === false ||
      this.meta.announce.length === 0 ||
      port === undefined ||
      port === 0 ||
      hash === undefined
    ) {
      return;
    }
    this.announcer = new Announcer({
      tiers: this.meta.announce,
      infoHash: hash,
      peerId: this.options.peerId,
      port,
      rng: this.options.rng,
      stats: () => ({
        uploaded: this.uploaded,
        downloaded: this.downloaded,
        left: this.bytesLeft(),
      }),
      onPeers: (peers) => {
        for (const p of peers) this.connectTo(p.host, p.port);
      },
      onError: (url, error) => this.emit('tracker-error', url, error),
    });
    this.announcer.start();
  }

  private bytesLeft(): number {
    const have = this.have;
    let left = 0;
    for (let piece = 0; piece < this.meta.pieceCount; piece++) {
      if (!have.has(piece)) left += this.layout.geometry.pieceSize(piece);
    }
    return left;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const stopping = this.announcer?.stop();
    for (const peer of this.kept.values()) if (peer.timer !== undefined) clearTimeout(peer.timer);
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const link of this.links.values()) link.sock.end('torrent closed', undefined);
    await this.writer.drain();
    await this.storage.close();
    if (this.swarm !== undefined) await this.resume?.flush(this.swarm.have);
    await stopping;
  }

  private async loadResume(): Promise<Bitfield | undefined> {
    const have = await this.resume?.load();
    return have === undefined
      ? undefined
      : stillOnDisk(this.meta, this.options.path, this.layout, have);
  }

  private ourHandshake(): Uint8Array {
    const hash = this.meta.infoHashV1 ?? this.meta.infoHashV2;
    if (hash === undefined)
      throw new FanseedError('META_MISSING_FIELD', 'the torrent has no info-hash');
    return encodeHandshake(hash, this.options.peerId, {
      extensionProtocol: true,
      fast: true,
      v2Upgrade: this.meta.version === 'hybrid',
    });
  }

  private wrap(socket: Socket, address: string, incoming = false): PeerSocket {
    const key = this.nextKey++;
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
          if (error?.code.startsWith('WIRE_')) this.misbehaving++;
          this.redialLater(address);
          if (!registered) {
            this.emit('peer-disconnect', address, `could not connect: ${reason}`);
            return;
          }
          const link = this.links.get(key);
          link?.uploads.close();
          this.links.delete(key);
          this.swarm?.peerClosed(key);
          this.emit('peer-disconnect', address, reason);
          this.run();
        },
        drained: () => {
          const link = this.links.get(key);
          link?.uploads.pump();
        },
      },
      this.options.peerTimeouts,
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
    const swarm = this.swarm;
    if (swarm === undefined || this.closing) return 'refuse';
    if (!matchInfoHash(h.infoHash, { v1: this.meta.infoHashV1, v2: this.meta.infoHashV2 }).ok)
      return 'refuse';
    // Trackers hand out our own address too; a handshake with our own peer id is ourselves.
    if (equalBytes(h.peerId, this.options.peerId)) return 'self';
    sock.attach(this.layout.wireGeometry, this.meta.pieceCount);
    if (incoming) sock.writeRaw(this.ourHandshake());
    const uploads = new UploadQueue(sock, {
      read: (ref) => this.cache.read(ref),
      limits: this.options.uploadLimits ?? [],
      sent: (ref) => {
        this.uploaded += ref.length;
        this.swarm?.served(key, ref);
      },
      failed: (ref, e) =>
        this.fail(
          new FanseedError('IO_FAILED', `reading piece ${ref.index}: ${e.message}`, { cause: e }),
        ),
    });
    this.links.set(key, { key, address, sock, uploads });
    if (this.writer.readingPaused) sock.socket.pause();
    if (h.flags.extensionProtocol) {
      const payload = encodeExtendedHandshake({
        // BEP 9: we hand our metadata to peers that came with only a magnet link.
        extensions: new Map([[UT_METADATA_KEY, OUR_UT_METADATA]]),
        metadataSize: this.meta.info.length,
        client: this.options.client ?? 'fanseed',
        requestQueue: 250,
        ...(this.options.listenPort === undefined ? {} : { port: this.options.listenPort }),
      });
      sock.send({ kind: 'extended', id: EXTENDED_HANDSHAKE_ID, payload });
    }
    swarm.peerConnected(key, h.flags.fast, Date.now());
    const kept = this.kept.get(address);
    if (kept !== undefined) kept.delayMs = 2000;
    this.emit('peer-connect', address);
    this.run();
    return 'accept';
  }

  private onMessage(key: PeerKey, m: ValidPeerMessage): void {
    const swarm = this.swarm;
    if (swarm === undefined) return;
    if (m.kind === 'extended') this.onExtended(key, m.id, m.payload);
    if (m.kind === 'piece') this.downloaded += m.block.length;
    // Commands are carried out once per received chunk (batchEnd), not once per message.
    swarm.message(key, m, Date.now());
  }

  private onExtended(key: PeerKey, id: number, payload: Uint8Array): void {
    const link = this.links.get(key);
    if (link === undefined) return;
    if (id === EXTENDED_HANDSHAKE_ID) {
      const h = decodeExtendedHandshake(payload);
      if (!h.ok) return;
      if (h.value.requestQueue !== undefined) this.swarm?.setMaxRequests(key, h.value.requestQueue);
      link.utMetadata = h.value.extensions.get(UT_METADATA_KEY);
      return;
    }
    if (id !== OUR_UT_METADATA || link.utMetadata === undefined || link.utMetadata === 0) return;
    const m = decodeMetadataMessage(payload);
    if (!m.ok || m.value.kind !== 'request') return;
    const piece = metadataPiece(this.meta.info, m.value.piece);
    const reply =
      piece === undefined
        ? encodeMetadataMessage({ kind: 'reject', piece: m.value.piece })
        : encodeMetadataMessage({
            kind: 'data',
            piece: m.value.piece,
            totalSize: this.meta.info.length,
            data: piece,
          });
    link.sock.send({ kind: 'extended', id: link.utMetadata, payload: reply });
  }

  private tick(): void {
    this.swarm?.tick(Date.now());
    this.run();
  }

  /** Carries out what the swarm asked for. */
  private run(): void {
    const swarm = this.swarm;
    if (swarm === undefined) return;
    for (const c of swarm.drain()) this.execute(c);
  }

  private execute(c: SwarmCommand): void {
    switch (c.kind) {
      case 'send':
        this.links.get(c.peer)?.sock.send(c.message);
        return;
      case 'serve': {
        const link = this.links.get(c.peer);
        if (link === undefined) return;
        link.uploads.add(c.ref);
        return;
      }
      case 'unserve':
        this.links.get(c.peer)?.uploads.remove(c.ref);
        return;
      case 'write':
        this.writer.add(c.ref, c.data);
        return;
      case 'verify':
        void this.verify(c.piece);
        return;
      case 'disconnect': {
        const link = this.links.get(c.peer);
        if (link === undefined) return;
        if (c.ban) this.banned.add(link.address.slice(0, link.address.lastIndexOf(':')));
        if (c.misbehaving) this.misbehaving++;
        link.sock.end(c.reason, undefined);
        return;
      }
      case 'piece-verified':
        this.resume?.schedule(() => this.have);
        this.emit('piece-verified', c.piece);
        return;
      case 'done':
        this.announcer?.completed();
        this.emit('done');
        return;
    }
  }

  /** Checks a complete piece from memory; only a good piece is written. */
  private async verify(piece: number): Promise<void> {
    let good = false;
    try {
      const data = await this.writer.take(piece, this.layout.geometry.pieceSize(piece));
      if (this.closing) return;
      good = checkPiece(this.meta, this.layout, piece, data, nodeHash) === 'good';
      if (good) await this.writer.commit(piece, data);
      else this.writer.discard(piece);
    } catch {
      // A read or write failure; the writer has reported it (and the torrent stops).
      good = false;
    }
    if (this.closing) return;
    this.swarm?.pieceChecked(piece, good);
    this.run();
  }

  private fail(error: FanseedError): void {
    if (this.closing) return;
    this.emit('error', error);
    void this.close();
  }
}
