/**
 * Peer exchange (BEP 11) for one torrent's connections: offers `ut_pex` in the extended
 * handshake, tells each peer that speaks it whom we are connected to (at most once a minute,
 * at most 50 new peers a message: PexTracker), and dials the peers it is told of. Off for
 * private torrents (BEP 27). Bad messages are ignored: PEX is advice, never a reason to drop a
 * peer that trades well.
 */
import type { NodeAddress } from '../../core/dht/types.js';
import type { PeerKey } from '../../core/torrent/peer-state.js';
import {
  decodePex,
  encodePex,
  PEX_FLAGS,
  type PexPeer,
  PexTracker,
  UT_PEX,
} from '../../core/wire/ut-pex.js';
import { bytesToBinary, utf8 } from '../../lib/bytes.js';

/** Our id for ut_pex messages sent to us (BEP 10: any 1..255 not taken). */
export const OUR_UT_PEX = 1;
export const UT_PEX_KEY = bytesToBinary(utf8(UT_PEX));
/** Peers dialled from one message at most (the rest are likely known already). */
const DIAL_PER_MESSAGE = 20;

interface PexLink {
  readonly tracker: PexTracker;
  readonly host: string;
  /** Where it accepts connections: the address we dialled, or its handshake's `p`. */
  listen: NodeAddress | undefined;
  readonly outgoing: boolean;
  theirId: number | undefined;
}

export interface PexExchangeOptions {
  readonly enabled: boolean;
  readonly send: (key: PeerKey, id: number, payload: Uint8Array) => void;
  readonly dial: (host: string, port: number) => void;
}

export class PexExchange {
  private readonly links = new Map<PeerKey, PexLink>();
  /** Messages received, and peers learned from them. */
  received = 0;
  learned = 0;

  constructor(private readonly o: PexExchangeOptions) {}

  /** Our entries for the extended handshake's `m`. */
  get extensions(): Array<[string, number]> {
    return this.o.enabled ? [[UT_PEX_KEY, OUR_UT_PEX]] : [];
  }

  connected(key: PeerKey, address: string, outgoing: boolean): void {
    if (!this.o.enabled) return;
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at);
    const port = Number(address.slice(at + 1));
    this.links.set(key, {
      tracker: new PexTracker(),
      host,
      listen: outgoing ? { host, port } : undefined,
      outgoing,
      theirId: undefined,
    });
  }

  /** Their extended handshake: their id for ut_pex (0 or absent: none) and listen port. */
  handshake(key: PeerKey, theirId: number | undefined, listenPort: number | undefined): void {
    const link = this.links.get(key);
    if (link === undefined) return;
    link.theirId = theirId === 0 ? undefined : theirId;
    if (listenPort !== undefined && listenPort > 0 && !link.outgoing)
      link.listen = { host: link.host, port: listenPort };
  }

  message(key: PeerKey, payload: Uint8Array): void {
    if (!this.links.has(key)) return;
    const m = decodePex(payload);
    if (!m.ok) return;
    this.received++;
    for (const p of m.value.added.slice(0, DIAL_PER_MESSAGE)) {
      this.learned++;
      this.o.dial(p.address.host, p.address.port);
    }
  }

  closed(key: PeerKey): void {
    this.links.delete(key);
  }

  /** Sends what is due (call about once a second). */
  tick(now: number): void {
    if (!this.o.enabled) return;
    const everyone = new Map<string, PexPeer>();
    for (const l of this.links.values()) {
      if (l.listen === undefined) continue;
      everyone.set(`${l.listen.host}:${l.listen.port}`, {
        address: l.listen,
        flags: l.outgoing ? PEX_FLAGS.reachable : 0,
      });
    }
    for (const [key, l] of this.links) {
      if (l.theirId === undefined) continue;
      const others = new Map(everyone);
      if (l.listen !== undefined) others.delete(`${l.listen.host}:${l.listen.port}`);
      const m = l.tracker.next(others, now);
      if (m !== undefined) this.o.send(key, l.theirId, encodePex(m));
    }
  }
}
