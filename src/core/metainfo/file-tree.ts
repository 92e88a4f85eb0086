/** The v2 file tree (BEP 52): nested dictionaries, a file being `{ "": { length, pieces root } }`. */
import { binaryToBytes, decodeUtf8 } from '../../lib/bytes.js';
import type { BDict } from '../bencode/types.js';
import { HASH_SIZE } from '../merkle/merkle.js';
import { asBytes, asDict, asSize, metaFail, optional } from './fields.js';
import { checkedPath } from './paths.js';
import type { MetainfoLimits } from './types.js';

export interface TreeFile {
  readonly path: string[];
  readonly length: number;
  readonly piecesRoot: Uint8Array | undefined;
}

const keyText = (key: string, field: string): string => {
  const text = decodeUtf8(binaryToBytes(key));
  if (text === undefined) metaFail('META_BAD_UTF8', `${field} has a name that is not valid UTF-8`);
  return text;
};

const leaf = (node: BDict, field: string, limits: MetainfoLimits): Omit<TreeFile, 'path'> => {
  const length = asSize(
    node.get('length') ?? metaFail('META_MISSING_FIELD', `${field}.length is missing`),
    `${field}.length`,
    limits.maxTotalLength,
  );
  const rootValue = optional(node, 'pieces root');
  if (length === 0) return { length, piecesRoot: undefined };
  if (rootValue === undefined) metaFail('META_MISSING_FIELD', `${field}.pieces root is missing`);
  const piecesRoot = asBytes(rootValue, `${field}.pieces root`);
  if (piecesRoot.length !== HASH_SIZE) {
    metaFail('META_BAD_FIELD', `${field}.pieces root is not ${HASH_SIZE} bytes`);
  }
  return { length, piecesRoot };
};

/** Files of a tree in canonical (key) order, depth first. */
export const parseFileTree = (tree: BDict, limits: MetainfoLimits): TreeFile[] => {
  const files: TreeFile[] = [];
  let total = 0;
  // Explicit stack, children pushed in reverse so they pop in key order.
  const stack: Array<{ node: BDict; path: string[] }> = [{ node: tree, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: BDict; path: string[] };
    const field = path.length === 0 ? 'info.file tree' : `info.file tree/${path.join('/')}`;
    if (node.size === 0) metaFail('META_BAD_FIELD', `${field} is an empty folder`);
    const fileNode = node.get('');
    if (fileNode !== undefined) {
      if (node.size !== 1 || path.length === 0) {
        metaFail('META_BAD_FIELD', `${field} is both a file and a folder`);
      }
      const file = {
        path: checkedPath(path, field, limits),
        ...leaf(asDict(fileNode, field), field, limits),
      };
      files.push(file);
      total += file.length;
      if (files.length > limits.maxFiles) {
        metaFail('META_TOO_MANY_FILES', `info.file tree has over ${limits.maxFiles} files`);
      }
      if (total > limits.maxTotalLength) {
        metaFail('META_BAD_SIZE', `total length is beyond the limit of ${limits.maxTotalLength}`);
      }
      continue;
    }
    if (path.length >= limits.maxPathDepth) {
      metaFail('META_PATH_ESCAPE', `${field} is deeper than ${limits.maxPathDepth} folders`);
    }
    const children = [...node.entries()].reverse();
    for (const [key, child] of children) {
      const childPath = [...path, keyText(key, field)];
      stack.push({ node: asDict(child, `info.file tree/${childPath.join('/')}`), path: childPath });
    }
  }
  return files;
};
