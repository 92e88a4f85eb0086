/**
 * A torrent in a session, as the library shows it: its lifecycle (metadata for a magnet link,
 * checking, trading, paused, closed), its trackers, the peers the user gave, and typed events.
 * The trading itself (peer links, pieces in and out) is delegated to `Trading`. See STATE.md
 * beside this file.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Choker } from '../core/choker/choker.js';
import type { MagnetLink } from '../core/metainfo/magnet.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { PiecePicker } from '../core/picker/piece-picker.js';
import { layoutFileIndex, selectedFiles, wantedPieces } from '../core/torrent/selection.js';
import { Swarm } from '../core/torrent/swarm.js';
import { type TorrentLayout, torrentLayout } from '../core/torrent/torrent-layout.js';
import { isWebSeedUrl } from '../core/webseed/web-seed-url.js';
import { Bitfield } from '../lib/bitfield.js';
import { toHex } from '../lib/bytes.js';
import { FanseedError } from '../lib/errors.js';
import { createFileStream, type FileStreamOptions, PieceWaiters } from './file-stream.js';
import { PieceCheckPool } from './hash/piece-check-pool.js';
import { magnetDiscovery } from './magnet-discovery.js';
import { fetchMetainfo, magnetPeers } from './metadata-fetch.js';
import { KeptPeers } from './peer/kept-peers.js';
import type { NegotiatedStream, PeerSocket } from './peer/peer-socket.js';
import { PeerSources } from './peer-sources.js';
import { DEFAULT_WRITE_LIMITS, PieceWriter } from './piece-writer.js';
import { ResumeKeeper, resumePath } from './resume-store.js';
import type { Storage } from './storage/storage.js';
import { StreamWindows } from './stream-windows.js';
import type { TorrentEvents, TorrentOptions, TorrentState, TorrentStats } from './torrent-types.js';
import { Trading } from './trading.js';
import { checkOnDisk, storageFor } from './verify.js';

export type { TorrentEvents, TorrentOptions, TorrentState, TorrentStats };

/** What exists once the metadata is known. */
interface Loaded {
  readonly meta: Metainfo;
  readonly layout: TorrentLayout;
  readonly selected: readonly boolean[];
  readonly wanted: Bitfield;
  readonly storage: Storage;
  readonly checker: PieceCheckPool;
  readonly writer: PieceWriter;
  readonly resume: ResumeKeeper | undefined;
  swarm?: Swarm;
  picker?: PiecePicker;
}

export class Torrent extends EventEmitter<TorrentEvents> {
  private loaded: Loaded | undefined;
  private trading: Trading | undefined;
  private readonly sources: PeerSources;
  private stateNow: TorrentState;
  /** Web seeds added at run time (the torrent's own come from its url-list). */
  private readonly extraWebSeeds = new Set<string>();
  /** Web seeds given up on (bad data, gone for good): not used again, even after a pause. */
  private readonly droppedWebSeeds = new Set<string>();
  /** Peers the user gave: redialled when they drop. */
  private readonly kept = new KeptPeers();
  /** The open read streams' windows (see file-stream.ts). */
  private readonly windows = new StreamWindows();
  private readonly waiters = new PieceWaiters();
  private starting: Promise<void> | undefined;
  /** A pause or close letting the trading go; resume() and close() wait for it. */
  private stopping: Promise<void> | undefined;
  private lastKey = 0;
  private readonly keys = { next: (): number => ++this.lastKey };
  private downloadedBefore = 0;
  private uploadedBefore = 0;
  private misbehavingBefore = 0;

  constructor(
    private readonly source: Metainfo | MagnetLink,
    private readonly options: TorrentOptions,
  ) {
    super();
    this.stateNow = 'info' in source ? 'checking' : 'metadata';
    this.sources = new PeerSources({
      peerId: options.peerId,
      rng: options.rng,
      listenPort: options.listenPort,
      trackers: options.trackers,
      dht: options.dht,
      lsd: options.lsd,
      stats: () => this.stats(),
      seeding: () => this.stateNow === 'seeding',
      dial: (host, port) => this.trading?.connectTo(host, port),
      trackerError: (url, error) => this.emit('tracker-error', url, error),
    });
    if ('info' in source) this.load(source);
    // A magnet's x.pe peers are kept like peers the user gives.
    else for (const p of magnetPeers(source)) this.kept.add(p.host, p.port);
  }

