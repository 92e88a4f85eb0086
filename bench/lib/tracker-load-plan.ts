/**
 * The peer population of `bench:tracker`, as pure functions of a peer's number: which source
 * address (127.0.0.2, 127.0.0.3, ...) and port it announces, which torrent it is in, its peer
 * id and whether it seeds. Every load worker computes the same answers with no shared state,
 * and a reply's peers can be checked against the swarm they must belong to.
 *
 * Trackers key a peer by address and port (opentracker) or by peer id: both are distinct for
 * every peer here. Peer p has address index p mod A and port 1024 + floor(p / A), where A (the
 * number of source addresses) is large enough that ports stay below 65536; the torrent of p is
 * floor(p * T / P), so each torrent holds P / T consecutive peers spread over the addresses.
 * Every fifth peer seeds (left = 0).
 */
import { createHash } from 'node:crypto';

export const FIRST_PORT = 1024;
/** Ports per source address: 1024..61023. */
export const PORTS_PER_ADDRESS = 60_000;
export const MIN_ADDRESSES = 16;
export const LEFT_LEECHER = 1_000_000_000;
export const PEER_ID_PREFIX = '-FB0001-';
/** Peers a reply may list (BEP 15 num_want, HTTP numwant): a common client default. */
export const NUM_WANT = 50;

export interface Population {
  readonly peers: number;
  readonly torrents: number;
  /** Source addresses used: 127.0.0.2 onwards. */
  readonly addresses: number;
}

export const population = (peers: number, torrents: number): Population => {
  if (!Number.isInteger(peers) || peers < 1) throw new Error('--peers must be a whole number ≥ 1');
  if (!Number.isInteger(torrents) || torrents < 1 || torrents > peers) {
    throw new Error('--torrents must be a whole number from 1 to --peers');
  }
  const addresses = Math.max(MIN_ADDRESSES, Math.ceil(peers / PORTS_PER_ADDRESS));
  if (addresses > 60_000) throw new Error('--peers is too large for the 127/8 source addresses');
  return { peers, torrents, addresses };
};

/** The source address of address index `i`: 127.0.0.2, 127.0.0.3, ..., 127.0.1.0, ... */
export const sourceAddress = (i: number): string => {
  const n = i + 2;
  return `127.0.${(n >> 8) & 255}.${n & 255}`;
};

/** The address index of a 127.x.y.z address given as 4 bytes; -1 when not one of ours. */
export const addressIndexOf = (a: number, b: number, c: number, d: number): number =>
  a === 127 && b === 0 ? ((c << 8) | d) - 2 : -1;

export const addressOf = (pop: Population, peer: number): number => peer % pop.addresses;
export const portOf = (pop: Population, peer: number): number =>
  FIRST_PORT + Math.floor(peer / pop.addresses);
export const torrentOf = (pop: Population, peer: number): number =>
  Math.floor((peer * pop.torrents) / pop.peers);
export const isSeeder = (peer: number): boolean => peer % 5 === 0;
export const leftOf = (peer: number): number => (isSeeder(peer) ? 0 : LEFT_LEECHER);

/** The peer announcing from address index `address` with `port`; -1 when there is none. */
export const peerAt = (pop: Population, address: number, port: number): number => {
  if (address < 0 || address >= pop.addresses || port < FIRST_PORT) return -1;
  const peer = (port - FIRST_PORT) * pop.addresses + address;
  return peer < pop.peers ? peer : -1;
};

/** How many peers use address index `address`. */
export const peersOnAddress = (pop: Population, address: number): number =>
  address >= pop.peers ? 0 : Math.floor((pop.peers - 1 - address) / pop.addresses) + 1;

/** The k-th peer (0-based) on address index `address`. */
export const peerOnAddress = (pop: Population, address: number, k: number): number =>
  address + k * pop.addresses;

/** Writes the 20-byte peer id of `peer` at `out[offset]`: the prefix and 12 decimal digits. */
export const writePeerId = (peer: number, out: Uint8Array, offset: number): void => {
  for (let i = 0; i < PEER_ID_PREFIX.length; i++) out[offset + i] = PEER_ID_PREFIX.charCodeAt(i);
  let n = peer;
  for (let i = 19; i >= PEER_ID_PREFIX.length; i--) {
    out[offset + i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
};

export const peerIdText = (peer: number): string =>
  PEER_ID_PREFIX + String(peer).padStart(20 - PEER_ID_PREFIX.length, '0');

/** All info-hashes, 20 bytes each, back to back: SHA-1 of "fanseed-bench-tracker:<t>". */
export const makeInfoHashes = (torrents: number, shared = true): Uint8Array => {
  const bytes = torrents * 20;
  const out = new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  for (let t = 0; t < torrents; t++) {
    out.set(createHash('sha1').update(`fanseed-bench-tracker:${t}`).digest(), t * 20);
  }
  return out;
};

/** One hex info-hash a line, as opentracker's white list and fanseed's --allow-list read it. */
export const infoHashList = (hashes: Uint8Array): string => {
  const lines: string[] = [];
  for (let off = 0; off < hashes.length; off += 20) {
    lines.push(Buffer.from(hashes.buffer, hashes.byteOffset + off, 20).toString('hex'));
  }
  return `${lines.join('\n')}\n`;
};

/** xorshift32: fast and good enough to pick peers at random; seeded per worker. */
export class FastRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return Math.floor((this.state / 0x100000000) * n);
  }
}
