/**
 * One HTTP(S) tracker exchange (BEP 3 announce, BEP 48 scrape) with node:http and node:https:
 * a GET with a deadline covering the whole exchange, a capped body, at most a few redirects
 * (http and https only), and the reply parsed by the pure codecs of core/tracker-protocol.
 * Errors are FanseedErrors: TRACKER_FAILURE (the tracker's failure reason),
 * TRACKER_BAD_RESPONSE (malformed, oversized, redirect loops), TRACKER_BAD_REQUEST (a URL we
 * cannot use), IO_FAILED (network errors, time-outs, cancellation).
 */
import http from 'node:http';
import https from 'node:https';
import {
  type AnnounceParams,
  type AnnounceResponse,
  buildAnnounceUrl,
  buildScrapeUrl,
  parseAnnounceResponse,
  parseScrapeResponse,
  type ScrapeResponse,
  scrapeUrlFor,
} from '../../core/tracker-protocol/index.js';
import { type ErrorValue, FanseedError, unwrap } from '../../lib/errors.js';
import type { InfoHashV1 } from '../../lib/ids.js';
import type { Result } from '../../lib/result.js';

export interface HttpTrackerOptions {
  /** The whole exchange, redirects included, must end within this. */
  readonly timeoutMs?: number;
  /** A body larger than this is refused (and the connection dropped as soon as it is seen). */
  readonly maxBodyBytes?: number;
  /** Redirects followed before giving up. */
  readonly maxRedirects?: number;
  /** Cancels the exchange (IO_FAILED). */
  readonly signal?: AbortSignal;
}

type Settings = Required<Omit<HttpTrackerOptions, 'signal'>>;

export const HTTP_TRACKER_DEFAULTS: Settings = {
  timeoutMs: 15_000,
  maxBodyBytes: 2 * 1024 * 1024,
  maxRedirects: 3,
};

const USER_AGENT = 'fanseed';

type Reply =
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'body'; readonly status: number; readonly body: Uint8Array };

const trackerUrl = (text: string, code: 'TRACKER_BAD_REQUEST' | 'TRACKER_BAD_RESPONSE'): URL => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FanseedError(code, `not a URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FanseedError(code, `not an http(s) URL: ${url.protocol}//${url.host}`);
  }
  return url;
};

const ioError = (e: unknown, url: URL): FanseedError =>
  e instanceof FanseedError
    ? e
    : new FanseedError(
        'IO_FAILED',
        `tracker ${url.host}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );

/** One GET. Never resolves after `signal` aborts; rejects with its reason instead. */
const getOnce = (url: URL, maxBody: number, signal: AbortSignal): Promise<Reply> =>
  new Promise<Reply>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, reply?: Reply): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (reply === undefined) {
        req.destroy();
        reject(ioError(error, url));
      } else {
        resolve(reply);
      }
    };
    const onAbort = (): void => finish(signal.reason);
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.get(
      url,
      {
        // A fresh connection each time: announces are minutes apart, and nothing lingers.
        agent: false,
        headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', connection: 'close' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location !== undefined) {
          res.resume();
          finish(undefined, { kind: 'redirect', location });
          req.destroy();
          return;
        }
        const tooBig = (): void =>
          finish(new FanseedError('TRACKER_BAD_RESPONSE', `response larger than ${maxBody} bytes`));
        if (Number(res.headers['content-length'] ?? 0) > maxBody) return tooBig();
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > maxBody) tooBig();
          else chunks.push(chunk);
        });
        res.on('end', () =>
          finish(undefined, { kind: 'body', status, body: Buffer.concat(chunks) }),
        );
        res.on('error', (e) => finish(e));
        res.on('close', () => {
          if (!res.complete) finish(new Error('connection closed before the end of the response'));
        });
      },
    );
    req.on('error', (e) => finish(e));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });

/** GETs `start`, following redirects, within the deadline. */
const get = async (
  start: URL,
  options: HttpTrackerOptions,
): Promise<{ status: number; body: Uint8Array }> => {
  const s: Settings = { ...HTTP_TRACKER_DEFAULTS, ...options };
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new FanseedError(
          'IO_FAILED',
          `tracker ${start.host} did not answer within ${s.timeoutMs} ms`,
        ),
      ),
    s.timeoutMs,
  );
  const outer = options.signal;
  const cancel = (): void =>
    controller.abort(new FanseedError('IO_FAILED', `announce to ${start.host} cancelled`));
  if (outer?.aborted) cancel();
  else outer?.addEventListener('abort', cancel, { once: true });
  try {
    let url = start;
    for (let redirects = 0; ; redirects++) {
      const reply = await getOnce(url, s.maxBodyBytes, controller.signal);
      if (reply.kind === 'body') return reply;
      if (redirects >= s.maxRedirects) {
        throw new FanseedError(
          'TRACKER_BAD_RESPONSE',
          `tracker ${start.host} redirected more than ${s.maxRedirects} times`,
        );
      }
      let next: string;
      try {
        next = new URL(reply.location, url).href;
      } catch {
        throw new FanseedError('TRACKER_BAD_RESPONSE', `bad redirect location ${reply.location}`);
      }
      url = trackerUrl(next, 'TRACKER_BAD_RESPONSE');
    }
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', cancel);
  }
};

/**
 * A body parsed by `parse`. A status other than 2xx is an error, but the tracker's own
 * failure reason, if the body carries one, is the better message.
 */
const interpret = <T>(
  reply: { status: number; body: Uint8Array },
  parse: (body: Uint8Array) => Result<T, ErrorValue>,
): T => {
  const parsed = parse(reply.body);
  if (reply.status >= 200 && reply.status < 300) return unwrap(parsed);
  if (!parsed.ok && parsed.error.code === 'TRACKER_FAILURE') throw FanseedError.from(parsed.error);
  throw new FanseedError('TRACKER_BAD_RESPONSE', `tracker answered HTTP ${reply.status}`);
};

/** One announce: `params` sent to `announceUrl` (whose own query, a passkey, is kept). */
export const httpAnnounce = async (
  announceUrl: string,
  params: AnnounceParams,
  options: HttpTrackerOptions = {},
): Promise<AnnounceResponse> => {
  const url = trackerUrl(unwrap(buildAnnounceUrl(announceUrl, params)), 'TRACKER_BAD_REQUEST');
  const maxBytes = options.maxBodyBytes ?? HTTP_TRACKER_DEFAULTS.maxBodyBytes;
  const reply = await get(url, options);
  return interpret(reply, (body) => parseAnnounceResponse(body, { maxBytes }));
};

/**
 * One scrape of `infoHashes` at the scrape URL of `announceUrl` (BEP 48 convention);
 * TRACKER_BAD_REQUEST when the announce URL has none.
 */
export const httpScrape = async (
  announceUrl: string,
  infoHashes: readonly InfoHashV1[],
  options: HttpTrackerOptions = {},
): Promise<ScrapeResponse> => {
  const scrape = scrapeUrlFor(announceUrl);
  if (scrape === undefined) {
    throw new FanseedError('TRACKER_BAD_REQUEST', `no scrape URL for ${announceUrl} (BEP 48)`);
  }
  const url = trackerUrl(buildScrapeUrl(scrape, infoHashes), 'TRACKER_BAD_REQUEST');
  const maxBytes = options.maxBodyBytes ?? HTTP_TRACKER_DEFAULTS.maxBodyBytes;
  const reply = await get(url, options);
  return interpret(reply, (body) => parseScrapeResponse(body, { maxBytes }));
};
