import { createHash } from 'node:crypto';
import type { HashPort } from '../lib/hash-port.js';

/** The HashPort on node:crypto (OpenSSL). */
export const nodeHash: HashPort = {
  sha1: (data) => createHash('sha1').update(data).digest(),
  sha256: (data) => createHash('sha256').update(data).digest(),
};
