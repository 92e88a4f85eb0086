/**
 * The statistics snapshot on disk: written atomically (a temporary file beside it, flushed,
 * then renamed over it), so a crash leaves either the old snapshot or the new one, never half
 * of one. Holds counters and series only (see core/tracker-server/snapshot.ts): no peer
 * address or id is ever written.
 */
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import {
  loadSnapshot,
  SnapshotEncoder,
  type SnapshotReport,
} from '../core/tracker-server/snapshot.js';
import type { TrackerCore } from '../core/tracker-server/tracker-core.js';
import { FanseedError } from '../lib/errors.js';

/** A snapshot larger than this is refused rather than read into memory. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

let sequence = 0;

export const writeFileAtomic = async (path: string, bytes: Uint8Array): Promise<void> => {
  const temporary = `${path}.tmp-${process.pid}-${sequence++}`;
  try {
    const handle = await open(temporary, 'w', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await rm(temporary, { force: true });
    throw new FanseedError('IO_FAILED', `cannot write ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
};

/** Torrents encoded per turn of the event loop (a few milliseconds' work). */
const TORRENTS_PER_STEP = 2000;

export const saveSnapshotFile = async (path: string, core: TrackerCore): Promise<number> => {
  const encoder = new SnapshotEncoder(core, core.now());
  while (!encoder.step(TORRENTS_PER_STEP)) await new Promise((resolve) => setImmediate(resolve));
  const bytes = encoder.finish();
  await writeFileAtomic(path, bytes);
  return bytes.length;
};

/**
 * Loads the snapshot at `path` into `core`; undefined when there is none yet. Throws
 * TRACKER_SNAPSHOT_BAD for a corrupt one (the tracker then refuses to start rather than
 * overwrite counters it could not read).
 */
export const loadSnapshotFile = async (
  path: string,
  core: TrackerCore,
): Promise<SnapshotReport | undefined> => {
  let bytes: Uint8Array;
  try {
    const s = await stat(path);
    if (s.size > MAX_SNAPSHOT_BYTES) {
      throw new FanseedError(
        'TRACKER_SNAPSHOT_BAD',
        `${path} is larger than ${MAX_SNAPSHOT_BYTES} bytes`,
      );
    }
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof FanseedError) throw e;
    throw new FanseedError('IO_FAILED', `cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const r = loadSnapshot(
    core,
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    core.now(),
  );
  if (!r.ok) {
    throw new FanseedError(
      'TRACKER_SNAPSHOT_BAD',
      `${path}: ${r.error.message} (move it away to start with empty statistics)`,
    );
  }
  return r.value;
};
