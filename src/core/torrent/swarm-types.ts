/** The swarm controller's configuration and the commands it hands the runtime. */
import type { BlockRef } from '../geometry/pieces.js';
import type { PeerMessage } from '../wire/messages.js';
import type { PeerKey } from './peer-state.js';

export interface SwarmConfig {
  readonly chokeRoundMs: number;
  /** A peer that sends nothing for this long while we wait on it is snubbed. */
  readonly requestTimeoutMs: number;
  /** Seconds of a peer's rate to keep requested (libtorrent's request_queue_time). */
  readonly queueSeconds: number;
  readonly minQueue: number;
  readonly maxQueue: number;
  /** Requests we accept from a peer at once (our `reqq`); twice this is a flood. */
  readonly maxIncoming: number;
  /** Hash failures a peer may take part in before it is banned. */
  readonly banAfterBadPieces: number;
}

export const DEFAULT_SWARM_CONFIG: SwarmConfig = {
  chokeRoundMs: 10_000,
  requestTimeoutMs: 30_000,
  queueSeconds: 2,
  minQueue: 16,
  maxQueue: 500,
  maxIncoming: 2000,
  banAfterBadPieces: 3,
};

export type SwarmCommand =
  | { readonly kind: 'send'; readonly peer: PeerKey; readonly message: PeerMessage }
  /** Read this block from storage and send it as a piece message (then call served()). */
  | { readonly kind: 'serve'; readonly peer: PeerKey; readonly ref: BlockRef }
  /** Forget a queued serve (cancelled, or the peer was choked). */
  | { readonly kind: 'unserve'; readonly peer: PeerKey; readonly ref: BlockRef }
  | { readonly kind: 'write'; readonly ref: BlockRef; readonly data: Uint8Array }
  /** Check a piece once its writes are done (then call pieceChecked()). */
  | { readonly kind: 'verify'; readonly piece: number }
  | {
      readonly kind: 'disconnect';
      readonly peer: PeerKey;
      readonly reason: string;
      /** The peer broke the rules (counted); `ban`: and may not come back. */
      readonly misbehaving: boolean;
      readonly ban: boolean;
    }
  | { readonly kind: 'piece-verified'; readonly piece: number }
  | { readonly kind: 'done' };
