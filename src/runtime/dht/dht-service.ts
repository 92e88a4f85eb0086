/**
 * A DHT node on a UDP socket: drives the pure DhtNode with real datagrams and a real clock,
 * resolves bootstrap routers given by name, and keeps the routing table in a state file across
 * restarts (written whole, then renamed). One per session; torrents ask it for peers.
 */

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { type AnnounceOptions, DhtNode, type DhtStats } from '../../core/dht/dht-node.js';
import type { LookupStats } from '../../core/dht/lookup.js';
import { bep42Id, bep42Valid } from '../../core/dht/node-id.js';
import type { NodeAddress } from '../../core/dht/types.js';
import { FanseedError } from '../../lib/errors.js';
import type { NodeId } from '../../lib/ids.js';
import type { Rng } from '../../lib/ports.js';
import { nodeHash } from '../node-hash.js';
import { loadDhtState, saveDhtState } from './dht-state-file.js';

/** The well-known public routers, used only when no bootstrap node is given. */
export const DEFAULT_DHT_ROUTERS: readonly string[] = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'router.utorrent.com:6881',
  'dht.libtorrent.org:25401',
];

const TICK_MS = 200;
const SAVE_EVERY_MS = 5 * 60 * 1000;
/** Saved nodes asked again at start, besides the routers. */
const SAVED_NODES_ASKED = 32;
/** Our `v` (BEP 5 client version): FS and a version. */
const VERSION = new Uint8Array([0x46, 0x53, 0x00, 0x01]);

export interface DhtServiceOptions {
  /** UDP port (0: any free one). */
  readonly port?: number;
  /** Address to bind (default: every IPv4 address). */
  readonly host?: string;
  /** Routers or nodes to join through, as "host:port"; default DEFAULT_DHT_ROUTERS. */
  readonly bootstrap?: readonly string[];
  /** Where the routing table is kept between runs (none: not kept). */
  readonly stateFile?: string;
  /** BEP 43: ask, never answer. */
  readonly readOnly?: boolean;
  readonly rng: Rng;
}

export interface DhtLookupResult {
  readonly peers: readonly NodeAddress[];
  readonly stats: LookupStats;
  readonly announced: number;
}

interface Pending {
  readonly onPeers: ((peers: readonly NodeAddress[]) => void) | undefined;
  readonly resolve: (r: DhtLookupResult) => void;
}

export interface DhtServiceEvents {
  error: [Error];
}