  /** The torrent's metadata; undefined for a magnet link until the `metadata` event. */
  get meta(): Metainfo | undefined {
    return this.loaded?.meta;
  }

  /** The torrent's name (the magnet's `dn`, or its info-hash, until the metadata is known). */
  get name(): string {
    if (this.loaded !== undefined) return this.loaded.meta.name;
    const m = this.source as MagnetLink;
    const hash = m.infoHashV1 ?? m.infoHashV2;
    return m.name ?? (hash === undefined ? '' : toHex(hash));
  }

  get state(): TorrentState {
    return this.stateNow;
  }

  get have(): Bitfield {
    return this.loaded?.swarm?.have ?? new Bitfield(this.loaded?.meta.pieceCount ?? 0);
  }

  get complete(): boolean {
    return this.loaded?.swarm?.complete === true;
  }

  stats(): TorrentStats {
    const peers = this.loaded?.swarm?.peerList() ?? [];
    const t = this.trading;
    return {
      state: this.stateNow,
      have: this.have.count,
      pieces: this.loaded?.meta.pieceCount ?? 0,
      left: this.bytesLeft(),
      downloaded: this.downloadedBefore + (t?.downloaded ?? 0),
      uploaded: this.uploadedBefore + (t?.uploaded ?? 0),
      downRate: peers.reduce((n, p) => n + p.downRate, 0),
      upRate: peers.reduce((n, p) => n + p.upRate, 0),
      peers: t?.peerCount ?? 0,
      webSeeds: t?.webSeedCount ?? 0,
      wasted: this.loaded?.swarm?.wastedBytes ?? 0,
      misbehaving: this.misbehavingBefore + (t?.misbehaving ?? 0),
    };
  }

  /**
   * Gets the metadata (magnet links), checks what is on disk, then starts trading. Resolves
   * once trading has started (the `ready` event); calling it again returns the same promise.
   */
  start(): Promise<void> {
    this.starting ??= this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    if (this.loaded === undefined) {
      const magnet = this.source as MagnetLink;
      const meta = await fetchMetainfo(magnet, {
        peers: this.kept.all(),
        peerId: this.options.peerId,
        rng: this.options.rng,
        port: this.options.listenPort ?? 0,
        ...(this.options.metadataTimeoutMs === undefined
          ? {}
          : { timeoutMs: this.options.metadataTimeoutMs }),
        ...magnetDiscovery(
          (magnet.infoHashV1 ?? magnet.infoHashV2) as Uint8Array,
          this.options.listenPort,
          this.options.dht,
          this.options.lsd,
        ),
      });
      if (this.stateNow === 'closed') throw closedError();
      const l = this.load(meta);
      this.emit('metadata', l.meta);
      this.stateNow = 'checking';
    }
    const l = this.loaded as Loaded;
    const have = this.options.skipCheck
      ? Bitfield.full(l.meta.pieceCount)
      : await checkOnDisk(l.meta, this.options.path, l, l.resume);
    if (this.stateNow === 'closed') throw closedError();
    const picker = new PiecePicker(l.layout.geometry, this.options.rng, have);
    for (let piece = 0; piece < l.meta.pieceCount; piece++)
      if (!l.wanted.has(piece)) picker.setPriority(piece, 0);
    l.picker = picker;
    l.swarm = new Swarm(l.layout.geometry, picker, new Choker(this.options.rng));
    // Streams opened before the check: what is on disk is theirs now, and what they wait for
    // comes first.
    this.applyWindows(l);
    for (let piece = 0; piece < l.meta.pieceCount; piece++)
      if (have.has(piece)) this.waiters.settle(piece);
    this.stateNow = l.swarm.complete ? 'seeding' : 'downloading';
    this.startTrading();
    this.emit('ready');
    if (l.swarm.complete) this.emit('done');
  }

