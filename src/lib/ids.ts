/** Branded identifiers: each is built only by the function that validates it. */
import { fromHex, toHex } from './bytes.js';
import type { Rng } from './ports.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A 20-byte peer id (BEP 3). */
export type PeerId = Brand<Uint8Array, 'PeerId'>;

export const peerId = (bytes: Uint8Array): PeerId | undefined =>
  bytes.length === 20 ? (bytes as PeerId) : undefined;

/** Azureus-style client prefix (BEP 20): fanseed, version 0.0.0.1. */
export const PEER_ID_PREFIX = '-FS0001-';
const PEER_ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A fresh peer id: the client prefix and 12 random alphanumerics. */
export const makePeerId = (rng: Rng): PeerId => {
  const out = new Uint8Array(20);
  for (let i = 0; i < PEER_ID_PREFIX.length; i++) out[i] = PEER_ID_PREFIX.charCodeAt(i);
  for (let i = PEER_ID_PREFIX.length; i < 20; i++) {
    out[i] = PEER_ID_CHARS.charCodeAt(Math.floor(rng.next() * PEER_ID_CHARS.length));
  }
  return out as PeerId;
};

/** SHA-1 of a v1 info dictionary (BEP 3), 20 bytes. */
export type InfoHashV1 = Brand<Uint8Array, 'InfoHashV1'>;
/** SHA-256 of a v2 info dictionary (BEP 52), 32 bytes. */
export type InfoHashV2 = Brand<Uint8Array, 'InfoHashV2'>;

export const infoHashV1 = (bytes: Uint8Array): InfoHashV1 | undefined =>
  bytes.length === 20 ? (bytes as InfoHashV1) : undefined;

export const infoHashV2 = (bytes: Uint8Array): InfoHashV2 | undefined =>
  bytes.length === 32 ? (bytes as InfoHashV2) : undefined;

export const infoHashV1FromHex = (hex: string): InfoHashV1 | undefined => {
  const b = fromHex(hex);
  return b === undefined ? undefined : infoHashV1(b);
};

export const infoHashV2FromHex = (hex: string): InfoHashV2 | undefined => {
  const b = fromHex(hex);
  return b === undefined ? undefined : infoHashV2(b);
};

/** The 20-byte truncation of a v2 info-hash used in handshakes and trackers (BEP 52). */
export const truncatedV2 = (hash: InfoHashV2): Uint8Array => hash.subarray(0, 20);

export const hashHex = (hash: InfoHashV1 | InfoHashV2): string => toHex(hash);

/** A 20-byte DHT node id (BEP 5): the XOR of two ids is their distance. */
export type NodeId = Brand<Uint8Array, 'NodeId'>;

export const nodeId = (bytes: Uint8Array): NodeId | undefined =>
  bytes.length === 20 ? (bytes as NodeId) : undefined;
