/**
 * The BEP 3 handshake: <pstrlen=19><"BitTorrent protocol"><8 reserved bytes><info-hash 20>
 * <peer id 20>, 68 bytes in all. Decoding is incremental: too few bytes is an ordinary
 * "need more" value, and a wrong protocol string is refused as soon as it is visible.
 */

import { equalBytes } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { InfoHashV1, InfoHashV2 } from '../../lib/ids.js';
import { type PeerId, peerId } from '../../lib/ids.js';
import { err, ok, type Result } from '../../lib/result.js';

export const PROTOCOL = 'BitTorrent protocol';
export const HANDSHAKE_LENGTH = 68;
const PROTOCOL_BYTES = new Uint8Array([...PROTOCOL].map((c) => c.charCodeAt(0)));
const RESERVED_AT = 1 + PROTOCOL_BYTES.length; // 20
const INFO_HASH_AT = RESERVED_AT + 8; // 28
const PEER_ID_AT = INFO_HASH_AT + 20; // 48

/** The reserved bits this implementation knows, by name. */
export interface HandshakeFlags {
  /** BEP 10 extension protocol: reserved[5] & 0x10. */
  readonly extensionProtocol: boolean;
  /** BEP 6 fast extension: reserved[7] & 0x04. */
  readonly fast: boolean;
  /** BEP 5 DHT (the peer sends a port message): reserved[7] & 0x01. */
  readonly dht: boolean;
  /** BEP 52: the peer can switch a hybrid torrent's connection to v2: reserved[7] & 0x10. */
  readonly v2Upgrade: boolean;
}

const FLAG_BITS: { readonly [K in keyof HandshakeFlags]: readonly [byte: number, mask: number] } = {
  extensionProtocol: [5, 0x10],
  fast: [7, 0x04],
  dht: [7, 0x01],
  v2Upgrade: [7, 0x10],
};

export interface Handshake {
  /** 20 bytes: a v1 info-hash or a v2 info-hash truncated to 20 bytes (BEP 52). */
  readonly infoHash: Uint8Array;
  readonly peerId: PeerId;
  /** All 8 reserved bytes as received, unknown bits included. */
  readonly reserved: Uint8Array;
  readonly flags: HandshakeFlags;
}

export type HandshakeProgress =
  | { readonly kind: 'need-more'; readonly needed: number }
  | { readonly kind: 'handshake'; readonly handshake: Handshake; readonly consumed: number };

export const reservedFromFlags = (flags: Partial<HandshakeFlags>): Uint8Array => {
  const reserved = new Uint8Array(8);
  for (const name of Object.keys(FLAG_BITS) as (keyof HandshakeFlags)[]) {
    if (flags[name] !== true) continue;
    const [byte, mask] = FLAG_BITS[name];
    reserved[byte] = (reserved[byte] as number) | mask;
  }
  return reserved;
};

export const flagsFromReserved = (reserved: Uint8Array): HandshakeFlags => {
  const has = ([byte, mask]: readonly [number, number]): boolean =>
    ((reserved[byte] ?? 0) & mask) !== 0;
  return {
    extensionProtocol: has(FLAG_BITS.extensionProtocol),
    fast: has(FLAG_BITS.fast),
    dht: has(FLAG_BITS.dht),
    v2Upgrade: has(FLAG_BITS.v2Upgrade),
  };
};

/**
 * Our handshake. A v2 info-hash is truncated to its first 20 bytes (BEP 52); a hybrid torrent
 * may be announced under either hash.
 */
export const encodeHandshake = (
  infoHash: InfoHashV1 | InfoHashV2,
  id: PeerId,
  flags: Partial<HandshakeFlags> = {},
): Uint8Array => {
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out[0] = PROTOCOL_BYTES.length;
  out.set(PROTOCOL_BYTES, 1);
  out.set(reservedFromFlags(flags), RESERVED_AT);
  out.set(infoHash.subarray(0, 20), INFO_HASH_AT);
  out.set(id, PEER_ID_AT);
  return out;
};

