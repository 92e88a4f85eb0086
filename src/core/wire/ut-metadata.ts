/**
 * BEP 9 ut_metadata: fetching the info dictionary from peers in 16 KiB pieces, for magnet
 * links. Messages are the payload of an extended message (BEP 10) under the ut_metadata id; a
 * data message carries the piece's raw bytes right after its bencoded dictionary.
 */
import { equalBytes } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import type { HashPort } from '../../lib/hash-port.js';
import type { InfoHashV1, InfoHashV2 } from '../../lib/ids.js';
import { err, ok, type Result } from '../../lib/result.js';
import { decodePrefix } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import { type BDict, type BValue, isDict } from '../bencode/types.js';

export const METADATA_PIECE_SIZE = 16 * 1024;
export const DEFAULT_MAX_METADATA_SIZE = 16 * 1024 * 1024;

export type MetadataMessage =
  | { readonly kind: 'request'; readonly piece: number }
  | {
      readonly kind: 'data';
      readonly piece: number;
      readonly totalSize: number;
      /** A view of the message payload (zero-copy). */
      readonly data: Uint8Array;
    }
  | { readonly kind: 'reject'; readonly piece: number }
  /** BEP 9: "an unrecognized message ID MUST be ignored". */
  | { readonly kind: 'unknown'; readonly msgType: number };

export type MetadataData = Extract<MetadataMessage, { readonly kind: 'data' }>;

const MSG_TYPE = { request: 0, data: 1, reject: 2 } as const;

const badMetadata = (message: string): { ok: false; error: ErrorValue } =>
  err({ code: 'WIRE_BAD_METADATA', message });

const count = (v: BValue | undefined): number | undefined =>
  typeof v === 'number' && v >= 0 ? v : undefined;

/** The payload of a ut_metadata extended message. Bad values are a bug and throw a RangeError. */
export const encodeMetadataMessage = (
  m: Exclude<MetadataMessage, { readonly kind: 'unknown' }>,
): Uint8Array => {
  const dict: Record<string, number> = { msg_type: MSG_TYPE[m.kind], piece: m.piece };
  if (m.kind === 'data') dict.total_size = m.totalSize;
  const encoded = encode(dict);
  if (!encoded.ok) throw new RangeError(encoded.error.message);
  if (m.kind !== 'data') return encoded.value;
  if (m.data.length > METADATA_PIECE_SIZE) throw new RangeError('metadata piece over 16 KiB');
  const out = new Uint8Array(encoded.value.length + m.data.length);
  out.set(encoded.value);
  out.set(m.data, encoded.value.length);
  return out;
};

const decodeData = (
  dict: BDict,
  piece: number,
  data: Uint8Array,
): Result<MetadataMessage, ErrorValue> => {
  const totalSize = count(dict.get('total_size'));
  if (totalSize === undefined || totalSize === 0) return badMetadata('data without a total_size');
  if (data.length === 0 || data.length > METADATA_PIECE_SIZE) {
    return badMetadata(`metadata piece of ${data.length} bytes`);
  }
  return ok({ kind: 'data', piece, totalSize, data });
};

/** Decodes a ut_metadata payload; the raw bytes of a data message follow the dictionary. */
export const decodeMetadataMessage = (payload: Uint8Array): Result<MetadataMessage, ErrorValue> => {
  const decoded = decodePrefix(payload, 0, { maxDepth: 4, requireSortedKeys: false });
  if (!decoded.ok) return badMetadata(`ut_metadata message: ${decoded.error.message}`);
  const { value: dict, end } = decoded.value;
  if (!isDict(dict)) return badMetadata('ut_metadata message is not a dictionary');
  const msgType = count(dict.get('msg_type'));
  if (msgType === undefined) return badMetadata('ut_metadata message without a msg_type');
  if (msgType > MSG_TYPE.reject) return ok({ kind: 'unknown', msgType });
  const piece = count(dict.get('piece'));
  if (piece === undefined) return badMetadata('ut_metadata message without a piece');
  if (msgType === MSG_TYPE.data) return decodeData(dict, piece, payload.subarray(end));
  if (end !== payload.length) return badMetadata('bytes after a ut_metadata request or reject');
  return ok({ kind: msgType === MSG_TYPE.request ? 'request' : 'reject', piece });
};

/** Number of 16 KiB pieces of metadata of `size` bytes. */
export const metadataPieceCount = (size: number): number => Math.ceil(size / METADATA_PIECE_SIZE);

/** The bytes to serve for piece `piece` of our metadata, or undefined (answer with a reject). */
export const metadataPiece = (metadata: Uint8Array, piece: number): Uint8Array | undefined => {
  if (!Number.isInteger(piece) || piece < 0 || piece >= metadataPieceCount(metadata.length)) {
    return undefined;
  }
  return metadata.subarray(piece * METADATA_PIECE_SIZE, (piece + 1) * METADATA_PIECE_SIZE);
};

