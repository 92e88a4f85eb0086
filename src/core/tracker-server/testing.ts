/** Helpers for the tracker core's tests: a settable clock and terse announces. */

import type { ErrorValue } from '../../lib/errors.js';
import type { Clock } from '../../lib/ports.js';
import { seededRng } from '../../lib/ports.js';
import type { Result } from '../../lib/result.js';
import { type IpAddress, parseIp } from '../tracker-protocol/address.js';
import type { AnnounceEvent } from '../tracker-protocol/types.js';
import { AccessPolicy } from './access-policy.js';
import {
  type AnnounceInput,
  type AnnounceReply,
  type TrackerConfig,
  TrackerCore,
} from './tracker-core.js';

export class TestClock implements Clock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const hashOf = (n: number): Uint8Array => new Uint8Array(20).fill(n);

/** Peer n's id: "-TS0001-" and 12 bytes of n (never equal to an info-hash of hashOf). */
export const peerIdOf = (n: number): Uint8Array => {
  const id = new Uint8Array(20).fill(n & 255);
  id.set(new TextEncoder().encode('-TS0001-'));
  return id;
};

/** Peer n: address 10.0.x.y, port 6000 + n % 1000, peer id filled with n. */
export const peerIp = (n: number): IpAddress =>
  parseIp(`10.0.${(n >> 8) & 255}.${n & 255}`) as IpAddress;

export interface TestAnnounce {
  readonly hash?: number;
  readonly left?: number;
  readonly event?: AnnounceEvent;
  readonly numwant?: number;
  readonly ip?: IpAddress;
  readonly port?: number;
  readonly passkey?: string;
  readonly families?: AnnounceInput['families'];
  readonly withPeerIds?: boolean;
  readonly transport?: AnnounceInput['transport'];
}

export const announceAs = (
  core: TrackerCore,
  n: number,
  a: TestAnnounce = {},
): Result<AnnounceReply, ErrorValue> =>
  core.announce({
    infoHash: hashOf(a.hash ?? 1),
    peerId: peerIdOf(n),
    ip: a.ip ?? peerIp(n),
    port: a.port ?? 6000 + (n % 1000),
    left: a.left ?? 1000,
    event: a.event ?? 'none',
    numwant: a.numwant,
    passkey: a.passkey,
    families: a.families ?? 'any',
    withPeerIds: a.withPeerIds ?? false,
    transport: a.transport ?? 'http',
  });

/** The last byte of each selected IPv4 peer's address (= n for peers under 256). */
export const selectedPeers = (reply: AnnounceReply): number[] => {
  const out: number[] = [];
  const p = reply.peers;
  for (let i = 0; i < p.n4; i++) {
    out.push(((p.v4[i * 6 + 2] as number) << 8) | (p.v4[i * 6 + 3] as number));
  }
  return out.sort((a, b) => a - b);
};

export const newCore = (
  config: Partial<TrackerConfig> = {},
  clock = new TestClock(),
  policy = new AccessPolicy(false),
): { core: TrackerCore; clock: TestClock } => ({
  core: new TrackerCore({ clock, rng: seededRng(7), config, policy }),
  clock,
});
