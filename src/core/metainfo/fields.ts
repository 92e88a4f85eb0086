/** Typed reads of metainfo fields that fail with an error naming the field. */
import { decodeUtf8 } from '../../lib/bytes.js';
import type { ErrorCode, ErrorValue } from '../../lib/errors.js';
import { type BDict, type BList, type BValue, isBytes, isDict, isList } from '../bencode/types.js';

export class MetaFailure {
  constructor(readonly error: ErrorValue) {}
}

export function metaFail(code: ErrorCode, message: string): never {
  throw new MetaFailure({ code, message });
}

export const optional = (dict: BDict, key: string): BValue | undefined => dict.get(key);

export const required = (dict: BDict, key: string, where: string): BValue => {
  const v = dict.get(key);
  if (v === undefined) metaFail('META_MISSING_FIELD', `${where}${key} is missing`);
  return v;
};

export const asDict = (v: BValue, field: string): BDict => {
  if (!isDict(v)) metaFail('META_BAD_FIELD', `${field} is not a dictionary`);
  return v;
};

export const asList = (v: BValue, field: string): BList => {
  if (!isList(v)) metaFail('META_BAD_FIELD', `${field} is not a list`);
  return v;
};

export const asBytes = (v: BValue, field: string): Uint8Array => {
  if (!isBytes(v)) metaFail('META_BAD_FIELD', `${field} is not a byte string`);
  return v;
};

export const asText = (v: BValue, field: string): string => {
  const text = decodeUtf8(asBytes(v, field));
  if (text === undefined) metaFail('META_BAD_UTF8', `${field} is not valid UTF-8`);
  return text;
};

/** A size field: a non-negative integer no larger than `max`. */
export const asSize = (v: BValue, field: string, max: number): number => {
  if (typeof v === 'bigint') metaFail('META_BAD_SIZE', `${field} is beyond the limit`);
  if (typeof v !== 'number') metaFail('META_BAD_FIELD', `${field} is not an integer`);
  if (v < 0) metaFail('META_BAD_SIZE', `${field} is negative (${v})`);
  if (v > max) metaFail('META_BAD_SIZE', `${field} (${v}) is beyond the limit of ${max}`);
  return v;
};

/** Optional text that is kept only when it is well formed (comments, creator names). */
export const lenientText = (v: BValue | undefined): string | undefined =>
  isBytes(v) ? decodeUtf8(v) : undefined;
