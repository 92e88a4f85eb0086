/**
 * The one catalogue of error codes. The core returns `{ code, message }` values; the runtime,
 * CLI and platform throw `FanseedError` with the same codes. docs/errors.md lists every code
 * (a test keeps the two in step).
 */
export const ERROR_CATALOGUE = {
  BENCODE_TRUNCATED: 'The input ends in the middle of a value.',
  BENCODE_UNEXPECTED_BYTE: 'A byte that cannot start or continue a value here.',
  BENCODE_BAD_INTEGER: 'An integer that is empty, has leading zeros, is -0 or is too long.',
  BENCODE_BAD_LENGTH: 'A string length prefix that is malformed or longer than the input.',
  BENCODE_UNSORTED_KEYS: 'Dictionary keys out of byte order (not canonical).',
  BENCODE_DUPLICATE_KEY: 'The same dictionary key twice.',
  BENCODE_TOO_DEEP: 'Lists and dictionaries nested deeper than the limit.',
  BENCODE_TOO_LARGE: 'The input, or one of its strings, is larger than the limit.',
  BENCODE_TRAILING_DATA: 'Bytes after the end of the top-level value.',
  BENCODE_UNENCODABLE: 'A value the encoder cannot represent (a float, undefined, ...).',
  META_NOT_A_TORRENT: 'The input is not a bencoded dictionary with an info dictionary.',
  META_MISSING_FIELD: 'A required metainfo field is absent.',
  META_BAD_FIELD: 'A metainfo field has the wrong type or an invalid value.',
  META_BAD_UTF8: 'A name or path is not valid UTF-8.',
  META_PATH_ESCAPE:
    'A file name or path that is empty, absolute, or would escape the download folder.',
  META_BAD_PIECE_LENGTH: 'The piece length is not a power of two of at least 16 KiB.',
  META_PIECE_COUNT_MISMATCH: 'The number of piece hashes does not match the total length.',
  META_BAD_SIZE: 'A size that is negative, fractional or beyond the limit.',
  META_TOO_MANY_FILES: 'More files than the limit.',
  META_HYBRID_MISMATCH: 'The v1 and v2 parts of a hybrid torrent describe different files.',
  META_BAD_PIECE_LAYER:
    'A v2 piece layer is missing, misshapen, or does not hash to its pieces root.',
  META_UNSUPPORTED_VERSION: 'A meta version this implementation does not know.',
  MAGNET_BAD_URI: 'Not a magnet URI, or a malformed parameter in one.',
  MAGNET_NO_HASH: 'A magnet URI without a btih or btmh exact topic.',
  // Peer wire protocol (BEP 3, 6, 9, 10, 52).
  WIRE_BAD_HANDSHAKE: 'A handshake that is not the BitTorrent protocol or is malformed.',
  WIRE_WRONG_INFOHASH: 'A handshake for a torrent this side does not have.',
  WIRE_BAD_LENGTH: 'A message whose length is over the limit or wrong for its kind.',
  WIRE_UNKNOWN_MESSAGE: 'A message id this implementation does not know.',
  WIRE_BAD_MESSAGE: 'A message with invalid contents (index out of range, spare bits set, ...).',
  WIRE_BAD_EXTENSION: 'A malformed extension-protocol (BEP 10) message.',
  WIRE_BAD_METADATA:
    'Metadata from peers that is malformed, too large, or does not match the info-hash.',
  // Message Stream Encryption / Protocol Encryption (MSE/PE, the obfuscated handshake).
  MSE_BAD_FIELD:
    'A malformed encryption handshake: a Diffie-Hellman key out of range, a wrong verification constant, a pad over 512 bytes, a select that is not one offered method.',
  MSE_NO_SYNC:
    'No synchronisation point (the req1 hash or the encrypted verification constant) within the bytes an encryption handshake allows.',
  MSE_UNKNOWN_TORRENT:
    'An encrypted connection for a torrent this side does not have (its obfuscated info-hash matches none).',
  MSE_NO_COMMON_METHOD:
    'The two sides of an encryption handshake allow no common method (plaintext or RC4).',
  MSE_REQUIRED: 'A plaintext connection where encryption is required.',
  MSE_TIMEOUT: 'The encryption handshake did not finish in time.',
  MSE_CLOSED: 'The connection ended during the encryption handshake.',
  // Tracker protocol (BEP 3, 7, 15, 23, 41, 48).
  TRACKER_BAD_REQUEST: 'A tracker request that is malformed or missing a required parameter.',
  TRACKER_BAD_RESPONSE: 'A tracker response that is malformed.',
  TRACKER_FAILURE: 'The tracker answered with a failure reason.',
  TRACKER_BAD_PACKET: 'A UDP tracker packet that is malformed, truncated or of an unknown action.',
  // Tracker server (fanseed tracker).
  TRACKER_NOT_ALLOWED:
    'An announce for an info-hash the tracker does not serve (allow-list mode: not registered).',
  TRACKER_BAD_PASSKEY:
    'An announce or scrape without a passkey, or with one the tracker does not know.',
  TRACKER_FULL: 'The tracker already holds as many torrents as its limit allows.',
  TRACKER_BAD_CONNECTION_ID:
    'A UDP request whose connection id the tracker did not issue to that address, or issued too long ago (BEP 15).',
  TRACKER_UNAUTHORIZED: 'An admin API request without the right bearer token.',
  TRACKER_NOT_FOUND: 'No such tracker route, or no statistics for that info-hash.',
  TRACKER_LIST_BAD:
    'An allow-list or passkey file that cannot be read, is too large, or holds a malformed line.',
  TRACKER_SNAPSHOT_BAD:
    'A tracker statistics snapshot that is truncated, corrupt, or of an unknown format version.',
  // DHT (BEP 5, 42, 43) and peer exchange (BEP 11).
  DHT_BAD_PACKET:
    'A DHT (KRPC) packet that is not bencode, too large, or lacks a field its kind requires.',
  DHT_BAD_NODE: 'Compact node or peer information of the wrong length, or an invalid address.',
  PEX_BAD_MESSAGE: 'A peer exchange (ut_pex) message that is malformed or over its limits.',
  LSD_BAD_MESSAGE: 'A local service discovery (BEP 14) datagram that is malformed or too large.',
  CREATE_NO_FILES: 'Nothing to put in the torrent (missing path or no files).',
  CREATE_BAD_OPTION: 'An option to torrent creation is invalid.',
  IO_NOT_FOUND: 'A file or folder does not exist.',
  IO_FAILED: 'Reading or writing a file failed.',
  IO_CHANGED: 'A file changed size while it was being read.',
  HASH_WORKER_FAILED:
    'A piece-check worker thread failed or stopped; the checks it had in hand were abandoned.',
  HASH_POOL_CLOSED: 'A piece check was asked of, or still pending in, a checker that was closed.',
  CLI_USAGE: 'The command line is malformed.',
  API_BAD_ARGUMENT: 'A library call with an argument out of bounds (file index, byte range, ...).',
  TORRENT_CLOSED: 'The torrent was closed (removed, or its session ended) before this finished.',
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error as a value, returned by the pure core. */
export interface ErrorValue {
  readonly code: ErrorCode;
  readonly message: string;
  /** Byte offset in the input, for decoders. */
  readonly offset?: number;
}

/** The base of every error thrown by fanseed. `code` is stable; `message` is for people. */
export class FanseedError extends Error {
  readonly code: ErrorCode;
  readonly offset: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { offset?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FanseedError';
    this.code = code;
    this.offset = options?.offset;
  }

  static from(value: ErrorValue): FanseedError {
    return new FanseedError(
      value.code,
      value.message,
      value.offset === undefined ? {} : { offset: value.offset },
    );
  }
}

/** Unwraps a core Result at an edge, throwing the typed error. */
export const unwrap = <T>(result: { ok: true; value: T } | { ok: false; error: ErrorValue }): T => {
  if (result.ok) return result.value;
  throw FanseedError.from(result.error);
};
