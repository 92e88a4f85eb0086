/**
 * The peers of one torrent, packed for a million peers in memory: one byte array of fixed-size
 * records (no object per peer) and one Map from the peer's address to its record. Leechers are
 * kept in records [0, leechers) and seeders in [leechers, count), so "seeders get leechers only"
 * is a range, and removal swaps the last record of the range into the hole.
 *
 * A peer is identified by its address and port (what other peers dial, as compact peer lists
 * carry it): a peer id alone would let anyone who learns it (non-compact replies hand ids out)
 * announce "stopped" for someone else.
 *
 * Record layout (PEER_RECORD_BYTES):
 *   [0, 18)  compact address: IPv4 = 4 address bytes + 2 port bytes (then zeros);
 *            IPv6 = 16 address bytes + 2 port bytes. So a compact peer is one contiguous slice.
 *   18       flags: FLAG_V6, FLAG_COUNTED (its "completed" was counted)
 *   [20, 24) last announce, seconds (big-endian u32)
 *   [24, 44) peer id
 */
import type { IpAddress } from '../tracker-protocol/address.js';

export const PEER_RECORD_BYTES = 44;
const OFF_FLAGS = 18;
const OFF_SEEN = 20;
const OFF_ID = 24;
const FLAG_V6 = 1;
const FLAG_COUNTED = 2;
const MIN_CAPACITY = 2;

/** IPv4: address * 65536 + port (a 48-bit integer); IPv6: 18 chars, one per byte. */
export type PeerKey = number | string;

const keyBytes = new Uint8Array(18);

export const peerKeyOf = (ip: IpAddress, port: number): PeerKey => {
  const b = ip.bytes;
  if (ip.family === 'ipv4') {
    const a =
      (((b[0] as number) << 24) |
        ((b[1] as number) << 16) |
        ((b[2] as number) << 8) |
        (b[3] as number)) >>>
      0;
    return a * 65536 + port;
  }
  // One call makes a flat string; concatenation would make a rope that each lookup flattens.
  keyBytes.set(b.subarray(0, 16));
  keyBytes[16] = port >>> 8;
  keyBytes[17] = port & 0xff;
  return String.fromCharCode.apply(null, keyBytes as unknown as number[]);
};

/** Where selected peers go: compact IPv4 and IPv6 entries and, if asked, their ids. */
export class PeerSelection {
  readonly v4: Uint8Array;
  readonly v6: Uint8Array;
  readonly ids4: Uint8Array;
  readonly ids6: Uint8Array;
  n4 = 0;
  n6 = 0;

  constructor(readonly capacity: number) {
    this.v4 = new Uint8Array(capacity * 6);
    this.v6 = new Uint8Array(capacity * 18);
    this.ids4 = new Uint8Array(capacity * 20);
    this.ids6 = new Uint8Array(capacity * 20);
  }

  get count(): number {
    return this.n4 + this.n6;
  }
}

export type PeerFamilies = 'any' | 'ipv4' | 'ipv6';

const gcd = (a: number, b: number): number => {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
};

const scratch = new Uint8Array(PEER_RECORD_BYTES);

/** A byte loop: for a few bytes it beats set(subarray(...)), which allocates a view. */
const copy = (from: Uint8Array, at: number, to: Uint8Array, toAt: number, n: number): void => {
  for (let i = 0; i < n; i++) to[toAt + i] = from[at + i] as number;
};

export class PeerTable {
  private records = new Uint8Array(0);
  private readonly index = new Map<PeerKey, number>();
  /** Peers in the table. */
  count = 0;
  /** Records [0, leechers) are leechers, [leechers, count) seeders. */
  leechers = 0;

  get seeders(): number {
    return this.count - this.leechers;
  }

  /** Bytes held by records (for memory accounting). */
  get capacityBytes(): number {
    return this.records.length;
  }

  slotOf(key: PeerKey): number {
    return this.index.get(key) ?? -1;
  }

  isSeeder(slot: number): boolean {
    return slot >= this.leechers;
  }

  counted(slot: number): boolean {
    return ((this.records[slot * PEER_RECORD_BYTES + OFF_FLAGS] as number) & FLAG_COUNTED) !== 0;
  }

  markCounted(slot: number): void {
    const at = slot * PEER_RECORD_BYTES + OFF_FLAGS;
    this.records[at] = (this.records[at] as number) | FLAG_COUNTED;
  }

  seenAt(slot: number): number {
    const at = slot * PEER_RECORD_BYTES + OFF_SEEN;
    const r = this.records;
    return (
      (((r[at] as number) << 24) |
        ((r[at + 1] as number) << 16) |
        ((r[at + 2] as number) << 8) |
        (r[at + 3] as number)) >>>
      0
    );
  }

  /** Records the announce time and the peer id it came with (a client may change it). */
  touch(slot: number, nowSec: number, peerId: Uint8Array): void {
    const at = slot * PEER_RECORD_BYTES;
    const r = this.records;
    r[at + OFF_SEEN] = nowSec >>> 24;
    r[at + OFF_SEEN + 1] = nowSec >>> 16;
    r[at + OFF_SEEN + 2] = nowSec >>> 8;
    r[at + OFF_SEEN + 3] = nowSec & 0xff;
    copy(peerId, 0, r, at + OFF_ID, 20);
  }

