/**
 * Telling an incoming connection's first bytes apart: a plaintext BitTorrent handshake starts
 * with 19 and "BitTorrent protocol" (BEP 3); an MSE one with a random-looking 96-byte DH key.
 * Decided at the first byte that differs, so an MSE connection is known after one byte 255
 * times in 256; a plaintext one takes all 20 bytes.
 */
import { PROTOCOL } from '../handshake.js';

const PREFIX = new Uint8Array([PROTOCOL.length, ...[...PROTOCOL].map((c) => c.charCodeAt(0))]);

/** The 20 bytes that start every plaintext BitTorrent handshake. */
export const PLAINTEXT_PREFIX_LENGTH = PREFIX.length;

export type IncomingKind = 'plaintext' | 'encrypted' | 'need-more';

export const sniffIncoming = (firstBytes: Uint8Array): IncomingKind => {
  const n = Math.min(firstBytes.length, PREFIX.length);
  for (let i = 0; i < n; i++) if (firstBytes[i] !== PREFIX[i]) return 'encrypted';
  return n === PREFIX.length ? 'plaintext' : 'need-more';
};
