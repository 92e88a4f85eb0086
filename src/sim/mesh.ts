/**
 * A deterministic in-process swarm: several Swarm instances joined by virtual links that carry
 * real wire bytes (encoded, framed and validated as on a socket), with in-memory data and a
 * virtual clock. Each node's upload can be limited, so swarm timing can be studied without
 * sockets or sleeps.
 */

import { Choker } from '../core/choker/choker.js';
import type { PieceGeometry } from '../core/geometry/pieces.js';
import { PiecePicker } from '../core/picker/piece-picker.js';
import { DEFAULT_SWARM_CONFIG, Swarm, type SwarmConfig } from '../core/torrent/swarm.js';
import { encodeMessage } from '../core/wire/messages.js';
import { MessageReader } from '../core/wire/reader.js';
import { validateMessage } from '../core/wire/validate.js';
import { Bitfield } from '../lib/bitfield.js';
import { equalBytes } from '../lib/bytes.js';
import type { HashPort } from '../lib/hash-port.js';
import { seededRng } from '../lib/ports.js';

export interface MeshNode {
  readonly id: number;
  readonly swarm: Swarm;
  readonly data: Uint8Array;
  /** Upload limit in bytes per virtual second (Infinity: none). */
  readonly uploadRate: number;
  doneAt: number | undefined;
  /** Upload budget carried between steps. */
  credit: number;
  readonly log: string[];
}

interface Link {
  readonly from: MeshNode;
  readonly to: MeshNode;
  readonly reader: MessageReader;
  /** Encoded messages waiting for upload budget. */
  readonly queue: Uint8Array[];
}

export interface MeshOptions {
  readonly geometry: PieceGeometry;
  /** The torrent's bytes, piece after piece (no padding). */
  readonly content: Uint8Array;
  readonly hash: HashPort;
  readonly seed?: number;
  readonly config?: Partial<SwarmConfig>;
}

export class Mesh {
  readonly nodes: MeshNode[] = [];
  private readonly links = new Map<string, Link>();
  private readonly pieceHashes: Uint8Array[];
  now = 0;

  constructor(private readonly options: MeshOptions) {
    const g = options.geometry;
    this.pieceHashes = Array.from({ length: g.pieceCount }, (_, i) =>
      options.hash.sha1(this.pieceOf(options.content, i)),
    );
  }

  private pieceOf(data: Uint8Array, piece: number): Uint8Array {
    const start = piece * this.options.geometry.pieceLength;
    return data.subarray(start, start + this.options.geometry.pieceSize(piece));
  }

  addNode(seeder: boolean, uploadRate = Number.POSITIVE_INFINITY): MeshNode {
    const g = this.options.geometry;
    const id = this.nodes.length;
    const rng = seededRng((this.options.seed ?? 1) * 1000 + id);
    const have = seeder ? Bitfield.full(g.pieceCount) : new Bitfield(g.pieceCount);
    const picker = new PiecePicker(g, rng, have);
    const swarm = new Swarm(g, picker, new Choker(rng), {
      ...DEFAULT_SWARM_CONFIG,
      ...this.options.config,
    });
    const data = seeder
      ? this.options.content.slice()
      : new Uint8Array(this.options.content.length);
    const node: MeshNode = {
      id,
      swarm,
      data,
      uploadRate,
      doneAt: seeder ? 0 : undefined,
      credit: 0,
      log: [],
    };
    this.nodes.push(node);
    return node;
  }

  connect(a: MeshNode, b: MeshNode): void {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      this.links.set(`${from.id}>${to.id}`, { from, to, reader: new MessageReader(), queue: [] });
    }
    a.swarm.peerConnected(b.id, true, this.now);
    b.swarm.peerConnected(a.id, true, this.now);
  }

  /** Runs until every node is done or `limitMs` of virtual time passed; `stepMs` per step. */
  run(limitMs: number, stepMs = 10): boolean {
    let lastTick = -1000;
    while (this.now <= limitMs) {
      if (this.now - lastTick >= 1000) {
        for (const n of this.nodes) n.swarm.tick(this.now);
        lastTick = this.now;
      }
      this.pump(stepMs);
      if (this.nodes.every((n) => n.doneAt !== undefined)) return true;
      this.now += stepMs;
    }
    return false;
  }

  /** Executes commands, then moves bytes within each node's upload budget for this step. */
  private pump(stepMs: number): void {
    for (let round = 0; round < 1000; round++) {
      let work = false;
      for (const n of this.nodes) work = this.execute(n) || work;
      if (!work) break;
    }
    for (const n of this.nodes) {
      n.credit = Math.min(n.credit + (n.uploadRate * stepMs) / 1000, Math.max(n.uploadRate, 1e6));
      const outgoing = [...this.links.values()].filter((l) => l.from === n && l.queue.length > 0);
      let moved = true;
      while (moved) {
        moved = false;
        for (const link of outgoing) {
          const next = link.queue[0];
          if (
            next === undefined ||
            (n.uploadRate !== Number.POSITIVE_INFINITY && n.credit < next.length)
          )
            continue;
          link.queue.shift();
          if (n.uploadRate !== Number.POSITIVE_INFINITY) n.credit -= next.length;
          this.deliver(link, next);
          moved = true;
        }
      }
    }
  }

  private deliver(link: Link, bytes: Uint8Array): void {
    const pushed = link.reader.push(bytes);
    if (!pushed.ok) throw new Error(`framing broke: ${pushed.error.message}`);
    for (;;) {
      const pulled = link.reader.pull();
      if (!pulled.ok) throw new Error(`framing broke: ${pulled.error.message}`);
      if (pulled.value === undefined) return;
      const valid = validateMessage(pulled.value, this.options.geometry);
      if (!valid.ok) throw new Error(`invalid message: ${valid.error.message}`);
      link.to.swarm.message(link.from.id, valid.value, this.now);
    }
  }

  private execute(n: MeshNode): boolean {
    const commands = n.swarm.drain();
    for (const c of commands) {
      switch (c.kind) {
        case 'send':
          this.links.get(`${n.id}>${c.peer}`)?.queue.push(encodeMessage(c.message));
          break;
        case 'serve': {
          const start = c.ref.index * this.options.geometry.pieceLength + c.ref.begin;
          const block = n.data.slice(start, start + c.ref.length);
          this.links
            .get(`${n.id}>${c.peer}`)
            ?.queue.push(
              encodeMessage({ kind: 'piece', index: c.ref.index, begin: c.ref.begin, block }),
            );
          n.swarm.served(c.peer, c.ref);
          break;
        }
        case 'write':
          n.data.set(c.data, c.ref.index * this.options.geometry.pieceLength + c.ref.begin);
          break;
        case 'verify': {
          const good = equalBytes(
            this.options.hash.sha1(this.pieceOf(n.data, c.piece)),
            this.pieceHashes[c.piece] as Uint8Array,
          );
          n.swarm.pieceChecked(c.piece, good);
          break;
        }
        case 'disconnect':
          n.log.push(`disconnect ${c.peer}: ${c.reason}`);
          break;
        case 'done':
          n.doneAt = this.now;
          break;
        case 'unserve':
        case 'piece-verified':
          break;
      }
    }
    return commands.length > 0;
  }
}
