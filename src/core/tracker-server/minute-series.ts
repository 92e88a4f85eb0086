/**
 * Per-minute statistics kept for 7 days: announces, completions and active peers per minute.
 *
 * Per torrent (MinuteSeries) the series is sparse: only minutes with activity are stored, as a
 * growing byte log of varints (minute delta, announces, completions, zigzag peer-count delta),
 * usually 4 bytes a minute; 100,000 quiet torrents cost almost nothing, and no torrent holds a
 * 10,080-slot array. "Active peers" is the torrent's peer count after the last event of that
 * minute; between stored minutes it is unchanged (a step function). For the whole tracker
 * (GlobalSeries) the series is one dense ring of 10,080 minutes.
 */

export const MINUTE_MS = 60_000;
export const SERIES_KEEP_MINUTES = 7 * 24 * 60;
/** Pruning runs when the oldest stored minute is this far past the window (amortised). */
const PRUNE_SLACK_MINUTES = 60;

export const minuteOf = (nowMs: number): number => Math.max(0, Math.floor(nowMs / MINUTE_MS));

export interface SeriesColumns {
  /** Minutes since the Unix epoch. */
  readonly minutes: number[];
  readonly announces: number[];
  readonly completions: number[];
  readonly peers: number[];
}

export const emptyColumns = (): SeriesColumns => ({
  minutes: [],
  announces: [],
  completions: [],
  peers: [],
});

/** Unsigned LEB128 writer over a growable buffer. */
export class VarintWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 16) {
    this.bytes = new Uint8Array(capacity);
  }

  write(value: number): void {
    if (this.length + 8 > this.bytes.length) {
      const next = new Uint8Array(Math.max(16, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, this.length));
      this.bytes = next;
    }
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }
}

/** Reads one varint at `at.pos`; undefined when truncated or longer than 7 bytes (> 2^49). */
export const readVarint = (
  bytes: Uint8Array,
  at: { pos: number },
  end: number,
): number | undefined => {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (at.pos >= end) return undefined;
    const b = bytes[at.pos++] as number;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 0x80;
  }
  return undefined;
};

const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

export class MinuteSeries {
  private open = -1;
  private openAnnounces = 0;
  private openCompletions = 0;
  private openPeers = 0;
  private log = new VarintWriter(0);
  /** Minute and peer count the first record's deltas start from. */
  private baseMinute = 0;
  private basePeers = 0;
  /** The first and last stored minutes (-1: none), and the last one's peer count. */
  private first = -1;
  private last = 0;
  private lastPeers = 0;

  /** Adds activity in `minute`; `peers` is the torrent's peer count after it. */
  record(minute: number, announces: number, completions: number, peers: number): void {
    if (minute > this.open) {
      this.flush();
      this.open = minute;
    }
    // A minute earlier than the open one (the clock stepped back) is folded into it.
    this.openAnnounces += announces;
    this.openCompletions += completions;
    this.openPeers = peers;
  }

  private flush(): void {
    if (this.open < 0) return;
    if (this.first < 0) {
      this.first = this.open;
      this.baseMinute = this.last;
      this.basePeers = this.lastPeers;
    }
    this.log.write(this.open - this.last);
    this.log.write(this.openAnnounces);
    this.log.write(this.openCompletions);
    this.log.write(zigzag(this.openPeers - this.lastPeers));
    this.last = this.open;
    this.lastPeers = this.openPeers;
    this.open = -1;
    this.openAnnounces = 0;
    this.openCompletions = 0;
    if (this.first < this.last - SERIES_KEEP_MINUTES - PRUNE_SLACK_MINUTES) {
      this.prune(this.last - SERIES_KEEP_MINUTES);
    }
  }

  /** Calls `visit` for each stored minute from the oldest, the open one last. */
  private walk(visit: (minute: number, a: number, c: number, p: number) => void): void {
    const at = { pos: 0 };
    let minute = this.baseMinute;
    let peers = this.basePeers;
    const { bytes, length } = this.log;
    while (at.pos < length) {
      minute += readVarint(bytes, at, length) as number;
      const a = readVarint(bytes, at, length) as number;
      const c = readVarint(bytes, at, length) as number;
      peers += unzigzag(readVarint(bytes, at, length) as number);
      visit(minute, a, c, peers);
    }
    if (this.open >= 0) visit(this.open, this.openAnnounces, this.openCompletions, this.openPeers);
  }