  private load(meta: Metainfo): Loaded {
    const layout = torrentLayout(meta);
    const selected = selectedFiles(meta, this.options.select);
    const hash = meta.infoHashV1 ?? meta.infoHashV2;
    const storage = this.options.storage ?? storageFor(meta, this.options.path, layout);
    this.loaded = {
      meta,
      layout,
      selected,
      wanted: wantedPieces(meta, layout, selected),
      storage,
      checker: new PieceCheckPool(meta),
      writer: new PieceWriter(storage, {
        ...DEFAULT_WRITE_LIMITS,
        pieceSize: (piece) => layout.geometry.pieceSize(piece),
        setReading: () => this.trading?.readingChanged(),
        onError: (e) => this.fail(e),
      }),
      resume:
        this.options.resume !== true || hash === undefined
          ? undefined
          : new ResumeKeeper(resumePath(this.options.path, hash), hash, meta.pieceCount, (e) =>
              this.emit(
                'error',
                new FanseedError('IO_FAILED', `saving resume data: ${e.message}`, { cause: e }),
              ),
            ),
    };
    return this.loaded;
  }

  private startTrading(): void {
    const l = this.loaded as Loaded;
    const o = this.options;
    const swarm = l.swarm as Swarm;
    this.trading = new Trading(
      {
        meta: l.meta,
        layout: l.layout,
        storage: l.storage,
        swarm,
        checker: l.checker,
        writer: l.writer,
        keys: this.keys,
        peerId: o.peerId,
        listenPort: o.listenPort,
        client: o.client,
        uploadLimits: o.uploadLimits ?? [],
        downloadLimits: o.downloadLimits ?? [],
        peerTimeouts: o.peerTimeouts,
        maxPeers: o.maxPeers ?? 50,
        connections: o.connections,
        outgoing: o.outgoing,
        pex: o.pex,
        // No PORT messages for a private torrent (BEP 27: its peers come from trackers only).
        dht: l.meta.private ? undefined : o.dht,
        webSeedConnections: o.webSeedConnections,
        droppedWebSeeds: this.droppedWebSeeds,
      },
      {
        pieceVerified: (piece) => {
          l.resume?.schedule(() => swarm.have);
          this.waiters.settle(piece);
          this.emit('piece-verified', piece);
        },
        done: () => {
          // A piece checked while pausing or closing may complete the torrent: the state
          // stays paused (or closed), and the trackers hear of it on resume.
          if (this.stateNow === 'downloading') this.stateNow = 'seeding';
          this.sources.completed();
          this.emit('done');
        },
        peerConnect: (address) => {
          this.kept.connected(address);
          this.emit('peer-connect', address);
        },
        peerDisconnect: (address, reason) => {
          this.redialLater(address);
          this.emit('peer-disconnect', address, reason);
        },
        error: (e) => this.fail(e),
      },
    );
    for (const peer of this.kept.all()) this.trading.connectTo(peer.host, peer.port);
    if (o.webSeeds !== false)
      for (const url of [...l.meta.urlList, ...this.extraWebSeeds])
        if (isWebSeedUrl(url)) this.trading.addWebSeed(url);
    this.sources.start(l.meta);
  }

  /**
   * A peer to keep connected (given by the user): dialled now (or once trading starts), and
   * again after a growing pause (2 s doubling to 1 min) whenever the connection fails or ends,
   * until the torrent is paused or closed.
   */
  addPeer(host: string, port: number): void {
    this.kept.add(host, port);
    this.trading?.connectTo(host, port);
  }

  /**
   * Adds an HTTP(S) mirror of the torrent's files as a source (BEP 19), used now (or once
   * trading starts) and after every resume.
   */
  addWebSeed(url: string): void {
    if (!isWebSeedUrl(url))
      throw new FanseedError('API_BAD_ARGUMENT', `not an http(s) URL: ${url}`);
    this.extraWebSeeds.add(url);
    if (this.options.webSeeds !== false) this.trading?.addWebSeed(url);
  }

  /** Dials a peer once (as a tracker's peers are); failures are reported, never thrown. */
  connectTo(host: string, port: number): void {
    this.trading?.connectTo(host, port);
  }

  private redialLater(address: string): void {
    if (this.trading !== undefined)
      this.kept.dropped(address, (host, port) => this.trading?.connectTo(host, port));
  }

  /** An incoming connection whose handshake named this torrent (the Session routes it). */
  acceptIncoming(socket: Socket, negotiated?: NegotiatedStream): PeerSocket | undefined {
    return this.trading?.acceptIncoming(socket, negotiated);
  }

