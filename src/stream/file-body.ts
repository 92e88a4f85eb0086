/**
 * Writes bytes of a file to an HTTP response from a few reusable buffers (a free list shared by
 * every response): no allocation per chunk, so serving a mirror at loopback speed does not keep
 * the garbage collector busy. A buffer is read into again only once the socket has taken the
 * previous write of it.
 */
import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

const CHUNK = 1024 * 1024;
const KEEP_FREE = 16;
const free: Buffer[] = [];

const take = (): Buffer => free.pop() ?? Buffer.allocUnsafe(CHUNK);
const give = (b: Buffer): void => {
  if (free.length < KEEP_FREE) free.push(b);
};

/** Bytes start to end (inclusive) of `path` into `res`, then ends it; a failure destroys it. */
export const sendFileBody = async (
  path: string,
  start: number,
  end: number,
  res: ServerResponse,
): Promise<void> => {
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(path, 'r');
    let at = start;
    // Two buffers in flight: one being sent while the next is read.
    const inFlight: Promise<void>[] = [];
    while (at <= end && !res.destroyed) {
      const buf = take();
      const { bytesRead } = await file.read(buf, 0, Math.min(CHUNK, end - at + 1), at);
      if (bytesRead === 0) throw new Error('the file is shorter than it was');
      at += bytesRead;
      const sent = new Promise<void>((resolve) => {
        res.write(buf.subarray(0, bytesRead), () => {
          give(buf);
          resolve();
        });
      });
      inFlight.push(sent);
      if (inFlight.length >= 2) await inFlight.shift();
      if (res.writableNeedDrain) await new Promise((r) => res.once('drain', r));
    }
    await Promise.all(inFlight);
    res.end();
  } catch {
    res.destroy();
  } finally {
    await file?.close();
  }
};
