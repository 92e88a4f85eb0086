/** What the swarm asks of its peers' choke states between choking rounds. */
import type { PeerState } from './peer-state.js';

/** Unchoked peers that still want something from us. */
export const busySlots = (peers: Iterable<PeerState>): number => {
  let n = 0;
  for (const p of peers) if (!p.amChoking && p.peerInterested) n++;
  return n;
};

/**
 * A slot is idle (its peer lost interest, finished or left) while a peer waits for one: the
 * next tick gives it away rather than the next round, seconds later.
 */
export const slotIdle = (peers: Iterable<PeerState>, slots: number): boolean => {
  const all = [...peers];
  if (busySlots(all) >= slots) return false;
  return all.some((p) => p.amChoking && p.peerInterested && !p.snubbed);
};