export class DhtService extends EventEmitter<DhtServiceEvents> {
  private readonly pending = new Map<number, Pending>();
  private readonly timer: NodeJS.Timeout;
  private lastSave: number;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly node: DhtNode,
    private readonly options: DhtServiceOptions,
    /** Our external address, as other nodes agree on it (kept in the state file). */
    private external: string | undefined,
  ) {
    super();
    this.lastSave = performance.now();
    socket.on('message', (packet, rinfo) => {
      if (this.closed) return;
      this.node.receive(packet, { host: rinfo.address, port: rinfo.port }, performance.now());
      this.flush();
    });
    socket.on('error', (e) => this.emit('error', e));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Binds the socket, loads the saved table and starts joining the network (in the
   * background: lookups made meanwhile simply find fewer nodes at first). */
  static async start(options: DhtServiceOptions): Promise<DhtService> {
    const saved =
      options.stateFile === undefined ? undefined : await loadDhtState(options.stateFile);
    // BEP 42: once other nodes have told us our external address, our id derives from it.
    const external = saved?.external;
    const derived =
      external !== undefined && (saved === undefined || !bep42Valid(saved.id, external))
        ? bep42Id(external, options.rng)
        : undefined;
    const id = derived ?? saved?.id ?? (randomBytes(20) as Uint8Array as NodeId);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const node = new DhtNode(
      {
        id,
        hash: nodeHash,
        rng: options.rng,
        readOnly: options.readOnly === true,
        version: VERSION,
      },
      performance.now(),
    );
    const service = new DhtService(socket, node, options, external);
    const routers = await resolveAll(options.bootstrap ?? DEFAULT_DHT_ROUTERS);
    const again = (saved?.nodes ?? []).slice(0, SAVED_NODES_ASKED).map((n) => n.address);
    service.node.bootstrap([...routers, ...again], performance.now());
    service.flush();
    return service;
  }

  /** Our external address, once other nodes agree on it. */
  get externalAddress(): string | undefined {
    return this.external;
  }

  get port(): number {
    return this.socket.address().port;
  }

  stats(): DhtStats {
    return this.node.stats();
  }

  /** Peers of a torrent, reported as they come; with `announce`, we are announced too. */
  getPeers(
    infoHash: Uint8Array,
    announce?: AnnounceOptions,
    onPeers?: (peers: readonly NodeAddress[]) => void,
  ): Promise<DhtLookupResult> {
    if (this.closed) return Promise.reject(new FanseedError('DHT_BAD_PACKET', 'the DHT is closed'));
    return new Promise((resolve) => {
      const id = this.node.getPeers(infoHash.subarray(0, 20), performance.now(), announce);
      this.pending.set(id, { onPeers, resolve });
      this.flush();
    });
  }

  /** A peer's DHT port (BEP 5 PORT message): pinged, and kept if it answers. */
  addNode(host: string, port: number): void {
    if (this.closed || isIP(host) !== 4 || port < 1 || port > 65535) return;
    this.node.ping({ host, port }, performance.now());
    this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const p of this.pending.values())
      p.resolve({
        peers: [],
        stats: { queried: 0, answered: 0, failed: 0, hops: undefined },
        announced: 0,
      });
    this.pending.clear();
    await this.save().catch((e: unknown) => this.emit('error', e as Error));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private tick(): void {
    const now = performance.now();
    this.node.tick(now);
    this.flush();
    if (now - this.lastSave >= SAVE_EVERY_MS) {
      this.lastSave = now;
      void this.save().catch((e: unknown) => this.emit('error', e as Error));
    }
  }

  private save(): Promise<void> {
    const file = this.options.stateFile;
    if (file === undefined) return Promise.resolve();
    return saveDhtState(file, {
      id: this.node.id,
      nodes: this.node.table.nodes(),
      external: this.external,
    });
  }

  private flush(): void {
    for (const e of this.node.drain()) {
      switch (e.kind) {
        case 'send':
          if (!this.closed && isIP(e.to.host) === 4)
            this.socket.send(e.packet, e.to.port, e.to.host);
          break;
        case 'external-address':
          // Kept for the next start: changing ids now would throw the routing table away.
          this.external = e.host;
          break;
        case 'peers':
          this.pending.get(e.lookup)?.onPeers?.(e.peers);
          break;
        case 'lookup-done': {
          const p = this.pending.get(e.lookup);
          this.pending.delete(e.lookup);
          p?.resolve({ peers: e.peers, stats: e.stats, announced: e.announced });
          break;
        }
      }
    }
  }
}

/** "host:port" strings to addresses; names are looked up (IPv4), failures skipped. */
const resolveAll = async (list: readonly string[]): Promise<NodeAddress[]> => {
  const out = await Promise.all(
    list.map(async (entry): Promise<NodeAddress | undefined> => {
      const at = entry.lastIndexOf(':');
      const host = entry.slice(0, at);
      const port = Number(entry.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
      if (isIP(host) === 4) return { host, port };
      try {
        const { address } = await dnsLookup(host, { family: 4 });
        return { host: address, port };
      } catch {
        return undefined;
      }
    }),
  );
  return out.filter((a): a is NodeAddress => a !== undefined);
};

/** Parses a `--dht-bootstrap HOST:PORT` value; throws a clear error. */
export const parseBootstrap = (value: string): string => {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new FanseedError('CLI_USAGE', `--dht-bootstrap ${value} is not HOST:PORT`);
  return value;
};
