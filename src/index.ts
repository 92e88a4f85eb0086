/** fanseed's public library API. */
export { decode, decodePrefix, encode, rawBytes } from './core/bencode/index.js';
export type { BDict, BEncodable, BencodeLimits, BList, BValue } from './core/bencode/types.js';
export { buildMagnet, type MagnetLink, parseMagnet } from './core/metainfo/magnet.js';
export type { Metainfo, TorrentFile, TorrentVersion } from './core/metainfo/types.js';
export { ERROR_CATALOGUE, type ErrorCode, FanseedError } from './lib/errors.js';
export type { InfoHashV1, InfoHashV2 } from './lib/ids.js';
export {
  type CreatedTorrent,
  type CreateTorrentOptions,
  createTorrent,
} from './runtime/create-torrent.js';
export type { FileStreamOptions } from './runtime/file-stream.js';
export { loadTorrentSource, readTorrentFile, type TorrentSource } from './runtime/read-torrent.js';
export { type AddOptions, Session, type SessionOptions } from './runtime/session.js';
export { Torrent } from './runtime/torrent.js';
export type {
  TorrentEvents,
  TorrentOptions,
  TorrentState,
  TorrentStats,
} from './runtime/torrent-types.js';
export {
  type MirrorOptions,
  mirrorHandler,
  type RunningMirror,
  startMirror,
} from './stream/mirror-server.js';
export {
  type RunningStreamServer,
  type StreamHandler,
  type StreamHandlerOptions,
  startStreamServer,
  streamHandler,
} from './stream/stream-server.js';
