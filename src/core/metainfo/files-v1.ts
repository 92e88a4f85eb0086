/** The v1 file list (BEP 3), with BEP 47 padding files. */
import type { BDict } from '../bencode/types.js';
import { asBytes, asDict, asList, asSize, asText, metaFail, optional } from './fields.js';
import { checkedPath } from './paths.js';
import type { MetainfoLimits, TorrentFile } from './types.js';

export interface V1Layout {
  readonly files: TorrentFile[];
  readonly multiFile: boolean;
  /** Length of the byte stream the pieces cover, padding included. */
  readonly streamLength: number;
}

const attrFlags = (entry: BDict, field: string): string => {
  const attr = optional(entry, 'attr');
  return attr === undefined ? '' : asText(attr, `${field}.attr`);
};

export const parseV1Files = (info: BDict, name: string, limits: MetainfoLimits): V1Layout => {
  const list = optional(info, 'files');
  if (list === undefined) {
    const length = optional(info, 'length');
    if (length === undefined)
      metaFail('META_MISSING_FIELD', 'info.files or info.length is missing');
    const size = asSize(length, 'info.length', limits.maxTotalLength);
    const file = { path: [name], length: size, offset: 0, pad: false, piecesRoot: undefined };
    return { files: [file], multiFile: false, streamLength: size };
  }
  const entries = asList(list, 'info.files');
  if (entries.length === 0) metaFail('META_BAD_FIELD', 'info.files is empty');
  if (entries.length > limits.maxFiles) {
    metaFail(
      'META_TOO_MANY_FILES',
      `info.files has ${entries.length} files (limit ${limits.maxFiles})`,
    );
  }
  const files: TorrentFile[] = [];
  let offset = 0;
  entries.forEach((raw, i) => {
    const field = `info.files[${i}]`;
    const entry = asDict(raw, field);
    const attr = attrFlags(entry, field);
    if (attr.includes('l'))
      metaFail('META_BAD_FIELD', `${field} is a symbolic link, not supported`);
    const length = asSize(
      entry.get('length') ?? metaFail('META_MISSING_FIELD', `${field}.length is missing`),
      `${field}.length`,
      limits.maxTotalLength,
    );
    // BEP 3 allows a UTF-8 variant of the path next to the legacy one; prefer it.
    const rawPath = entry.get('path.utf-8') ?? entry.get('path');
    if (rawPath === undefined) metaFail('META_MISSING_FIELD', `${field}.path is missing`);
    const parts = asList(rawPath, `${field}.path`).map((c, j) =>
      asText(asBytes(c, `${field}.path[${j}]`), `${field}.path[${j}]`),
    );
    const path = checkedPath(parts, `${field}.path`, limits);
    files.push({ path, length, offset, pad: attr.includes('p'), piecesRoot: undefined });
    offset += length;
    if (offset > limits.maxTotalLength)
      metaFail('META_BAD_SIZE', `total length is beyond the limit of ${limits.maxTotalLength}`);
  });
  return { files, multiFile: true, streamLength: offset };
};
