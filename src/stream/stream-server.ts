/**
 * The streaming HTTP server (`fanseed stream`, and mounted by the platform): a page that lists a
 * torrent's files with an HTML5 player, and each file at a stable URL with Range support and
 * its media type, served from `Torrent.createReadStream` so a player can start and seek while
 * the torrent downloads. Nothing about who watches is kept.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { realFiles } from '../core/metainfo/types.js';
import { toHex } from '../lib/bytes.js';
import type { Torrent } from '../runtime/torrent.js';
import { mediaType } from './media-types.js';
import { sendRange, sendText } from './send-range.js';
import { fileUrlPath, statusScript, streamPage } from './stream-page.js';

export interface StreamHandlerOptions {
  /** Path prefix the handler answers below (default '': the root), without a trailing `/`. */
  readonly basePath?: string;
}

/** Answers a request under the base path and returns true, or returns false (not ours). */
export type StreamHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const FILE = /^\/files\/(\d{1,9})(?:\/.*)?$/;
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

export const streamHandler = (
  torrent: Torrent,
  options: StreamHandlerOptions = {},
): StreamHandler => {
  const base = options.basePath ?? '';
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    const rest = path.slice(base.length) || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (rest === '/status') {
      const s = torrent.stats();
      const body = JSON.stringify({ name: torrent.name, ...s });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    if (rest === '/status.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : statusScript(base));
      return true;
    }
    const meta = torrent.meta;
    if (meta === undefined) {
      sendText(res, 503, "the torrent's metadata is not here yet; try again in a moment\n", {
        'retry-after': '1',
      });
      return true;
    }
    if (rest === '/') {
      const html = streamPage(base, meta);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(Buffer.byteLength(html)),
        'content-security-policy': PAGE_CSP,
      });
      res.end(req.method === 'HEAD' ? undefined : html);
      return true;
    }
    const m = FILE.exec(rest);
    const index = Number(m?.[1]);
    const file = m === null ? undefined : realFiles(meta)[index];
    if (file === undefined) {
      sendText(res, 404, 'no such file in this torrent\n');
      return true;
    }
    const hash = meta.infoHashV1 ?? meta.infoHashV2;
    sendRange(req, res, {
      size: file.length,
      contentType: mediaType(file.path[file.path.length - 1] ?? ''),
      // A torrent's file never changes: its info-hash and index name its bytes for good.
      validators: { etag: `"${hash === undefined ? '' : toHex(hash)}-${index}"` },
      open: (start, end) => torrent.createReadStream(index, { start, end }),
    });
    return true;
  };
};

export interface RunningStreamServer {
  readonly server: Server;
  readonly port: number;
  /** The page's URL. */
  readonly url: string;
  /** The URL of each real file, in `fanseed info` order (once the metadata is known). */
  fileUrls(): string[];
  close(): Promise<void>;
}

export const startStreamServer = async (
  torrent: Torrent,
  o: { readonly host?: string; readonly port?: number } = {},
): Promise<RunningStreamServer> => {
  const handle = streamHandler(torrent);
  const server = createServer((req, res) => {
    if (!handle(req, res)) sendText(res, 404, 'not found\n');
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    port,
    url: `${origin}/`,
    fileUrls: () => {
      const meta = torrent.meta;
      return meta === undefined
        ? []
        : realFiles(meta).map((_, i) => origin + fileUrlPath('', meta, i));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
