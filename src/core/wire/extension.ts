/**
 * The BEP 10 extension protocol: the extended handshake (extended message id 0, a bencoded
 * dictionary) and the routing of extended messages by id.
 *
 * Ids are chosen by the receiver: each side's `m` dictionary says under which id it wants to
 * receive each extension. So an incoming message carries one of OUR ids, and an outgoing one
 * must carry THEIR id for that extension.
 */
import { bytesToBinary, decodeUtf8, utf8 } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { decode } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import { type BDict, type BEncodable, type BValue, isBytes, isDict } from '../bencode/types.js';

export const EXTENDED_HANDSHAKE_ID = 0;
export const MAX_EXTENSIONS = 64;
export const MAX_EXTENSION_NAME = 64;
export const UT_METADATA = 'ut_metadata';
export const UT_PEX = 'ut_pex';

/** Extension name (a binary string, one char per byte) to message id 1..255; 0 disables. */
export type ExtensionMap = ReadonlyMap<string, number>;

export interface ExtendedHandshake {
  /** `m`: the ids under which the sender wants to receive each extension. */
  readonly extensions: ExtensionMap;
  /** `v`: client name and version (UTF-8). */
  readonly client?: string;
  /** `p`: the sender's TCP listen port. */
  readonly port?: number;
  /** `reqq`: how many outstanding requests the sender accepts. */
  readonly requestQueue?: number;
  /** `metadata_size`: size of the info dictionary in bytes (BEP 9). */
  readonly metadataSize?: number;
  /** `yourip`: the receiver's address as the sender sees it, 4 or 16 bytes. */
  readonly yourIp?: Uint8Array;
  /** `upload_only`: the sender is a seed or will not download (BEP 21). */
  readonly uploadOnly?: boolean;
}

const badExtension = (message: string): { ok: false; error: ErrorValue } =>
  err({ code: 'WIRE_BAD_EXTENSION', message });

const isInteger = (v: BValue | undefined): v is number => typeof v === 'number';

const checkName = (name: string): string | undefined =>
  name.length === 0 || name.length > MAX_EXTENSION_NAME
    ? `extension name of ${name.length} bytes`
    : undefined;

const checkId = (id: number): string | undefined =>
  Number.isInteger(id) && id >= 0 && id <= 255 ? undefined : `extension id ${id}`;

const decodeExtensionMap = (m: BValue): Result<ExtensionMap, ErrorValue> => {
  if (!isDict(m)) return badExtension('m is not a dictionary');
  if (m.size > MAX_EXTENSIONS) return badExtension(`${m.size} extensions, over ${MAX_EXTENSIONS}`);
  const out = new Map<string, number>();
  for (const [name, id] of m) {
    if (!isInteger(id)) return badExtension('extension id not an integer');
    const problem = checkName(name) ?? checkId(id);
    if (problem !== undefined) return badExtension(problem);
    out.set(name, id);
  }
  return ok(out);
};

/**
 * Informational fields (v, p, reqq, yourip, upload_only) are dropped when malformed, as they can
 * do no harm; the dictionary itself, `m`, and `metadata_size` (which sizes an allocation) are
 * refused when malformed. Unknown keys are ignored (BEP 10).
 */
const optionalFields = (dict: BDict): Result<Omit<ExtendedHandshake, 'extensions'>, ErrorValue> => {
  const fields: {
    client?: string;
    port?: number;
    requestQueue?: number;
    metadataSize?: number;
    yourIp?: Uint8Array;
    uploadOnly?: boolean;
  } = {};
  const v = dict.get('v');
  const client = isBytes(v) ? decodeUtf8(v) : undefined;
  if (client !== undefined) fields.client = client;
  const p = dict.get('p');
  if (isInteger(p) && p > 0 && p <= 0xffff) fields.port = p;
  const reqq = dict.get('reqq');
  if (isInteger(reqq) && reqq > 0) fields.requestQueue = reqq;
  const yourIp = dict.get('yourip');
  if (isBytes(yourIp) && (yourIp.length === 4 || yourIp.length === 16)) fields.yourIp = yourIp;
  const uploadOnly = dict.get('upload_only');
  if (isInteger(uploadOnly)) fields.uploadOnly = uploadOnly !== 0;
  const size = dict.get('metadata_size');
  if (size !== undefined) {
    if (!isInteger(size) || size < 0) return badExtension('metadata_size is not a size');
    fields.metadataSize = size;
  }
  return ok(fields);
};