export interface AssemblerOptions {
  /** `metadata_size` from the peer's extended handshake. */
  readonly size: number;
  /** The hashes the metadata must match; at least one (both for a hybrid magnet link). */
  readonly infoHash: { readonly v1: InfoHashV1 | undefined; readonly v2: InfoHashV2 | undefined };
  readonly hash: HashPort;
  /** Largest metadata accepted; DEFAULT_MAX_METADATA_SIZE unless given. */
  readonly maxSize?: number;
}

export type AcceptOutcome =
  | { readonly kind: 'progress'; readonly received: number; readonly pieceCount: number }
  | { readonly kind: 'duplicate' }
  /** Verified against the info-hash: the info dictionary's exact bytes. */
  | { readonly kind: 'complete'; readonly metadata: Uint8Array };

const MISSING = 0;
const REQUESTED = 1;
const RECEIVED = 2;

/**
 * Collects metadata pieces from peers and checks the whole against the info-hash. Pure: which
 * peer to ask and when to give up on a request is the caller's business (`release`).
 */
export class MetadataAssembler {
  readonly size: number;
  readonly pieceCount: number;
  private readonly buffer: Uint8Array;
  private readonly state: Uint8Array;
  private receivedCount = 0;

  private constructor(private readonly options: AssemblerOptions) {
    this.size = options.size;
    this.pieceCount = metadataPieceCount(options.size);
    this.buffer = new Uint8Array(options.size);
    this.state = new Uint8Array(this.pieceCount);
  }

  /** Refuses a size of 0, beyond the limit, or not an integer (WIRE_BAD_METADATA). */
  static create(options: AssemblerOptions): Result<MetadataAssembler, ErrorValue> {
    if (options.infoHash.v1 === undefined && options.infoHash.v2 === undefined) {
      throw new RangeError('an assembler needs an info-hash to check against');
    }
    const max = options.maxSize ?? DEFAULT_MAX_METADATA_SIZE;
    if (!Number.isSafeInteger(options.size) || options.size <= 0 || options.size > max) {
      return badMetadata(`metadata_size ${options.size} is not within 1..${max}`);
    }
    return ok(new MetadataAssembler(options));
  }

  get received(): number {
    return this.receivedCount;
  }

  get complete(): boolean {
    return this.receivedCount === this.pieceCount;
  }

  /** A missing piece to ask for, now counted as requested; undefined when none is left. */
  nextRequest(): number | undefined {
    const piece = this.state.indexOf(MISSING);
    if (piece < 0) return undefined;
    this.state[piece] = REQUESTED;
    return piece;
  }

  /** Gives a requested piece back (rejected, timed out, peer gone) to be asked for again. */
  release(piece: number): void {
    if (this.state[piece] === REQUESTED) this.state[piece] = MISSING;
  }

  /** Size of piece `piece`: 16 KiB except the last (BEP 9). */
  pieceSize(piece: number): number {
    return Math.min(METADATA_PIECE_SIZE, this.size - piece * METADATA_PIECE_SIZE);
  }

  /**
   * Takes a data message. A wrong index, size or total_size is WIRE_BAD_METADATA; once all
   * pieces are in, the whole is hashed, and a mismatch empties the assembler and is
   * WIRE_BAD_METADATA too (some peer sent bad data; start again).
   */
  accept(m: MetadataData): Result<AcceptOutcome, ErrorValue> {
    if (m.totalSize !== this.size) {
      return badMetadata(`total_size ${m.totalSize}, expected ${this.size}`);
    }
    if (!Number.isInteger(m.piece) || m.piece < 0 || m.piece >= this.pieceCount) {
      return badMetadata(`metadata piece ${m.piece} of ${this.pieceCount}`);
    }
    const expected = this.pieceSize(m.piece);
    if (m.data.length !== expected) {
      return badMetadata(`metadata piece ${m.piece} of ${m.data.length} bytes, not ${expected}`);
    }
    if (this.state[m.piece] === RECEIVED) return ok({ kind: 'duplicate' });
    this.buffer.set(m.data, m.piece * METADATA_PIECE_SIZE);
    this.state[m.piece] = RECEIVED;
    this.receivedCount++;
    if (!this.complete) {
      return ok({ kind: 'progress', received: this.receivedCount, pieceCount: this.pieceCount });
    }
    if (!this.matches()) {
      this.state.fill(MISSING);
      this.receivedCount = 0;
      return badMetadata('metadata does not match the info-hash');
    }
    return ok({ kind: 'complete', metadata: this.buffer });
  }

  private matches(): boolean {
    const { v1, v2 } = this.options.infoHash;
    if (v1 !== undefined && !equalBytes(this.options.hash.sha1(this.buffer), v1)) return false;
    if (v2 !== undefined && !equalBytes(this.options.hash.sha256(this.buffer), v2)) return false;
    return true;
  }
}
