/**
 * The admin API, for allow-list mode: register and unregister info-hashes without editing the
 * allow-list file. Every request needs `Authorization: Bearer <token>`; the token is compared
 * in constant time (through SHA-256 digests, so its length does not leak either). Without a
 * configured token the API is off.
 *
 *   GET    /admin/torrents          the allow-list (file and registered entries)
 *   PUT    /admin/torrents/<hash>   register (POST too); 40 or 64 hex digits
 *   DELETE /admin/torrents/<hash>   unregister
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type TrackerCore,
  torrentKeyFromHex,
  torrentKeyHex,
} from '../core/tracker-server/index.js';
import { sendError, sendJson } from './http-util.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Entries listed by GET at most (the counts are always exact). */
const MAX_LISTED = 10_000;

export class AdminApi {
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly core: TrackerCore,
    token: string | undefined,
    /** Called after each change, so the registrations reach the snapshot soon. */
    private readonly onChange: () => void,
  ) {
    this.tokenDigest = token === undefined || token === '' ? undefined : digest(token);
  }

  get enabled(): boolean {
    return this.tokenDigest !== undefined;
  }

  private authorized(req: IncomingMessage): boolean {
    if (this.tokenDigest === undefined) return false;
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer (\S{1,512})$/i.exec(header);
    return m !== null && timingSafeEqual(digest(m[1] as string), this.tokenDigest);
  }

  /** Handles a path under /admin/ (`rest` is what follows it). */
  handle(req: IncomingMessage, res: ServerResponse, rest: string): void {
    if (!this.enabled) {
      sendError(res, 'TRACKER_NOT_FOUND', 'the admin API is off (start with --admin-token-file)');
      return;
    }
    if (!this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      sendError(res, 'TRACKER_UNAUTHORIZED', 'a valid bearer token is required');
      return;
    }
    const policy = this.core.policy;
    if (rest === 'torrents' && req.method === 'GET') {
      const file = policy.fileKeys();
      const registered = policy.registeredKeys();
      sendJson(res, 200, {
        allowListMode: policy.allowListMode,
        fileCount: file.length,
        registeredCount: registered.length,
        file: file.slice(0, MAX_LISTED).map(torrentKeyHex),
        registered: registered.slice(0, MAX_LISTED).map(torrentKeyHex),
      });
      return;
    }
    const m = /^torrents\/([0-9a-fA-F]+)$/.exec(rest);
    if (m === null) {
      sendError(res, 'TRACKER_NOT_FOUND', 'no such admin route');
      return;
    }
    const key = torrentKeyFromHex(m[1] as string);
    if (key === undefined) {
      sendError(res, 'TRACKER_BAD_REQUEST', 'an info-hash is 40 or 64 hex digits');
      return;
    }
    const infoHash = torrentKeyHex(key);
    if (req.method === 'PUT' || req.method === 'POST') {
      if (!policy.register(key)) {
        sendError(res, 'TRACKER_FULL', 'the allow-list is full');
        return;
      }
      this.onChange();
      sendJson(res, 200, { infoHash, registered: true, allowListMode: policy.allowListMode });
    } else if (req.method === 'DELETE') {
      const r = policy.unregister(key);
      this.onChange();
      sendJson(res, 200, { infoHash, removed: r.removed, stillInFile: r.stillInFile });
    } else {
      res.setHeader('Allow', 'PUT, POST, DELETE');
      sendJson(res, 405, { error: { code: 'TRACKER_BAD_REQUEST', message: 'method not allowed' } });
    }
  }
}
