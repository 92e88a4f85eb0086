/**
 * The statistics snapshot: what a restart keeps. Counters and series only: info-hashes, all-time
 * completed counts, lifetime totals, minute series and the admin API's registrations. Never a
 * peer address, port or peer id (privacy: nothing written to disk identifies a peer).
 *
 * Layout (big-endian), ending in a CRC-32 of everything before it:
 *   "FSTK" version(u8) 0 0 0 | savedAtMs f64 | announces f64 completions f64 scrapes f64
 *   registered u32, 20 bytes each
 *   global: points u32, stream bytes u32, stream
 *   torrents u32, each: info-hash 20, completed f64, points u32, stream bytes u32, stream
 * A stream is the varint points of MinuteSeries.exportPoints.
 */
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { crc32 } from './crc32.js';
import { MinuteSeries, minuteOf, SERIES_KEEP_MINUTES, VarintWriter } from './minute-series.js';
import { TORRENT_KEY_BYTES, type TorrentKey, torrentKey, torrentKeyBytes } from './swarm-store.js';
import type { TrackerCore } from './tracker-core.js';

const MAGIC = [0x46, 0x53, 0x54, 0x4b];
export const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 8 + 8 + 24;

class ByteWriter {
  private bytes = new Uint8Array(4096);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const writeStream = (w: ByteWriter, points: number, stream: VarintWriter): void => {
  w.u32(points);
  w.u32(stream.length);
  w.raw(stream.bytes.subarray(0, stream.length));
};

const writeHeader = (w: ByteWriter, core: TrackerCore, nowMs: number): void => {
  for (const b of MAGIC) w.u8(b);
  w.u8(SNAPSHOT_VERSION);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  w.f64(nowMs);
  const life = core.stats.lifetime;
  w.f64(life.announces);
  w.f64(life.completions);
  w.f64(life.scrapes);
  const registered = core.policy.registeredKeys();
  w.u32(registered.length);
  for (const key of registered) w.raw(torrentKeyBytes(key));
  const now = minuteOf(nowMs);
  const global = core.stats.global.columns(now - SERIES_KEEP_MINUTES + 1, now);
  const g = new VarintWriter();
  const gSeries = new MinuteSeries();
  global.minutes.forEach((m, i) => {
    const a = global.announces[i] as number;
    gSeries.record(m, a, global.completions[i] as number, global.peers[i] as number);
  });
  writeStream(w, gSeries.exportPoints(g), g);
};

/**
 * Encodes a snapshot a slice at a time, so that a runtime can save 100,000 torrents without
 * stalling its event loop: call step() until it returns true, then finish(). Torrents that
 * change or go between steps are written as they are when their turn comes.
 */
export class SnapshotEncoder {
  private readonly w = new ByteWriter();
  private readonly keys: TorrentKey[];
  private next = 0;

  constructor(
    private readonly core: TrackerCore,
    nowMs: number,
  ) {
    writeHeader(this.w, core, nowMs);
    const keys = new Set<TorrentKey>();
    core.store.forEachTorrent((key, c) => {
      if (c.completed > 0) keys.add(key);
    });
    core.stats.forEachSeries((key) => keys.add(key));
    this.keys = [...keys];
    this.w.u32(this.keys.length);
  }

  /** Encodes up to `count` more torrents; true when every one is written. */
  step(count: number): boolean {
    const end = Math.min(this.keys.length, this.next + count);
    for (; this.next < end; this.next++) {
      const key = this.keys[this.next] as TorrentKey;
      this.w.raw(torrentKeyBytes(key));
      this.w.f64(this.core.store.counts(key)?.completed ?? 0);
      const s = new VarintWriter();
      const points = this.core.stats.seriesOf(key)?.exportPoints(s) ?? 0;
      writeStream(this.w, points, s);
    }
    return this.next >= this.keys.length;
  }

