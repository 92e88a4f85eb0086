import { metaFail } from './fields.js';
import { unsafeComponentReason } from './path-safety.js';
import type { MetainfoLimits, TorrentFile } from './types.js';

/** Validates every component of a file path, naming the field at fault. */
export const checkedPath = (
  parts: readonly string[],
  field: string,
  limits: MetainfoLimits,
): string[] => {
  if (parts.length === 0) metaFail('META_PATH_ESCAPE', `${field} is empty`);
  if (parts.length > limits.maxPathDepth) {
    metaFail('META_PATH_ESCAPE', `${field} is deeper than ${limits.maxPathDepth} folders`);
  }
  parts.forEach((part, i) => {
    const why = unsafeComponentReason(part);
    if (why !== undefined)
      metaFail('META_PATH_ESCAPE', `${field}[${i}] ${JSON.stringify(part)} ${why}`);
  });
  return [...parts];
};

export const checkedName = (name: string, field: string): string => {
  const why = unsafeComponentReason(name);
  if (why !== undefined) metaFail('META_PATH_ESCAPE', `${field} ${JSON.stringify(name)} ${why}`);
  return name;
};

/** Refuses two files at one path, or a file where another file needs a folder. */
export const checkNoCollisions = (files: readonly TorrentFile[]): void => {
  const filePaths = new Set<string>();
  const folders = new Set<string>();
  for (const file of files) {
    if (file.pad) continue;
    const key = file.path.join('/');
    if (filePaths.has(key) || folders.has(key)) {
      metaFail('META_PATH_ESCAPE', `two entries share the path ${JSON.stringify(key)}`);
    }
    filePaths.add(key);
    for (let i = 1; i < file.path.length; i++) {
      const folder = file.path.slice(0, i).join('/');
      if (filePaths.has(folder)) {
        metaFail('META_PATH_ESCAPE', `${JSON.stringify(folder)} is both a file and a folder`);
      }
      folders.add(folder);
    }
  }
};
