/**
 * One HTTP(S) GET of a byte range, for web seeds: follows a few redirects, checks that the
 * answer is the range asked for (206 with a matching Content-Range, or 200 for a whole file),
 * and hands the body over chunk by chunk, never more bytes than asked for.
 */
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { HttpPool } from './http-pool.js';

export interface RangeGet {
  readonly url: string;
  /** Bytes [start, end) of the resource. */
  readonly start: number;
  readonly end: number;
  /** Length of the whole file as the torrent says (checked against Content-Range). */
  readonly fileLength: number;
  /** HTTPS goes through node:https with these agents... */
  readonly agents: { readonly https: https.Agent };
  /** ...plain HTTP through our own keep-alive connections, one pool per host:port. */
  readonly pool: (host: string, port: number) => HttpPool;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

/** Why a range could not be fetched; `fatal`: asking this mirror again is pointless. */
export class RangeGetError extends Error {
  constructor(
    message: string,
    readonly fatal: boolean,
    /** How long the mirror asked us to wait (Retry-After on a 429 or 503), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Longest Retry-After honoured: a mirror cannot park us for longer. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`. */
export const retryAfterMs = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  const text = value.trim();
  const ms = /^\d{1,9}$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
};

const MAX_REDIRECTS = 5;

export interface RangeBody {
  /** Called with each chunk of the body, in order. */
  readonly onChunk: (chunk: Uint8Array) => void;
  /** The response, once it checked out (to pause and resume reading it); HTTPS only. */
  readonly onResponse?: (res: IncomingMessage) => void;
}

/** Resolves once every byte of the range has been handed to `onChunk`. */
export const getRange = (get: RangeGet, body: RangeBody, abort: AbortSignal): Promise<void> =>
  attempt(get, get.url, body, abort, 0);

const attempt = (
  get: RangeGet,
  url: string,
  body: RangeBody,
  abort: AbortSignal,
  redirects: number,
): Promise<void> =>
  new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new RangeGetError(`not a URL: ${url}`, true));
      return;
    }
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
      reject(new RangeGetError(`not an http(s) URL: ${url}`, true));
      return;
    }
    if (!secure) {
      plainGet(get, target, body, abort, redirects).then(resolve, reject);
      return;
    }
    const req = https.request(target, {
      method: 'GET',
      agent: get.agents.https,
      signal: abort,
      headers: {
        range: `bytes=${get.start}-${get.end - 1}`,
        'accept-encoding': 'identity',
        'user-agent': get.userAgent,
      },
    });
    req.setTimeout(get.timeoutMs, () =>
      req.destroy(new RangeGetError(`no answer for ${get.timeoutMs / 1000} s`, false)),
    );
    req.on('error', (e) =>
      reject(e instanceof RangeGetError ? e : new RangeGetError(e.message, false)),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        redirect(get, target, res.headers.location, body, abort, redirects).then(resolve, reject);
        return;
      }
      const problem = checkResponse(
        get,
        status,
        res.headers['content-range'],
        res.headers['retry-after'],
      );
      if (problem !== undefined) {
        res.resume();
        reject(problem);
        return;
      }
      body.onResponse?.(res);
      const count = new BodyCount(get.end - get.start, body.onChunk);
      res.on('data', (chunk: Buffer) => {
        try {
          count.take(chunk);
        } catch (e) {
          res.destroy(e as Error);
        }
      });
      res.on('error', (e) =>
        reject(e instanceof RangeGetError ? e : new RangeGetError(e.message, false)),
      );
      res.on('end', () => {
        const short = count.short();
        if (short === undefined) resolve();
        else reject(short);
      });
    });
    req.end();
  });

const redirect = (
  get: RangeGet,
  from: URL,
  location: string,
  body: RangeBody,
  abort: AbortSignal,
  redirects: number,
): Promise<void> => {
  if (redirects >= MAX_REDIRECTS)
    return Promise.reject(new RangeGetError('too many redirects', true));
  return attempt(get, new URL(location, from).toString(), body, abort, redirects + 1);
};

