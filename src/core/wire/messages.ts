/**
 * Peer wire messages (BEP 3, fast extension BEP 6, extension protocol BEP 10, v2 hashes BEP 52):
 * <length u32 BE><id u8><body>, a zero length being a keep-alive.
 *
 * Encoders take our own values: a field out of range is a bug in the caller and throws a
 * RangeError (as Bitfield.set does). Decoding untrusted bytes never throws (see reader.ts).
 */

import type { BlockRef } from '../geometry/pieces.js';

export type { BlockRef };

/** The fields shared by BEP 52 hash request, hashes and hash reject. */
export interface HashRange {
  /** 32-byte merkle root of the file. */
  readonly piecesRoot: Uint8Array;
  /** Layers above the 16 KiB block layer the hashes come from (0: block hashes). */
  readonly baseLayer: number;
  /** First hash of the range in the base layer; a multiple of `length`. */
  readonly index: number;
  /** Hashes in the range: a power of two, at least 2. */
  readonly length: number;
  /** Uncle hashes wanted on the path to the root. */
  readonly proofLayers: number;
}

export type PeerMessage =
  | { readonly kind: 'keep-alive' }
  | { readonly kind: 'choke' }
  | { readonly kind: 'unchoke' }
  | { readonly kind: 'interested' }
  | { readonly kind: 'not-interested' }
  | { readonly kind: 'have'; readonly index: number }
  | { readonly kind: 'bitfield'; readonly bytes: Uint8Array }
  | ({ readonly kind: 'request' } & BlockRef)
  | {
      readonly kind: 'piece';
      readonly index: number;
      readonly begin: number;
      readonly block: Uint8Array;
    }
  | ({ readonly kind: 'cancel' } & BlockRef)
  | { readonly kind: 'port'; readonly port: number }
  | { readonly kind: 'suggest'; readonly index: number }
  | { readonly kind: 'have-all' }
  | { readonly kind: 'have-none' }
  | ({ readonly kind: 'reject' } & BlockRef)
  | { readonly kind: 'allowed-fast'; readonly index: number }
  /** `id` 0 is the extended handshake; others are the receiver's ids from it (BEP 10). */
  | { readonly kind: 'extended'; readonly id: number; readonly payload: Uint8Array }
  | ({ readonly kind: 'hash-request' } & HashRange)
  /** `hashes`: the base-layer hashes then the uncle hashes, 32 bytes each, concatenated. */
  | ({ readonly kind: 'hashes'; readonly hashes: Uint8Array } & HashRange)
  | ({ readonly kind: 'hash-reject' } & HashRange);

export type MessageKind = PeerMessage['kind'];
export type MessageOf<K extends MessageKind> = Extract<PeerMessage, { readonly kind: K }>;

export const MESSAGE_ID: { readonly [K in Exclude<MessageKind, 'keep-alive'>]: number } = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  'not-interested': 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 13,
  'have-all': 14,
  'have-none': 15,
  reject: 16,
  'allowed-fast': 17,
  extended: 20,
  'hash-request': 21,
  hashes: 22,
  'hash-reject': 23,
};

/** What a message body (the bytes after the id) may measure: exactly, or min + k * unit. */
export type BodyRule = { readonly exact: number } | { readonly min: number; readonly unit: number };

const HASH_RANGE_BYTES = 32 + 16;

const BODY_RULES: { readonly [K in Exclude<MessageKind, 'keep-alive'>]: BodyRule } = {
  choke: { exact: 0 },
  unchoke: { exact: 0 },
  interested: { exact: 0 },
  'not-interested': { exact: 0 },
  have: { exact: 4 },
  bitfield: { min: 0, unit: 1 },
  request: { exact: 12 },
  piece: { min: 8, unit: 1 },
  cancel: { exact: 12 },
  port: { exact: 2 },
  suggest: { exact: 4 },
  'have-all': { exact: 0 },
  'have-none': { exact: 0 },
  reject: { exact: 12 },
  'allowed-fast': { exact: 4 },
  extended: { min: 1, unit: 1 },
  'hash-request': { exact: HASH_RANGE_BYTES },
  hashes: { min: HASH_RANGE_BYTES, unit: 32 },
  'hash-reject': { exact: HASH_RANGE_BYTES },
};

