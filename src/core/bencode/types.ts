/**
 * Decoded bencode values. Byte strings stay bytes; dictionary keys are "binary strings"
 * (one char per byte, see lib/bytes.ts) so that ASCII keys read naturally (`dict.get('info')`)
 * and non-UTF-8 keys (the 32-byte roots of BEP 52 piece layers) survive intact.
 */
export type BValue = number | bigint | Uint8Array | BList | BDict;
export interface BList extends Array<BValue> {}
export interface BDict extends Map<string, BValue> {}

/** What the encoder accepts: decoded values plus strings (UTF-8) and plain objects. */
export type BEncodable =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly BEncodable[]
  | ReadonlyMap<string, BEncodable>
  | { readonly [key: string]: BEncodable | undefined };

export interface BencodeLimits {
  /** Deepest nesting of lists and dictionaries. */
  readonly maxDepth: number;
  /** Largest input accepted at all, in bytes. */
  readonly maxInput: number;
  /** Longest single byte string. */
  readonly maxString: number;
  /** Most digits in an integer (beyond 15 they become BigInt). */
  readonly maxIntegerDigits: number;
  /**
   * Refuse dictionaries whose keys are out of order (canonical form). On for .torrent files;
   * off for peer messages, where some clients do not sort and nothing is hashed.
   */
  readonly requireSortedKeys: boolean;
}

export const DEFAULT_BENCODE_LIMITS: BencodeLimits = {
  maxDepth: 128,
  maxInput: 64 * 1024 * 1024,
  maxString: 64 * 1024 * 1024,
  maxIntegerDigits: 64,
  requireSortedKeys: true,
};

export const isDict = (v: BValue | undefined): v is BDict => v instanceof Map;
export const isList = (v: BValue | undefined): v is BList => Array.isArray(v);
export const isBytes = (v: BValue | undefined): v is Uint8Array => v instanceof Uint8Array;
