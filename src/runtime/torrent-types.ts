/** The public types of a Torrent: its options, states, figures and events. */
import type { FileRange } from '../core/metainfo/magnet.js';
import type { Metainfo } from '../core/metainfo/types.js';
import type { FanseedError } from '../lib/errors.js';
import type { PeerId } from '../lib/ids.js';
import type { Rng } from '../lib/ports.js';
import type { TokenBucket } from '../lib/token-bucket.js';
import type { PeerLookup } from './dht/dht-discovery.js';
import type { LocalPeers } from './lsd/local-discovery.js';
import type { PeerTimeouts } from './peer/peer-socket.js';
import type { Storage } from './storage/storage.js';
import type { ConnectionBudget, OutgoingEncryption } from './trading.js';

export interface TorrentOptions {
  /** Folder that holds (or will hold) the torrent's files. */
  readonly path: string;
  readonly peerId: PeerId;
  readonly rng: Rng;
  /** Our listen port, told to peers and trackers. */
  readonly listenPort?: number;
  /** Trust the data on disk without checking it (seeding freshly created torrents). */
  readonly skipCheck?: boolean;
  readonly storage?: Storage;
  readonly client?: string;
  /** Keep resume data (in `path`/.fanseed/) so a restart skips re-checking verified pieces. */
  readonly resume?: boolean;
  /** Limits every sent block must pass (this torrent's and the session's). */
  readonly uploadLimits?: readonly TokenBucket[];
  /** Limits every received block counts against (this torrent's and the session's). */
  readonly downloadLimits?: readonly TokenBucket[];
  readonly peerTimeouts?: PeerTimeouts;
  /** Most peer connections for this torrent (default 50). */
  readonly maxPeers?: number;
  /** How to dial peers: plain BitTorrent (default), MSE first with a plain retry, or MSE only. */
  readonly outgoing?: OutgoingEncryption;
  /** The session's cap on connections across its torrents. */
  readonly connections?: ConnectionBudget;
  /** Announce to the torrent's trackers (default true when it has any). */
  readonly trackers?: boolean;
  /** Files to download (real-file indices, as `fanseed info` lists them); all when undefined. */
  readonly select?: readonly FileRange[];
  /** A magnet link's metadata: peers to ask and how long to try (default 60 s). */
  readonly metadataTimeoutMs?: number;
  /** The session's DHT, asked for peers unless the torrent is private (BEP 27). */
  readonly dht?: PeerLookup | undefined;
  /** Local service discovery (BEP 14), unless the torrent is private. */
  readonly lsd?: LocalPeers | undefined;
  /** Peer exchange (BEP 11): on unless false (never for private torrents). */
  readonly pex?: boolean | undefined;
  /** Web seeds (BEP 19) from the torrent's url-list and `addWebSeed`: on unless false. */
  readonly webSeeds?: boolean | undefined;
  /** HTTP connections to each web seed at once (default 4). */
  readonly webSeedConnections?: number | undefined;
}

export type TorrentState =
  | 'metadata'
  | 'checking'
  | 'downloading'
  | 'seeding'
  | 'paused'
  | 'closed';

export interface TorrentStats {
  readonly state: TorrentState;
  readonly have: number;
  readonly pieces: number;
  /** Bytes of the selected files still to download. */
  readonly left: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downRate: number;
  readonly upRate: number;
  readonly peers: number;
  /** HTTP mirrors (BEP 19) in use. */
  readonly webSeeds: number;
  /** Bytes received for nothing: second copies and pieces that failed their check. */
  readonly wasted: number;
  /** Connections closed because the peer broke the protocol or sent bad data. */
  readonly misbehaving: number;
}

export interface TorrentEvents {
  /** A magnet link's info dictionary arrived and checked out against its info-hash. */
  metadata: [meta: Metainfo];
  ready: [];
  'piece-verified': [piece: number];
  done: [];
  'peer-connect': [address: string];
  'peer-disconnect': [address: string, reason: string];
  'tracker-error': [url: string, error: FanseedError];
  error: [error: FanseedError];
  /** Closed for good (removed, failed, or its session closed). */
  closed: [];
}
