/**
 * The checks on a framed message that need the torrent: indices in range, blocks within their
 * piece, bitfields of the right size with spare bits clear (BEP 3), and the BEP 52 rules on hash
 * ranges. Kept apart from the reader so that framing stays generic.
 */
import { Bitfield } from '../../lib/bitfield.js';
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { BLOCK_SIZE } from '../merkle/merkle.js';
import type { HashRange, PeerMessage } from './messages.js';

/** What validation needs of a torrent; core/geometry's PieceGeometry class provides it. */
export interface WireGeometry {
  readonly pieceCount: number;
  readonly pieceLength: number;
  /** Length of the piece stream (v1 and hybrid: padding included). */
  readonly totalLength: number;
  /**
   * Size of one piece, when it is not `pieceLength` but for the last piece: v2-only torrents,
   * where each file's last piece is short. Called only with a valid index.
   */
  readonly pieceSize?: (index: number) => number;
}

/** BEP 52: "Length SHOULD NOT be greater than 512"; larger ranges are refused. */
export const MAX_HASH_RANGE = 512;

/** A message that passed validation; a bitfield comes back parsed. */
export type ValidPeerMessage =
  | Exclude<PeerMessage, { readonly kind: 'bitfield' }>
  | { readonly kind: 'bitfield'; readonly bitfield: Bitfield };

const bad = (message: string): { ok: false; error: ErrorValue } =>
  err({ code: 'WIRE_BAD_MESSAGE', message });

export const pieceSizeOf = (geometry: WireGeometry, index: number): number =>
  geometry.pieceSize !== undefined
    ? geometry.pieceSize(index)
    : Math.min(geometry.pieceLength, geometry.totalLength - index * geometry.pieceLength);

const checkIndex = (geometry: WireGeometry, kind: string, index: number): ErrorValue | undefined =>
  index < geometry.pieceCount
    ? undefined
    : { code: 'WIRE_BAD_MESSAGE', message: `${kind} of piece ${index} of ${geometry.pieceCount}` };

/** A block [begin, begin + length) that is not empty and lies within piece `index`. */
const checkBlock = (
  geometry: WireGeometry,
  kind: string,
  index: number,
  begin: number,
  length: number,
): ErrorValue | undefined => {
  const e = checkIndex(geometry, kind, index);
  if (e !== undefined) return e;
  const size = pieceSizeOf(geometry, index);
  if (length === 0 || begin + length > size) {
    return {
      code: 'WIRE_BAD_MESSAGE',
      message: `${kind} of ${length} bytes at ${begin} in piece ${index} of ${size} bytes`,
    };
  }
  return undefined;
};

/** BEP 52: a length that is a power of two of at least 2, an index that is a multiple of it. */
const checkHashRange = (kind: string, m: HashRange): ErrorValue | undefined => {
  const powerOfTwo = m.length >= 2 && (m.length & (m.length - 1)) === 0;
  if (!powerOfTwo || m.length > MAX_HASH_RANGE) {
    return { code: 'WIRE_BAD_MESSAGE', message: `${kind} of ${m.length} hashes` };
  }
  if (m.index % m.length !== 0) {
    return {
      code: 'WIRE_BAD_MESSAGE',
      message: `${kind} at ${m.index}, not a multiple of ${m.length}`,
    };
  }
  return undefined;
};

const result = (
  m: ValidPeerMessage,
  e: ErrorValue | undefined,
): Result<ValidPeerMessage, ErrorValue> => (e === undefined ? ok(m) : err(e));

/** Checks a message from the reader against the torrent; WIRE_BAD_MESSAGE when it does not fit. */
export const validateMessage = (
  m: PeerMessage,
  geometry: WireGeometry,
): Result<ValidPeerMessage, ErrorValue> => {
  switch (m.kind) {
    case 'keep-alive':
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
    case 'port':
    case 'extended':
      return ok(m);
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return result(m, checkIndex(geometry, m.kind, m.index));
    case 'bitfield':
      return validateBitfield(m.bytes, geometry.pieceCount);
    case 'request':
    case 'cancel':
    case 'reject': {
      // BEP 3: clients close connections that ask for more than 16 KiB at once.
      if (m.length > BLOCK_SIZE) return bad(`${m.kind} of ${m.length} bytes, over ${BLOCK_SIZE}`);
      return result(m, checkBlock(geometry, m.kind, m.index, m.begin, m.length));
    }
    case 'piece':
      return result(m, checkBlock(geometry, m.kind, m.index, m.begin, m.block.length));
    case 'hash-request':
    case 'hash-reject':
      return result(m, checkHashRange(m.kind, m));
    case 'hashes': {
      const e = checkHashRange(m.kind, m);
      if (e !== undefined) return err(e);
      // The range itself, then at most one uncle hash per proof layer.
      const count = m.hashes.length / 32;
      if (count < m.length || count > m.length + m.proofLayers) {
        return bad(`hashes message with ${count} hashes for a range of ${m.length}`);
      }
      return ok(m);
    }
    default:
      return unreachable(m);
  }
};

const validateBitfield = (
  bytes: Uint8Array,
  pieceCount: number,
): Result<ValidPeerMessage, ErrorValue> => {
  const expected = Math.ceil(pieceCount / 8);
  if (bytes.length !== expected) {
    return err({
      code: 'WIRE_BAD_LENGTH',
      message: `bitfield of ${bytes.length} bytes for ${pieceCount} pieces (${expected} bytes)`,
    });
  }
  const bitfield = Bitfield.fromWire(pieceCount, bytes);
  if (bitfield === undefined) return bad('bitfield with spare bits set');
  return ok({ kind: 'bitfield', bitfield });
};

const unreachable = (value: never): never => {
  throw new Error(`unhandled message kind ${String((value as { kind?: unknown }).kind)}`);
};