  private keyAt(slot: number): PeerKey {
    const at = slot * PEER_RECORD_BYTES;
    const r = this.records;
    const v6 = ((r[at + OFF_FLAGS] as number) & FLAG_V6) !== 0;
    const view = r.subarray(at, at + 16);
    if (!v6) {
      const port = ((r[at + 4] as number) << 8) | (r[at + 5] as number);
      return peerKeyOf({ family: 'ipv4', bytes: view }, port);
    }
    const port = ((r[at + 16] as number) << 8) | (r[at + 17] as number);
    return peerKeyOf({ family: 'ipv6', bytes: view }, port);
  }

  private resize(capacity: number): void {
    const next = new Uint8Array(capacity * PEER_RECORD_BYTES);
    next.set(this.records.subarray(0, this.count * PEER_RECORD_BYTES));
    this.records = next;
  }

  private move(from: number, to: number): void {
    if (from === to) return;
    const R = PEER_RECORD_BYTES;
    this.records.copyWithin(to * R, from * R, from * R + R);
    this.index.set(this.keyAt(to), to);
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    const R = PEER_RECORD_BYTES;
    const r = this.records;
    scratch.set(r.subarray(a * R, a * R + R));
    r.copyWithin(a * R, b * R, b * R + R);
    r.set(scratch, b * R);
    this.index.set(this.keyAt(a), a);
    this.index.set(this.keyAt(b), b);
  }

  /** Adds a peer not in the table; returns its slot. */
  add(
    key: PeerKey,
    ip: IpAddress,
    port: number,
    peerId: Uint8Array,
    seeder: boolean,
    nowSec: number,
  ): number {
    const R = PEER_RECORD_BYTES;
    if ((this.count + 1) * R > this.records.length) {
      this.resize(Math.max(MIN_CAPACITY, (this.records.length / R) * 2));
    }
    let slot = this.count;
    if (!seeder) {
      // The first seeder moves to the end to make room at the end of the leecher range.
      this.move(this.leechers, this.count);
      slot = this.leechers;
      this.leechers++;
    }
    this.count++;
    const at = slot * R;
    const r = this.records;
    r.fill(0, at, at + R);
    const ipLength = ip.family === 'ipv4' ? 4 : 16;
    r.set(ip.bytes.subarray(0, ipLength), at);
    r[at + ipLength] = port >>> 8;
    r[at + ipLength + 1] = port & 0xff;
    r[at + OFF_FLAGS] = ip.family === 'ipv4' ? 0 : FLAG_V6;
    this.touch(slot, nowSec, peerId);
    this.index.set(key, slot);
    return slot;
  }

  /** Moves a peer between the leecher and seeder ranges; returns its new slot. */
  setSeeder(slot: number, seeder: boolean): number {
    if (seeder === this.isSeeder(slot)) return slot;
    if (seeder) {
      const last = this.leechers - 1;
      this.swap(slot, last);
      this.leechers--;
      return last;
    }
    const first = this.leechers;
    this.swap(slot, first);
    this.leechers++;
    return first;
  }

  remove(slot: number): void {
    this.index.delete(this.keyAt(slot));
    const last = this.count - 1;
    if (slot < this.leechers) {
      const lastLeecher = this.leechers - 1;
      this.move(lastLeecher, slot);
      this.move(last, lastLeecher);
      this.leechers--;
    } else {
      this.move(last, slot);
    }
    this.count--;
    const capacity = this.records.length / PEER_RECORD_BYTES;
    if (capacity > 8 && this.count <= capacity / 4) this.resize(capacity / 2);
  }

  /** Removes peers last seen before `cutoffSec`; returns how many. */
  expire(cutoffSec: number): number {
    let removed = 0;
    // Backwards: a removal only moves records from later slots, which were already checked.
    for (let slot = this.count - 1; slot >= 0; slot--) {
      if (slot < this.count && this.seenAt(slot) < cutoffSec) {
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Appends up to `want` peers from records [0, end) to `out`, never `exclude`, never one
   * last seen before `cutoffSec`, only of the wanted families. The walk starts at a random
   * record and steps by a random stride coprime with the range, so it visits each record at
   * most once and different requesters get different peers.
   */
  select(
    out: PeerSelection,
    end: number,
    exclude: number,
    want: number,
    families: PeerFamilies,
    withIds: boolean,
    cutoffSec: number,
    random: () => number,
  ): void {
    out.n4 = 0;
    out.n6 = 0;
    const n = Math.min(end, this.count);
    if (n <= 0 || want <= 0) return;
    const start = Math.floor(random() * n);
    let stride = 1;
    if (want < n - 1 && n > 2) {
      for (let tries = 0; tries < 8; tries++) {
        const d = 1 + Math.floor(random() * (n - 1));
        if (gcd(d, n) === 1) {
          stride = d;
          break;
        }
      }
    }
    const R = PEER_RECORD_BYTES;
    const r = this.records;
    for (let i = 0, slot = start; i < n && out.count < want; i++, slot = (slot + stride) % n) {
      if (slot === exclude || this.seenAt(slot) < cutoffSec) continue;
      const at = slot * R;
      const v6 = ((r[at + OFF_FLAGS] as number) & FLAG_V6) !== 0;
      if (v6 ? families === 'ipv4' : families === 'ipv6') continue;
      if (v6) {
        copy(r, at, out.v6, out.n6 * 18, 18);
        if (withIds) copy(r, at + OFF_ID, out.ids6, out.n6 * 20, 20);
        out.n6++;
      } else {
        copy(r, at, out.v4, out.n4 * 6, 6);
        if (withIds) copy(r, at + OFF_ID, out.ids4, out.n4 * 20, 20);
        out.n4++;
      }
    }
  }
}
