/** Where a magnet link's metadata fetch finds more peers: the DHT and local discovery. */
import { discoverThrough, type PeerLookup } from './dht/dht-discovery.js';
import type { LocalPeers } from './lsd/local-discovery.js';

type Discover = (dial: (host: string, port: number) => void) => () => void;

/** The `discover` hook for fetchMetainfo, or undefined when neither source is on. */
export const magnetDiscovery = (
  infoHash: Uint8Array,
  port: number | undefined,
  dht: PeerLookup | undefined,
  lsd: LocalPeers | undefined,
): { discover?: Discover } => {
  if (dht === undefined && lsd === undefined) return {};
  return {
    discover: (dial) => {
      const stops = [
        dht === undefined ? undefined : discoverThrough(dht, infoHash, port)(dial),
        lsd?.watch(infoHash, dial),
      ];
      return () => {
        for (const stop of stops) stop?.();
      };
    },
  };
};