  /** The snapshot's bytes, checksum included (after step() said it was done). */
  finish(): Uint8Array {
    this.step(Number.POSITIVE_INFINITY);
    this.w.u32(crc32(this.w.done()));
    return this.w.done();
  }
}

/** Encodes what `core` knows into snapshot bytes, in one go. */
export const encodeSnapshot = (core: TrackerCore, nowMs: number): Uint8Array =>
  new SnapshotEncoder(core, nowMs).finish();

export interface SnapshotReport {
  readonly savedAtMs: number;
  readonly torrents: number;
  readonly registered: number;
}

class Reader {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
    private readonly view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ) {}

  need(n: number): void {
    if (this.pos + n > this.end) throw new SnapshotError('snapshot is truncated');
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new SnapshotError('snapshot counter out of range');
    return v;
  }
  key(): TorrentKey {
    this.need(TORRENT_KEY_BYTES);
    const key = torrentKey(this.bytes.subarray(this.pos, this.pos + TORRENT_KEY_BYTES));
    this.pos += TORRENT_KEY_BYTES;
    return key as TorrentKey;
  }
}

class SnapshotError {
  constructor(readonly message: string) {}
}

const readStream = (r: Reader, into: MinuteSeries): void => {
  const points = r.u32();
  const length = r.u32();
  r.need(length);
  // Each point takes at least 4 bytes; a count beyond that is a lie.
  if (points > length / 4 || points > SERIES_KEEP_MINUTES * 2) {
    throw new SnapshotError('snapshot series is malformed');
  }
  const at = { pos: r.pos };
  const end = r.pos + length;
  if (!into.importPoints(r.bytes, at, end, points) || at.pos !== end) {
    throw new SnapshotError('snapshot series is malformed');
  }
  r.pos = end;
};

const checkHeader = (bytes: Uint8Array): void => {
  if (bytes.length < HEADER_BYTES + 4 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new SnapshotError('not a fanseed tracker snapshot');
  }
  if (bytes[4] !== SNAPSHOT_VERSION) {
    throw new SnapshotError(
      `snapshot format version ${bytes[4]}, this fanseed reads ${SNAPSHOT_VERSION}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(bytes.length - 4) !== crc32(bytes.subarray(0, bytes.length - 4))) {
    throw new SnapshotError('snapshot checksum does not match (corrupt file)');
  }
};

/**
 * Loads snapshot bytes into a fresh `core` (counters, series, registrations). Refuses with
 * TRACKER_SNAPSHOT_BAD anything truncated, corrupt or over the core's limits; on refusal the
 * core may hold part of the snapshot, so start from a fresh one.
 */
export const loadSnapshot = (
  core: TrackerCore,
  bytes: Uint8Array,
  nowMs: number,
): Result<SnapshotReport, ErrorValue> => {
  try {
    checkHeader(bytes);
    const r = new Reader(bytes, bytes.length - 4);
    r.pos = 8;
    const savedAtMs = r.f64();
    const life = core.stats.lifetime;
    life.announces = r.f64();
    life.completions = r.f64();
    life.scrapes = r.f64();
    const registered = r.u32();
    if (registered > (r.end - r.pos) / TORRENT_KEY_BYTES)
      throw new SnapshotError('snapshot is truncated');
    for (let i = 0; i < registered; i++) core.policy.register(r.key());
    const global = new MinuteSeries();
    readStream(r, global);
    const g = global.columns(0);
    g.minutes.forEach((m, i) => {
      core.stats.global.record(
        m,
        g.announces[i] as number,
        g.completions[i] as number,
        g.peers[i] as number,
      );
    });
    const torrents = r.u32();
    if (torrents > core.config.maxTorrents)
      throw new SnapshotError('snapshot holds more torrents than --max-torrents');
    for (let i = 0; i < torrents; i++) {
      const key = r.key();
      const completed = r.f64();
      if (completed > 0 && !core.store.restoreCompleted(key, completed, nowMs)) {
        throw new SnapshotError('snapshot holds more torrents than --max-torrents');
      }
      readStream(r, core.stats.restoreSeries(key));
    }
    if (r.pos !== r.end) throw new SnapshotError('data after the end of the snapshot');
    core.stats.sweep(nowMs);
    return ok({ savedAtMs, torrents, registered });
  } catch (e) {
    if (e instanceof SnapshotError)
      return err({ code: 'TRACKER_SNAPSHOT_BAD', message: e.message });
    throw e;
  }
};