/** Hands body chunks on while they stay within the range asked for. */
class BodyCount {
  private got = 0;

  constructor(
    private readonly want: number,
    private readonly onChunk: (chunk: Uint8Array) => void,
  ) {}

  /** Throws (fatal) on a byte more than asked for. */
  take(chunk: Uint8Array): void {
    if (this.got + chunk.length > this.want)
      throw new RangeGetError(`the mirror sent more than the ${this.want} bytes asked for`, true);
    this.got += chunk.length;
    this.onChunk(chunk);
  }

  /** The error for an answer that ended short, if it did. */
  short(): RangeGetError | undefined {
    return this.got === this.want
      ? undefined
      : new RangeGetError(`the answer ended after ${this.got} of ${this.want} bytes`, false);
  }
}

const requestHead = (get: RangeGet, target: URL): string =>
  `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
  `Range: bytes=${get.start}-${get.end - 1}\r\nAccept-Encoding: identity\r\n` +
  `User-Agent: ${get.userAgent.replace(/[^\x20-\x7e]/g, '')}\r\n\r\n`;

/** Plain HTTP through the pool: body bytes are views of a shared read buffer (see HttpPool). */
const plainGet = async (
  get: RangeGet,
  target: URL,
  body: RangeBody,
  abort: AbortSignal,
  redirects: number,
): Promise<void> => {
  const port = target.port === '' ? 80 : Number(target.port);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const count = new BodyCount(get.end - get.start, body.onChunk);
  let location: string | undefined;
  let problem: RangeGetError | undefined;
  try {
    await get.pool(host, port).request({
      head: requestHead(get, target),
      timeoutMs: get.timeoutMs,
      signal: abort,
      onHead: (h) => {
        const where = h.headers.get('location');
        if (h.status >= 300 && h.status < 400 && where !== undefined) location = where;
        else
          problem = checkResponse(
            get,
            h.status,
            h.headers.get('content-range'),
            h.headers.get('retry-after'),
          );
        if (problem !== undefined) throw problem;
      },
      onBody: (bytes) => {
        if (location === undefined) count.take(bytes);
      },
    });
  } catch (e) {
    if (e instanceof RangeGetError) throw e;
    throw new RangeGetError((e as Error).message, false);
  }
  if (location !== undefined) return redirect(get, target, location, body, abort, redirects);
  const short = count.short();
  if (short !== undefined) throw short;
};

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

const checkResponse = (
  get: RangeGet,
  status: number,
  contentRange: string | undefined,
  retryAfter?: string | undefined,
): RangeGetError | undefined => {
  if (status === 200) {
    // A server that ignores Range is fine only when the whole file was asked for.
    if (get.start === 0 && get.end === get.fileLength) return undefined;
    return new RangeGetError('the mirror ignores range requests', true);
  }
  if (status === 206) {
    const m = CONTENT_RANGE.exec(contentRange ?? '');
    if (m === null) return new RangeGetError('206 without a valid Content-Range', true);
    if (Number(m[1]) !== get.start || Number(m[2]) !== get.end - 1)
      return new RangeGetError(
        `the mirror sent range ${m[1]}-${m[2]}, not the one asked for`,
        true,
      );
    if (m[3] !== '*' && Number(m[3]) !== get.fileLength)
      return new RangeGetError(
        `the mirror's file is ${m[3]} bytes, the torrent says ${get.fileLength}`,
        true,
      );
    return undefined;
  }
  // Gone for good; anything else (429, 5xx, ...) may pass.
  const fatal =
    status === 404 || status === 410 || status === 403 || status === 401 || status === 416;
  const wait = status === 429 || status === 503 ? retryAfterMs(retryAfter, Date.now()) : undefined;
  return new RangeGetError(`HTTP ${status}`, fatal, wait);
};