/** The kinds that have a message id (all but keep-alive). */
export type IdKind = Exclude<MessageKind, 'keep-alive'>;
const KIND_BY_ID: readonly (IdKind | undefined)[] = (() => {
  const table: (IdKind | undefined)[] = new Array(256).fill(undefined);
  for (const kind of Object.keys(MESSAGE_ID) as IdKind[]) table[MESSAGE_ID[kind]] = kind;
  return table;
})();

/** The kind of a message id, or undefined for an id this implementation does not know. */
export const kindOfId = (id: number): IdKind | undefined => KIND_BY_ID[id];

export const bodyRule = (kind: IdKind): BodyRule => BODY_RULES[kind];

export const bodyLengthFits = (rule: BodyRule, bodyLength: number): boolean =>
  'exact' in rule
    ? bodyLength === rule.exact
    : bodyLength >= rule.min && (bodyLength - rule.min) % rule.unit === 0;

const u32 = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${name} ${value} is not a 32-bit unsigned integer`);
  }
  return value;
};

/** A frame of `bodyLength` body bytes with its length prefix and id written. */
const frame = (kind: IdKind, bodyLength: number): { out: Uint8Array; view: DataView } => {
  const out = new Uint8Array(5 + bodyLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, u32('message length', 1 + bodyLength));
  out[4] = MESSAGE_ID[kind];
  return { out, view };
};

const KEEP_ALIVE_BYTES = new Uint8Array(4);

const encodeHashRange = (
  m: HashRange & { kind: IdKind },
  extra: number,
): ReturnType<typeof frame> => {
  if (m.piecesRoot.length !== 32) throw new RangeError('pieces root is not 32 bytes');
  const f = frame(m.kind, HASH_RANGE_BYTES + extra);
  f.out.set(m.piecesRoot, 5);
  f.view.setUint32(37, u32('base layer', m.baseLayer));
  f.view.setUint32(41, u32('index', m.index));
  f.view.setUint32(45, u32('length', m.length));
  f.view.setUint32(49, u32('proof layers', m.proofLayers));
  return f;
};

const encodeBlockRef = (kind: IdKind, m: BlockRef): Uint8Array => {
  const f = frame(kind, 12);
  f.view.setUint32(5, u32('index', m.index));
  f.view.setUint32(9, u32('begin', m.begin));
  f.view.setUint32(13, u32('length', m.length));
  return f.out;
};

const encodeIndex = (kind: IdKind, index: number): Uint8Array => {
  const f = frame(kind, 4);
  f.view.setUint32(5, u32('index', index));
  return f.out;
};

const encodeBytes = (kind: IdKind, bytes: Uint8Array): Uint8Array => {
  const f = frame(kind, bytes.length);
  f.out.set(bytes, 5);
  return f.out;
};

/**
 * The 13-byte header of a piece message carrying `blockLength` bytes, so the runtime can write
 * header and block separately instead of copying the block into one buffer.
 */
export const encodePieceHeader = (
  index: number,
  begin: number,
  blockLength: number,
): Uint8Array => {
  const out = new Uint8Array(13);
  const view = new DataView(out.buffer);
  view.setUint32(0, u32('message length', 9 + blockLength));
  out[4] = MESSAGE_ID.piece;
  view.setUint32(5, u32('index', index));
  view.setUint32(9, u32('begin', begin));
  return out;
};

/** One message as bytes. Piece blocks are copied; use encodePieceHeader to avoid that. */
export const encodeMessage = (m: PeerMessage): Uint8Array => {
  switch (m.kind) {
    case 'keep-alive':
      return KEEP_ALIVE_BYTES.slice();
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return frame(m.kind, 0).out;
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return encodeIndex(m.kind, m.index);
    case 'bitfield':
      return encodeBytes(m.kind, m.bytes);
    case 'request':
    case 'cancel':
    case 'reject':
      return encodeBlockRef(m.kind, m);
    case 'piece': {
      const out = new Uint8Array(13 + m.block.length);
      out.set(encodePieceHeader(m.index, m.begin, m.block.length));
      out.set(m.block, 13);
      return out;
    }
    case 'port': {
      if (!Number.isInteger(m.port) || m.port < 0 || m.port > 0xffff) {
        throw new RangeError(`port ${m.port} is not a 16-bit unsigned integer`);
      }
      const f = frame(m.kind, 2);
      f.view.setUint16(5, m.port);
      return f.out;
    }
    case 'extended': {
      if (!Number.isInteger(m.id) || m.id < 0 || m.id > 0xff) {
        throw new RangeError(`extended message id ${m.id} is not a byte`);
      }
      const f = frame(m.kind, 1 + m.payload.length);
      f.out[5] = m.id;
      f.out.set(m.payload, 6);
      return f.out;
    }
    case 'hash-request':
    case 'hash-reject':
      return encodeHashRange(m, 0).out;
    case 'hashes': {
      if (m.hashes.length % 32 !== 0) throw new RangeError('hashes are not 32 bytes each');
      const f = encodeHashRange(m, m.hashes.length);
      f.out.set(m.hashes, 5 + HASH_RANGE_BYTES);
      return f.out;
    }
    default:
      return unreachable(m);
  }
};

const unreachable = (value: never): never => {
  throw new Error(`unhandled message kind ${String((value as { kind?: unknown }).kind ?? value)}`);
};

type SimpleKind = 'choke' | 'unchoke' | 'interested' | 'not-interested' | 'have-all' | 'have-none';

/** Bodiless messages, shared: decoding them allocates nothing. */
const SIMPLE: { readonly [K in SimpleKind]: MessageOf<K> } = {
  choke: { kind: 'choke' },
  unchoke: { kind: 'unchoke' },
  interested: { kind: 'interested' },
  'not-interested': { kind: 'not-interested' },
  'have-all': { kind: 'have-all' },
  'have-none': { kind: 'have-none' },
};

const readHashRange = (body: Uint8Array, view: DataView): HashRange => ({
  piecesRoot: body.subarray(0, 32),
  baseLayer: view.getUint32(32),
  index: view.getUint32(36),
  length: view.getUint32(40),
  proofLayers: view.getUint32(44),
});

/**
 * The message of `kind` from a body whose length already passed `bodyLengthFits`. Byte fields
 * are views into `body` (zero-copy).
 */
export const decodeBody = (kind: IdKind, body: Uint8Array): PeerMessage => {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (kind) {
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return SIMPLE[kind];
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return { kind, index: view.getUint32(0) };
    case 'bitfield':
      return { kind, bytes: body };
    case 'request':
    case 'cancel':
    case 'reject':
      return {
        kind,
        index: view.getUint32(0),
        begin: view.getUint32(4),
        length: view.getUint32(8),
      };
    case 'piece':
      return { kind, index: view.getUint32(0), begin: view.getUint32(4), block: body.subarray(8) };
    case 'port':
      return { kind, port: view.getUint16(0) };
    case 'extended':
      return { kind, id: body[0] as number, payload: body.subarray(1) };
    case 'hash-request':
    case 'hash-reject':
      return { kind, ...readHashRange(body, view) };
    case 'hashes':
      return { kind, ...readHashRange(body, view), hashes: body.subarray(HASH_RANGE_BYTES) };
    default:
      return unreachable(kind);
  }
};

/**
 * The message with its byte fields in memory of their own, except a piece's block: for a
 * reader whose chunks are reused, where only blocks are consumed before the next read.
 */
export const withOwnBytes = (m: PeerMessage): PeerMessage => {
  switch (m.kind) {
    case 'bitfield':
      return { kind: m.kind, bytes: new Uint8Array(m.bytes) };
    case 'extended':
      return { ...m, payload: new Uint8Array(m.payload) };
    case 'hashes':
      return { ...m, hashes: new Uint8Array(m.hashes) };
    default:
      return m;
  }
};
