/**
 * Where a web seed (BEP 19 `url-list`) keeps each file of a torrent.
 *
 * - single-file torrent: the URL is the file itself, unless it ends in `/`, when the torrent's
 *   name is added (so one URL style serves both kinds of torrent);
 * - multi-file torrent: the URL names the folder that holds the torrent's folder: the file is
 *   at `url/name/path/to/file` (a `/` is added when the URL lacks one).
 *
 * Path components are percent-encoded one by one, so a `/`, `?` or `#` in a name can never
 * change which resource is asked for.
 */
import type { Metainfo } from '../metainfo/types.js';

const encodeComponent = (c: string): string =>
  encodeURIComponent(c).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** The URL of file `index` (an entry of `meta.files`, padding included) on a web seed. */
export const webSeedFileUrl = (base: string, meta: Metainfo, index: number): string => {
  const file = meta.files[index];
  if (file === undefined) throw new RangeError(`there is no file ${index}`);
  if (!meta.multiFile) return base.endsWith('/') ? base + encodeComponent(meta.name) : base;
  const folder = base.endsWith('/') ? base : `${base}/`;
  return folder + [meta.name, ...file.path].map(encodeComponent).join('/');
};

/** True for the URLs a web seed may have: http or https, with a host. */
export const isWebSeedUrl = (url: string): boolean => {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
};
