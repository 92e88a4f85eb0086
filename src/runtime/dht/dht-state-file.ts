/** The DHT state file: written whole to a temporary file and renamed over the old one. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DhtState, decodeDhtState, encodeDhtState } from '../../core/dht/dht-state.js';

export const loadDhtState = async (path: string): Promise<DhtState | undefined> => {
  try {
    return decodeDhtState(await readFile(path));
  } catch {
    return undefined;
  }
};

export const saveDhtState = async (path: string, state: DhtState): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, encodeDhtState(state));
  await rename(temporary, path);
};