/** Decodes an extended handshake payload (the bytes after extended id 0). */
export const decodeExtendedHandshake = (
  payload: Uint8Array,
): Result<ExtendedHandshake, ErrorValue> => {
  const decoded = decode(payload, { maxDepth: 16, requireSortedKeys: false });
  if (!decoded.ok) return badExtension(`extended handshake: ${decoded.error.message}`);
  const dict = decoded.value;
  if (!isDict(dict)) return badExtension('extended handshake is not a dictionary');
  const m = dict.get('m');
  const extensions = m === undefined ? ok(new Map<string, number>()) : decodeExtensionMap(m);
  if (!extensions.ok) return extensions;
  const fields = optionalFields(dict);
  if (!fields.ok) return fields;
  return ok({ extensions: extensions.value, ...fields.value });
};

/** Our extended handshake payload. Values out of range are a bug and throw a RangeError. */
export const encodeExtendedHandshake = (h: ExtendedHandshake): Uint8Array => {
  if (h.extensions.size > MAX_EXTENSIONS) throw new RangeError('too many extensions');
  for (const [name, id] of h.extensions) {
    const problem = checkName(name) ?? checkId(id);
    if (problem !== undefined) throw new RangeError(problem);
  }
  const dict = new Map<string, BEncodable>([['m', h.extensions]]);
  if (h.client !== undefined) dict.set('v', h.client);
  if (h.port !== undefined) dict.set('p', h.port);
  if (h.requestQueue !== undefined) dict.set('reqq', h.requestQueue);
  if (h.metadataSize !== undefined) dict.set('metadata_size', h.metadataSize);
  if (h.yourIp !== undefined) dict.set('yourip', h.yourIp);
  if (h.uploadOnly !== undefined) dict.set('upload_only', h.uploadOnly ? 1 : 0);
  const encoded = encode(dict);
  if (!encoded.ok) throw new RangeError(encoded.error.message);
  return encoded.value;
};

/** Our `m`: ids 1, 2, ... in the order given. */
export const localExtensions = (names: readonly string[]): ExtensionMap => {
  if (names.length > MAX_EXTENSIONS) throw new RangeError('too many extensions');
  return new Map(names.map((name, i) => [bytesToBinary(utf8(name)), i + 1]));
};

export type ExtendedRoute =
  | { readonly kind: 'handshake' }
  | { readonly kind: 'extension'; readonly name: string }
  /** An id we never assigned: the peer is confused; ignoring it is safe. */
  | { readonly kind: 'unknown'; readonly id: number };

/** Where an incoming extended message goes: its id is one of ours (`local`). */
export const routeIncoming = (local: ExtensionMap, id: number): ExtendedRoute => {
  if (id === EXTENDED_HANDSHAKE_ID) return { kind: 'handshake' };
  for (const [name, ours] of local) if (ours === id) return { kind: 'extension', name };
  return { kind: 'unknown', id };
};

/** The id to send extension `name` under: the peer's, or undefined if it lacks or disabled it. */
export const remoteIdFor = (remote: ExtensionMap, name: string): number | undefined => {
  const id = remote.get(name);
  return id === undefined || id === 0 ? undefined : id;
};

/**
 * The peer's map after another handshake from it: BEP 10 lets a later handshake add or change
 * entries, disable one with id 0, and leave out those that stay as they were. The union stays
 * bounded by MAX_EXTENSIONS.
 */
export const mergeExtensions = (
  previous: ExtensionMap,
  update: ExtensionMap,
): Result<ExtensionMap, ErrorValue> => {
  const out = new Map(previous);
  for (const [name, id] of update) {
    if (id === 0) out.delete(name);
    else out.set(name, id);
  }
  if (out.size > MAX_EXTENSIONS) {
    return badExtension(`${out.size} extensions after an update, over ${MAX_EXTENSIONS}`);
  }
  return ok(out);
};