const badHandshake = (message: string, offset: number): { ok: false; error: ErrorValue } =>
  err({ code: 'WIRE_BAD_HANDSHAKE', message: `${message} at byte ${offset}`, offset });

/**
 * Reads a handshake from the start of `input` (which may hold more bytes: the first messages).
 * The protocol string is checked on whatever prefix is present, so garbage is refused early.
 * The fields are copies, so the handshake outlives the caller's buffer.
 */
export const decodeHandshake = (input: Uint8Array): Result<HandshakeProgress, ErrorValue> => {
  const first = input[0];
  if (first !== undefined && first !== PROTOCOL_BYTES.length) {
    return badHandshake(`protocol string length ${first}, not ${PROTOCOL_BYTES.length}`, 0);
  }
  const seen = Math.min(input.length, RESERVED_AT);
  for (let i = 1; i < seen; i++) {
    if (input[i] !== PROTOCOL_BYTES[i - 1]) return badHandshake('not "BitTorrent protocol"', i);
  }
  if (input.length < HANDSHAKE_LENGTH) {
    return ok({ kind: 'need-more', needed: HANDSHAKE_LENGTH - input.length });
  }
  const reserved = input.slice(RESERVED_AT, INFO_HASH_AT);
  return ok({
    kind: 'handshake',
    handshake: {
      infoHash: input.slice(INFO_HASH_AT, PEER_ID_AT),
      peerId: input.slice(PEER_ID_AT, HANDSHAKE_LENGTH) as PeerId,
      reserved,
      flags: flagsFromReserved(reserved),
    },
    consumed: HANDSHAKE_LENGTH,
  });
};

export type HandshakeRead =
  | { readonly kind: 'need-more'; readonly needed: number }
  /** `rest` is a view of the bytes after the handshake in the last chunk: the first messages. */
  | { readonly kind: 'handshake'; readonly handshake: Handshake; readonly rest: Uint8Array };

/**
 * Accumulates socket chunks until a whole handshake has arrived. Holds at most 68 bytes; the
 * bytes after the handshake are handed back untouched for the message reader.
 */
export class HandshakeReader {
  private readonly buffer = new Uint8Array(HANDSHAKE_LENGTH);
  private filled = 0;
  private done = false;
  private failure: ErrorValue | undefined;

  push(chunk: Uint8Array): Result<HandshakeRead, ErrorValue> {
    if (this.failure !== undefined) return err(this.failure);
    if (this.done) {
      return err({ code: 'WIRE_BAD_HANDSHAKE', message: 'the handshake was already read' });
    }
    const take = Math.min(chunk.length, HANDSHAKE_LENGTH - this.filled);
    this.buffer.set(chunk.subarray(0, take), this.filled);
    this.filled += take;
    const r = decodeHandshake(this.buffer.subarray(0, this.filled));
    if (!r.ok) {
      this.failure = r.error;
      return r;
    }
    if (r.value.kind === 'need-more') return ok({ kind: 'need-more', needed: r.value.needed });
    this.done = true;
    return ok({ kind: 'handshake', handshake: r.value.handshake, rest: chunk.subarray(take) });
  }
}

/**
 * Which of a torrent's hashes a received handshake names: its v1 info-hash, or its v2 info-hash
 * truncated to 20 bytes (BEP 52; a hybrid torrent answers to both). Anything else is
 * WIRE_WRONG_INFOHASH.
 */
export const matchInfoHash = (
  received: Uint8Array,
  torrent: { readonly v1: InfoHashV1 | undefined; readonly v2: InfoHashV2 | undefined },
): Result<'v1' | 'v2', ErrorValue> => {
  if (torrent.v1 !== undefined && equalBytes(received, torrent.v1)) return ok('v1');
  if (
    torrent.v2 !== undefined &&
    received.length === 20 &&
    equalBytes(received, torrent.v2.subarray(0, 20))
  ) {
    return ok('v2');
  }
  return err({ code: 'WIRE_WRONG_INFOHASH', message: 'the handshake names another torrent' });
};

export { type PeerId, peerId };
