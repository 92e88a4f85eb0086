/**
 * The HTTP front (node:http, no framework): routes a request to announce (BEP 3, 7, 23),
 * scrape (BEP 48), the statistics views, the event stream or the admin API. Announce and
 * scrape answer 200 with a bencoded body, a BEP 3 "failure reason" when refused, since that is
 * what clients read. Nothing here logs a request: URLs carry peer ids and passkeys.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type HttpRequestLimits,
  parseAnnounceQuery,
  parseScrapeQuery,
} from '../core/tracker-protocol/index.js';
import {
  httpAnnounceBody,
  httpFailureBody,
  httpScrapeBody,
  isPasskey,
  type TrackerCore,
  torrentKeyFromHex,
} from '../core/tracker-server/index.js';
import type { AdminApi } from './admin-api.js';
import type { EventStream } from './event-stream.js';
import { hasBody, remoteIp, sendBytes, sendError, sendJson } from './http-util.js';
import { metricsText, type RuntimeFigures, statsJson, torrentJson } from './stats-views.js';

export interface HttpFrontDeps {
  readonly core: TrackerCore;
  readonly admin: AdminApi;
  readonly events: EventStream;
  readonly figures: () => RuntimeFigures;
  readonly metricsMaxTorrents: number;
  /** How long a /stats body is reused (it walks every torrent). */
  readonly statsCacheMs: number;
  readonly log: (line: string) => void;
}

const BENCODE = 'text/plain';

const sendBencode = (res: ServerResponse, body: Uint8Array): void =>
  sendBytes(res, 200, BENCODE, body);

export const createRequestHandler = (deps: HttpFrontDeps) => {
  const { core } = deps;
  const limits: Partial<HttpRequestLimits> = {
    defaultNumwant: core.config.defaultNumwant,
    maxNumwant: core.config.maxNumwant,
    maxScrapeHashes: core.config.maxScrapeHashes,
  };
  const statsCache = new Map<string, { at: number; body: string }>();

  const announce = (
    req: IncomingMessage,
    res: ServerResponse,
    query: string,
    passkey: string | undefined,
  ): void => {
    const parsed = parseAnnounceQuery(query, limits);
    const ip = remoteIp(req);
    if (!parsed.ok || ip === undefined) {
      core.stats.session.refused++;
      sendBencode(
        res,
        httpFailureBody(parsed.ok ? 'cannot tell your address' : parsed.error.message),
      );
      return;
    }
    const a = parsed.value;
    const r = core.announce({
      infoHash: a.infoHash,
      peerId: a.peerId,
      ip,
      port: a.port,
      left: a.left,
      event: a.event,
      numwant: a.numwant,
      passkey,
      families: 'any',
      withPeerIds: !a.compact && !a.noPeerId,
      transport: 'http',
    });
    sendBencode(
      res,
      r.ok ? httpAnnounceBody(r.value, a.compact, a.noPeerId) : httpFailureBody(r.error.message),
    );
  };

  const scrape = (res: ServerResponse, query: string, passkey: string | undefined): void => {
    const parsed = parseScrapeQuery(query, limits);
    if (!parsed.ok) {
      core.stats.session.refused++;
      sendBencode(res, httpFailureBody(parsed.error.message));
      return;
    }
    if (parsed.value.infoHashes.length === 0) {
      core.stats.session.refused++;
      sendBencode(
        res,
        httpFailureBody('a scrape names at least one info_hash (see GET /stats for all)'),
      );
      return;
    }
    const r = core.scrape(parsed.value.infoHashes, passkey, 'http');
    sendBencode(
      res,
      r.ok
        ? httpScrapeBody(r.value, core.config.minIntervalSeconds)
        : httpFailureBody(r.error.message),
    );
  };

  const stats = (res: ServerResponse, query: string): void => {
    const now = Date.now();
    const cached = statsCache.get(query);
    if (cached !== undefined && now - cached.at < deps.statsCacheMs) {
      sendBytes(res, 200, 'application/json; charset=utf-8', cached.body);
      return;
    }
    const body = `${JSON.stringify(statsJson(core, deps.figures(), new URLSearchParams(query)))}\n`;
    if (statsCache.size >= 16) statsCache.clear();
    statsCache.set(query, { at: now, body });
    sendBytes(res, 200, 'application/json; charset=utf-8', body);
  };

  const torrentStats = (res: ServerResponse, hex: string, query: string): void => {
    const key = torrentKeyFromHex(hex);
    if (key === undefined) {
      sendError(res, 'TRACKER_BAD_REQUEST', 'an info-hash is 40 or 64 hex digits');
      return;
    }
    const view = torrentJson(core, key, new URLSearchParams(query));
    if (view === undefined)
      sendError(res, 'TRACKER_NOT_FOUND', 'the tracker has no statistics for that info-hash');
    else sendJson(res, 200, view);
  };

  /** Tracker and statistics routes: GET (and HEAD) only. */
  const getRoute = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): boolean => {
    if (path === '/announce') announce(req, res, query, undefined);
    else if (path.startsWith('/announce/')) {
      const passkey = path.slice('/announce/'.length);
      if (isPasskey(passkey)) announce(req, res, query, passkey);
      else sendBencode(res, httpFailureBody('unknown passkey'));
    } else if (path === '/scrape') scrape(res, query, undefined);
    else if (path.startsWith('/scrape/')) {
      const passkey = path.slice('/scrape/'.length);
      if (isPasskey(passkey)) scrape(res, query, passkey);
      else sendBencode(res, httpFailureBody('unknown passkey'));
    } else if (path === '/stats') stats(res, query);
    else if (path.startsWith('/stats/')) torrentStats(res, path.slice('/stats/'.length), query);
    else if (path === '/metrics') {
      sendBytes(
        res,
        200,
        'text/plain; version=0.0.4; charset=utf-8',
        metricsText(core, deps.figures(), deps.metricsMaxTorrents),
      );
    } else if (path === '/events') deps.events.subscribe(req, res);
    else return false;
    return true;
  };

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (hasBody(req)) res.shouldKeepAlive = false;
    if (path.startsWith('/admin/')) {
      deps.admin.handle(req, res, path.slice('/admin/'.length));
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (getRoute(req, res, path, query)) return;
      sendError(
        res,
        'TRACKER_NOT_FOUND',
        'no such route (try /announce, /scrape, /stats, /metrics, /events)',
      );
      return;
    }
    res.setHeader('Allow', 'GET, HEAD');
    sendJson(res, 405, { error: { code: 'TRACKER_BAD_REQUEST', message: 'method not allowed' } });
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      route(req, res);
    } catch (e) {
      // A bug, not the client's doing; the message never includes the request itself.
      deps.log(`tracker: internal error answering a request: ${(e as Error).message}`);
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      else res.destroy();
    }
  };
};
