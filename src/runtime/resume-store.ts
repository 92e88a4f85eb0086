/** Resume data on disk: written whole to a temporary file, then renamed over the old one, so a
 * crash at any moment leaves either the old or the new state, never a torn one. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeResume, encodeResume } from '../core/torrent/resume-data.js';
import { Bitfield } from '../lib/bitfield.js';
import { toHex } from '../lib/bytes.js';

/** Where a download keeps its resume data: a hidden folder inside the download folder. */
export const resumePath = (downloadDir: string, infoHash: Uint8Array): string =>
  join(downloadDir, '.fanseed', `${toHex(infoHash)}.resume`);

export const loadResume = async (
  path: string,
  infoHash: Uint8Array,
  pieceCount: number,
): Promise<Bitfield | undefined> => {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    return undefined;
  }
  return decodeResume(bytes, { infoHash, pieceCount })?.have;
};

export const saveResume = async (
  path: string,
  infoHash: Uint8Array,
  have: Bitfield,
): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(
    temporary,
    encodeResume({ infoHash: toHex(infoHash), have: new Bitfield(have.size, have.bytes) }),
  );
  await rename(temporary, path);
};

/**
 * Keeps one torrent's resume data up to date: saves at most once a second while pieces verify,
 * and once more on flush (close). Errors go to `onError`; resume data is a convenience, never a
 * reason to stop a download.
 */
export class ResumeKeeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly infoHash: Uint8Array,
    private readonly pieceCount: number,
    private readonly onError: (e: Error) => void,
  ) {}

  load(): Promise<Bitfield | undefined> {
    return loadResume(this.file, this.infoHash, this.pieceCount);
  }

  schedule(have: () => Bitfield): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(have());
    }, 1000);
    this.timer.unref();
  }

  async flush(have: Bitfield): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await saveResume(this.file, this.infoHash, have);
    } catch (e) {
      this.onError(e as Error);
    }
  }
}
