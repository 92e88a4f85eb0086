/** Test data for the benchmarks: big files of pseudo-random bytes, made fast. */
import { randomFillSync } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, statfsSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const CHUNK = 64 * 1024 * 1024;
/** Every block of this size gets its own index stamped in: no two pieces ≥ 16 KiB are equal. */
const STAMP_EVERY = 16 * 1024;

/** Bytes free for an unprivileged user in the file system that holds `dir`. */
export const freeBytes = (dir: string): number => {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
};

/**
 * Writes `size` bytes of pseudo-random data to `path`: one 64 MiB random buffer written over and
 * over, with the global index of each 16 KiB block written into its first 8 bytes, so that no
 * two blocks (and no two pieces of any power-of-two size ≥ 16 KiB) are the same. The file is
 * flushed to disk so that no write-back runs during the measurements.
 */
export const makeRandomFile = (
  path: string,
  size: number,
  onProgress?: (done: number) => void,
): void => {
  const need = size + 64 * 1024 * 1024;
  const free = freeBytes(dirname(path));
  if (free < need) {
    throw new Error(
      `not enough space for a ${size}-byte test file in ${dirname(path)}: ${free} bytes free`,
    );
  }
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size));
  randomFillSync(buffer);
  const fd = openSync(path, 'w');
  try {
    let block = 0n;
    for (let at = 0; at < size; at += buffer.length) {
      const length = Math.min(buffer.length, size - at);
      for (let offset = 0; offset + 8 <= length; offset += STAMP_EVERY) {
        buffer.writeBigUInt64LE(block++, offset);
      }
      let written = 0;
      while (written < length) {
        written += writeSync(fd, buffer, written, length - written, at + written);
      }
      onProgress?.(at + length);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/** Reads the whole file once so that it sits in the page cache; returns the seconds it took. */
export const warmPageCache = (path: string): number => {
  const started = process.hrtime.bigint();
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    let at = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, at);
      if (n === 0) break;
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
};