  /** Forgets minutes before `oldest`. */
  prune(oldest: number): void {
    if (this.first < 0 || this.first >= oldest) return;
    const at = { pos: 0 };
    const { bytes, length } = this.log;
    let minute = this.baseMinute;
    let peers = this.basePeers;
    let cut = 0;
    while (at.pos < length) {
      const d = readVarint(bytes, at, length) as number;
      if (minute + d >= oldest) {
        this.first = minute + d;
        break;
      }
      minute += d;
      readVarint(bytes, at, length);
      readVarint(bytes, at, length);
      peers += unzigzag(readVarint(bytes, at, length) as number);
      cut = at.pos;
    }
    if (cut === length) this.first = -1;
    this.baseMinute = minute;
    this.basePeers = peers;
    bytes.copyWithin(0, cut, length);
    this.log.length = length - cut;
    if (this.log.bytes.length > 64 && this.log.length < this.log.bytes.length / 4) {
      this.log.bytes = this.log.bytes.slice(0, this.log.bytes.length / 2);
    }
  }

  /** True when nothing at or after `oldest` is stored. */
  emptySince(oldest: number): boolean {
    return this.open < oldest && (this.first < 0 || this.last < oldest);
  }

  /** Stored minutes at or after `from`, oldest first. */
  columns(from: number): SeriesColumns {
    const out = emptyColumns();
    this.walk((minute, a, c, p) => {
      if (minute < from) return;
      out.minutes.push(minute);
      out.announces.push(a);
      out.completions.push(c);
      out.peers.push(p);
    });
    return out;
  }

  /** Bytes held (for memory accounting). */
  get heldBytes(): number {
    return this.log.bytes.length;
  }

  /** Every stored minute as a self-contained varint stream (for snapshots). */
  exportPoints(out: VarintWriter): number {
    let count = 0;
    let prevMinute = 0;
    let prevPeers = 0;
    this.walk((minute, a, c, p) => {
      out.write(minute - prevMinute);
      out.write(a);
      out.write(c);
      out.write(zigzag(p - prevPeers));
      prevMinute = minute;
      prevPeers = p;
      count++;
    });
    return count;
  }

  /**
   * Reads `count` points written by exportPoints from `bytes` at `at.pos`, recording each.
   * False (and the series left partly filled) when they are malformed: truncated, minutes not
   * increasing, or negative peer counts.
   */
  importPoints(bytes: Uint8Array, at: { pos: number }, end: number, count: number): boolean {
    let minute = 0;
    let peers = 0;
    for (let i = 0; i < count; i++) {
      const d = readVarint(bytes, at, end);
      const a = readVarint(bytes, at, end);
      const c = readVarint(bytes, at, end);
      const p = readVarint(bytes, at, end);
      if (d === undefined || a === undefined || c === undefined || p === undefined) return false;
      if (i > 0 && d === 0) return false;
      minute += d;
      peers += unzigzag(p);
      if (peers < 0) return false;
      this.record(minute, a, c, peers);
    }
    return true;
  }
}

/** The whole tracker's series: one dense ring of SERIES_KEEP_MINUTES minutes. */
export class GlobalSeries {
  /** minute + 1 held by each slot (0: empty). */
  private readonly minuteOfSlot = new Float64Array(SERIES_KEEP_MINUTES);
  private readonly announces = new Uint32Array(SERIES_KEEP_MINUTES);
  private readonly completions = new Uint32Array(SERIES_KEEP_MINUTES);
  private readonly peers = new Uint32Array(SERIES_KEEP_MINUTES);

  private slot(minute: number): number {
    const slot = minute % SERIES_KEEP_MINUTES;
    if (this.minuteOfSlot[slot] !== minute + 1) {
      this.minuteOfSlot[slot] = minute + 1;
      this.announces[slot] = 0;
      this.completions[slot] = 0;
      this.peers[slot] = 0;
    }
    return slot;
  }

  record(minute: number, announces: number, completions: number, peers: number): void {
    const slot = this.slot(minute);
    this.announces[slot] = (this.announces[slot] as number) + announces;
    this.completions[slot] = (this.completions[slot] as number) + completions;
    this.peers[slot] = peers;
  }

  /** Minutes in [from, to] that saw activity, oldest first. */
  columns(from: number, to: number): SeriesColumns {
    const out = emptyColumns();
    const start = Math.max(from, to - SERIES_KEEP_MINUTES + 1);
    for (let minute = start; minute <= to; minute++) {
      const slot = minute % SERIES_KEEP_MINUTES;
      if (this.minuteOfSlot[slot] !== minute + 1) continue;
      out.minutes.push(minute);
      out.announces.push(this.announces[slot] as number);
      out.completions.push(this.completions[slot] as number);
      out.peers.push(this.peers[slot] as number);
    }
    return out;
  }
}
