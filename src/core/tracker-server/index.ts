/** The tracker server's pure core: one announce path, swarm store, statistics, snapshots. */
export { AccessPolicy, isPasskey, PASSKEY_PATTERN } from './access-policy.js';
export { ConnectionIds, DEFAULT_CONNECTION_WINDOW_MS } from './connection-id.js';
export { type MemoryStoreLimits, MemorySwarmStore } from './memory-store.js';
export {
  emptyColumns,
  GlobalSeries,
  MINUTE_MS,
  MinuteSeries,
  minuteOf,
  SERIES_KEEP_MINUTES,
  type SeriesColumns,
} from './minute-series.js';
export { type PeerFamilies, PeerSelection, PeerTable } from './peer-table.js';
export { AddressRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limiter.js';
export {
  httpAnnounceBody,
  httpFailureBody,
  httpScrapeBody,
  udpAnnouncePacket,
  udpErrorPacket,
  udpScrapePacket,
} from './replies.js';
export {
  encodeSnapshot,
  loadSnapshot,
  SNAPSHOT_VERSION,
  SnapshotEncoder,
  type SnapshotReport,
} from './snapshot.js';
export { type LifetimeCounters, type SessionCounters, StatsBook } from './stats-book.js';
export {
  type PeerAnnounce,
  type PeerWant,
  type StoreTotals,
  type SwarmAnnounceResult,
  type SwarmChange,
  type SwarmCounts,
  type SwarmStore,
  type SweepOptions,
  type SweepReport,
  type TorrentKey,
  torrentKey,
  torrentKeyBytes,
  torrentKeyFromHex,
  torrentKeyHex,
} from './swarm-store.js';
export {
  type AnnounceInput,
  type AnnounceReply,
  DEFAULT_TRACKER_CONFIG,
  type ScrapeEntry,
  type TrackerConfig,
  TrackerCore,
  type TrackerCoreOptions,
  type Transport,
} from './tracker-core.js';
