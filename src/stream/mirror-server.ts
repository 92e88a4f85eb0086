/**
 * `fanseed mirror`: a torrent's files over plain HTTP, laid out as web seeds expect them
 * (BEP 19): `/<name>` for a single file, `/<name>/<path>` for a folder. Ranges, HEAD, ETag and
 * Last-Modified work as in any static file server, so aria2, libtorrent, Transmission (and
 * fanseed) can use it as a web seed, and browsers and download managers as a plain mirror.
 * Nothing about who asks is kept.
 */
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Metainfo } from '../core/metainfo/types.js';
import { dataPaths } from '../runtime/verify.js';
import { sendFileBody } from './file-body.js';
import { mediaType } from './media-types.js';
import { escapeHtml, sendRange, sendText } from './send-range.js';

export interface MirrorOptions {
  readonly meta: Metainfo;
  /** Folder that holds the data (the torrent's name inside it), as for `fanseed seed -p`. */
  readonly path: string;
}

interface Entry {
  /** Where the file is; undefined for a BEP 47 padding file (zeros, never on disk). */
  readonly disk: string | undefined;
  readonly length: number;
  readonly urlPath: string;
}

const encodePath = (parts: readonly string[]): string =>
  `/${parts.map((p) => encodeURIComponent(p)).join('/')}`;

/** URL path → file, for every real (not padding) file of the torrent. */
const entries = (o: MirrorOptions): Map<string, Entry> => {
  const { meta } = o;
  const disk = dataPaths(meta, o.path);
  const map = new Map<string, Entry>();
  meta.files.forEach((f, i) => {
    const parts = meta.multiFile ? [meta.name, ...f.path] : [meta.name];
    const urlPath = encodePath(parts);
    // Padding is served too, as zeros: clients that do not know BEP 47 (aria2) fetch it.
    map.set(urlPath, { disk: f.pad ? undefined : disk[i], length: f.length, urlPath });
  });
  return map;
};

/** Decodes and re-encodes a request path, so `%41` and `A` name the same file. */
const canonicalPath = (url: string | undefined): string | undefined => {
  const path = (url ?? '/').split('?')[0] ?? '/';
  try {
    return encodePath(
      path
        .split('/')
        .slice(1)
        .map((p) => decodeURIComponent(p)),
    );
  } catch {
    return undefined;
  }
};

/** The request handler, to mount on any node:http server. */
export const mirrorHandler = (
  o: MirrorOptions,
): ((req: IncomingMessage, res: ServerResponse) => void) => {
  const files = entries(o);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      return;
    }
    const path = canonicalPath(req.url);
    if (path === '/') {
      sendIndex(res, o.meta, [...files.values()], req.method === 'HEAD');
      return;
    }
    const entry = path === undefined ? undefined : files.get(path);
    if (entry === undefined) {
      sendText(res, 404, 'no such file in this torrent\n');
      return;
    }
    void serveFile(req, res, entry);
  };
};

const zeros = (length: number): Readable =>
  Readable.from(
    (function* () {
      const chunk = new Uint8Array(Math.min(length, 64 * 1024));
      for (let left = length; left > 0; left -= chunk.length)
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    })(),
  );

const serveFile = async (req: IncomingMessage, res: ServerResponse, e: Entry): Promise<void> => {
  if (e.disk === undefined) {
    sendRange(req, res, {
      size: e.length,
      contentType: 'application/octet-stream',
      validators: { etag: `"pad-${e.length.toString(16)}"` },
      open: (start, end) => zeros(end - start + 1),
    });
    return;
  }
  const disk = e.disk;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(disk);
  } catch {
    sendText(res, 404, 'this file is not on the mirror\n');
    return;
  }
  // A file of another size is not the torrent's (still downloading, or another version).
  if (!info.isFile() || info.size !== e.length) {
    sendText(res, 404, "this file on the mirror is not the torrent's\n");
    return;
  }
  sendRange(req, res, {
    size: e.length,
    contentType: mediaType(e.urlPath),
    validators: {
      etag: `"${e.length.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      lastModified: info.mtime,
    },
    send: (start, end, res) => sendFileBody(disk, start, end, res),
  });
};

const sendIndex = (res: ServerResponse, meta: Metainfo, files: Entry[], head: boolean): void => {
  const items = files
    .filter((f) => f.disk !== undefined)
    .map(
      (f) =>
        `<li><a href="${escapeHtml(f.urlPath)}">${escapeHtml(decodeURIComponent(f.urlPath))}</a> (${f.length} bytes)</li>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(meta.name)} (mirror)</title></head>
<body><h1>${escapeHtml(meta.name)}</h1>
<p>A mirror of this torrent's files. Use this server's address, ending in <code>/</code>, as a web seed.</p>
<ul>
${items}
</ul></body></html>
`;
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(html)),
    'content-security-policy': "default-src 'none'",
  });
  res.end(head ? undefined : html);
};

export interface RunningMirror {
  readonly server: Server;
  readonly port: number;
  /** The web-seed URL to give clients: `http://host:port/`. */
  readonly url: string;
  close(): Promise<void>;
}

export const startMirror = async (
  o: MirrorOptions & { readonly host?: string; readonly port?: number },
): Promise<RunningMirror> => {
  const server = createServer({ keepAliveTimeout: 30_000 }, mirrorHandler(o));
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    url: `http://${shown}:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
