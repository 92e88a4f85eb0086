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
const JSON_TYPE = 'application/json; charset=utf-8';

const sendBencode = (res: ServerResponse, body: Uint8Array): void =>
  sendBytes(res, 200, BENCODE, body);

/** Routes requests; `handle` is the node:http request listener. */
class HttpFront {
  private readonly core: TrackerCore;
  private readonly limits: Partial<HttpRequestLimits>;
  private readonly statsCache = new Map<string, { at: number; body: string }>();

  constructor(private readonly deps: HttpFrontDeps) {
    this.core = deps.core;
    this.limits = {
      defaultNumwant: this.core.config.defaultNumwant,
      maxNumwant: this.core.config.maxNumwant,
      maxScrapeHashes: this.core.config.maxScrapeHashes,
    };
  }

  private announce(
    req: IncomingMessage,
    res: ServerResponse,
    query: string,
    passkey: string | undefined,
  ): void {
    const core = this.core;
    const parsed = parseAnnounceQuery(query, this.limits);
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
  }

  private scrape(res: ServerResponse, query: string, passkey: string | undefined): void {
    const core = this.core;
    const parsed = parseScrapeQuery(query, this.limits);
    if (!parsed.ok || parsed.value.infoHashes.length === 0) {
      core.stats.session.refused++;
      const reason = parsed.ok
        ? 'a scrape names at least one info_hash (see GET /stats for all)'
        : parsed.error.message;
      sendBencode(res, httpFailureBody(reason));
      return;
    }
    const r = core.scrape(parsed.value.infoHashes, passkey, 'http');
    sendBencode(
      res,
      r.ok
        ? httpScrapeBody(r.value, core.config.minIntervalSeconds)
        : httpFailureBody(r.error.message),
    );
  }

  /** GET /stats walks every torrent: its body is reused for `statsCacheMs`. */
  private stats(res: ServerResponse, query: string): void {
    const now = Date.now();
    const cached = this.statsCache.get(query);
    let body = cached?.body;
    if (cached === undefined || now - cached.at >= this.deps.statsCacheMs) {
      const view = statsJson(this.core, this.deps.figures(), new URLSearchParams(query));
      body = `${JSON.stringify(view)}\n`;
      if (this.statsCache.size >= 16) this.statsCache.clear();
      this.statsCache.set(query, { at: now, body });
    }
    sendBytes(res, 200, JSON_TYPE, body as string);
  }

  private torrentStats(res: ServerResponse, hex: string, query: string): void {
    const key = torrentKeyFromHex(hex);
    if (key === undefined) {
      sendError(res, 'TRACKER_BAD_REQUEST', 'an info-hash is 40 or 64 hex digits');
      return;
    }
    const view = torrentJson(this.core, key, new URLSearchParams(query));
    if (view === undefined) {
      sendError(res, 'TRACKER_NOT_FOUND', 'the tracker has no statistics for that info-hash');
    } else sendJson(res, 200, view);
  }

  /** The part after a route's "/" is a passkey, or the request is refused. */
  private withPasskey(res: ServerResponse, passkey: string, then: (passkey: string) => void): void {
    if (isPasskey(passkey)) then(passkey);
    else sendBencode(res, httpFailureBody('unknown passkey'));
  }

  /** Tracker and statistics routes (GET and HEAD); false when none matches. */
  private getRoute(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): boolean {
    if (path === '/announce') this.announce(req, res, query, undefined);
    else if (path.startsWith('/announce/')) {
      this.withPasskey(res, path.slice(10), (k) => this.announce(req, res, query, k));
    } else if (path === '/scrape') this.scrape(res, query, undefined);
    else if (path.startsWith('/scrape/')) {
      this.withPasskey(res, path.slice(8), (k) => this.scrape(res, query, k));
    } else if (path === '/stats') this.stats(res, query);
    else if (path.startsWith('/stats/')) this.torrentStats(res, path.slice(7), query);
    else if (path === '/metrics') {
      const text = metricsText(this.core, this.deps.figures(), this.deps.metricsMaxTorrents);
      sendBytes(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text);
    } else if (path === '/events') this.deps.events.subscribe(req, res);
    else return false;
    return true;
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (hasBody(req)) res.shouldKeepAlive = false;
    if (path.startsWith('/admin/')) {
      this.deps.admin.handle(req, res, path.slice('/admin/'.length));
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: { code: 'TRACKER_BAD_REQUEST', message: 'method not allowed' } });
    } else if (!this.getRoute(req, res, path, query)) {
      const message = 'no such route (try /announce, /scrape, /stats, /metrics, /events)';
      sendError(res, 'TRACKER_NOT_FOUND', message);
    }
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      this.route(req, res);
    } catch (e) {
      // A bug, not the client's doing; the message never includes the request itself.
      this.deps.log(`tracker: internal error answering a request: ${(e as Error).message}`);
      if (!res.headersSent) {
        sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      } else res.destroy();
    }
  };
}

/** The node:http request listener of the tracker. */
export const createRequestHandler = (deps: HttpFrontDeps) => new HttpFront(deps).handle;