  private bytesLeft(): number {
    const l = this.loaded;
    if (l === undefined) return 0;
    const have = this.have;
    let left = 0;
    for (let piece = 0; piece < l.meta.pieceCount; piece++)
      if (!have.has(piece) && l.wanted.has(piece)) left += l.layout.geometry.pieceSize(piece);
    return left;
  }

  /**
   * Stops trading: every peer is let go, the trackers are told `stopped`, and nothing is
   * dialled or accepted until `resume()`. What was verified stays.
   */
  async pause(): Promise<void> {
    if (this.trading === undefined || this.stateNow === 'closed') return;
    this.stateNow = 'paused';
    this.stopping = this.stopTrading();
    await this.stopping;
  }

  /** Trades again after `pause()`: trackers are announced to and kept peers redialled. */
  resume(): void {
    const swarm = this.loaded?.swarm;
    if (this.stateNow !== 'paused' || swarm === undefined) return;
    this.stateNow = swarm.complete ? 'seeding' : 'downloading';
    // Trading starts again once the pause has let the old one go (one swarm, one driver).
    void (this.stopping ?? Promise.resolve()).then(() => {
      if (this.stateNow === 'closed' || this.stateNow === 'paused' || this.trading !== undefined)
        return;
      this.startTrading();
    });
  }

  private async stopTrading(): Promise<void> {
    const trading = this.trading;
    this.trading = undefined;
    this.kept.stop();
    if (trading !== undefined) {
      await trading.close();
      this.downloadedBefore += trading.downloaded;
      this.uploadedBefore += trading.uploaded;
      this.misbehavingBefore += trading.misbehaving;
    }
    // After the totals above: the trackers' `stopped` carries the final figures.
    await this.sources.stop();
    const l = this.loaded;
    if (l?.swarm !== undefined) await l.resume?.flush(l.swarm.have);
  }

  /** Closes the torrent for good (the session forgets it). Files on disk stay. */
  async close(): Promise<void> {
    if (this.stateNow === 'closed') return;
    this.stateNow = 'closed';
    await this.stopping;
    await this.stopTrading();
    await this.loaded?.writer.drain();
    this.waiters.failAll(closedError());
    await this.loaded?.storage.close();
    await this.loaded?.checker.close();
    this.emit('closed');
  }

  /**
   * Bytes `start` to `end` (inclusive) of file `file` (numbered as `fanseed info` lists them,
   * padding left out), as a stream that waits for each piece and makes the pieces just ahead
   * of it urgent. Works for files not selected for download too: their pieces are fetched.
   */
  createReadStream(file: number, options: FileStreamOptions = {}): Readable {
    const l = this.loaded;
    if (l === undefined)
      throw new FanseedError('API_BAD_ARGUMENT', 'the metadata is not known yet');
    const index = layoutFileIndex(l.meta, file);
    if (index === undefined) throw new FanseedError('API_BAD_ARGUMENT', `there is no file ${file}`);
    return createFileStream(
      {
        layout: l.layout.layout,
        has: (piece) => l.swarm?.have.has(piece) === true,
        waitFor: (piece) => this.waitFor(piece),
        read: (piece, offset, length) => l.storage.read(piece, offset, length),
        window: (reader, pieces) => {
          this.windows.set(reader, pieces);
          this.applyWindows(l);
        },
      },
      index,
      options,
    );
  }

  private waitFor(piece: number): Promise<void> {
    return this.stateNow === 'closed' ? Promise.reject(closedError()) : this.waiters.wait(piece);
  }

  /** Streaming priorities and deadlines from every reader's window. */
  private applyWindows(l: Loaded): void {
    this.windows.apply(l.swarm, l.wanted);
    if (l.swarm === undefined) return;
    if (!l.swarm.complete && this.stateNow === 'seeding') this.stateNow = 'downloading';
    this.trading?.run();
  }

  private fail(error: FanseedError): void {
    if (this.stateNow === 'closed') return;
    this.emit('error', error);
    void this.close();
  }
}

const closedError = (): FanseedError =>
  new FanseedError('TORRENT_CLOSED', 'the torrent was closed');
