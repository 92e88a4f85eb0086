/**
 * An HTTP/1.1 response reader for web seeds (RFC 9112), sans I/O: bytes in, events out. It
 * reads the status line and headers (bounded), then a body framed by Content-Length, chunked
 * transfer coding, or the end of the connection, handing body bytes out as views of the input
 * (no copy). Interim 1xx answers are skipped. Anything malformed is an error, never a throw.
 */

export interface HttpHead {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  /** The connection may carry another request after this one. */
  readonly keepAlive: boolean;
}

export type HttpEvent =
  | ({ readonly kind: 'head' } & HttpHead)
  | { readonly kind: 'body'; readonly bytes: Uint8Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

export interface HttpLimits {
  /** Status line and headers together, at most. */
  readonly maxHead: number;
  readonly maxHeaders: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxHead: 16 * 1024, maxHeaders: 100 };

type State =
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-end'
  | 'trailers'
  | 'until-close'
  | 'done'
  | 'failed';

const CR = 13;
const LF = 10;
const MAX_LINE = 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class HttpResponseParser {
  private state: State = 'head';
  private line: number[] = [];
  private head: number[] = [];
  private left = 0;
  private keepAlive = false;
  private trailerBytes = 0;

  constructor(
    /** The request was HEAD: no body follows whatever the headers say. */
    private readonly headRequest = false,
    private readonly limits: HttpLimits = DEFAULT_HTTP_LIMITS,
  ) {}

  /** The whole response has been read. */
  get done(): boolean {
    return this.state === 'done';
  }

  feed(chunk: Uint8Array, emit: (e: HttpEvent) => void): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'done' && this.state !== 'failed') {
      switch (this.state) {
        case 'head':
          at = this.readHead(chunk, at, emit);
          break;
        case 'length':
        case 'chunk-data': {
          const take = Math.min(this.left, chunk.length - at);
          emit({ kind: 'body', bytes: chunk.subarray(at, at + take) });
          at += take;
          this.left -= take;
          if (this.left === 0) this.afterData(emit);
          break;
        }
        case 'until-close':
          emit({ kind: 'body', bytes: chunk.subarray(at) });
          at = chunk.length;
          break;
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers':
          at = this.readLine(chunk, at, emit);
          break;
      }
    }
    if (at < chunk.length && this.state === 'done')
      this.fail(emit, 'bytes after the end of the response');
  }

  /** The connection ended: the end of a body read until close, an error otherwise. */
  close(emit: (e: HttpEvent) => void): void {
    if (this.state === 'until-close') {
      this.state = 'done';
      emit({ kind: 'end' });
    } else if (this.state !== 'done' && this.state !== 'failed') {
      this.fail(emit, 'the connection closed in the middle of the response');
    }
  }

  private fail(emit: (e: HttpEvent) => void, message: string): void {
    this.state = 'failed';
    emit({ kind: 'error', message });
  }

  private readHead(chunk: Uint8Array, start: number, emit: (e: HttpEvent) => void): number {
    for (let at = start; at < chunk.length; at++) {
      const byte = chunk[at] as number;
      this.head.push(byte);
      if (this.head.length > this.limits.maxHead) {
        this.fail(emit, `response headers over ${this.limits.maxHead} bytes`);
        return chunk.length;
      }
      const n = this.head.length;
      if (byte === LF && n >= 4 && this.head[n - 2] === CR && this.head[n - 3] === LF) {
        const text = String.fromCharCode(...this.head.slice(0, n - 4));
        this.head = [];
        this.onHead(text, emit);
        return at + 1;
      }
    }
    return chunk.length;
  }

  private onHead(text: string, emit: (e: HttpEvent) => void): void {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0] ?? '');
    if (m === null) return this.fail(emit, 'not an HTTP/1.x status line');
    const status = Number(m[2]);
    if (lines.length - 1 > this.limits.maxHeaders)
      return this.fail(emit, `more than ${this.limits.maxHeaders} headers`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (colon <= 0 || !TOKEN.test(name)) return this.fail(emit, 'a malformed header line');
      const value = line.slice(colon + 1).trim();
      const before = headers.get(name);
      headers.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    // 1xx: an interim answer; the real one follows.
    if (status >= 100 && status < 200) return;
    const connection = (headers.get('connection') ?? '').toLowerCase();
    this.keepAlive =
      m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const chunked = /\bchunked\s*$/i.test(headers.get('transfer-encoding') ?? '');
    const lengthText = headers.get('content-length');
    let length: number | undefined;
    if (lengthText !== undefined) {
      const parts = new Set(lengthText.split(',').map((p) => p.trim()));
      const only = [...parts][0] ?? '';
      if (parts.size !== 1 || !/^\d{1,15}$/.test(only))
        return this.fail(emit, `a bad Content-Length: ${lengthText.slice(0, 40)}`);
      length = Number(only);
    }
    emit({ kind: 'head', status, headers, keepAlive: this.keepAlive });
    if (this.headRequest || status === 204 || status === 304) return this.finish(emit);
    if (chunked) {
      this.state = 'chunk-size';
    } else if (length !== undefined) {
      this.left = length;
      this.state = 'length';
      if (length === 0) this.finish(emit);
    } else {
      this.keepAlive = false;
      this.state = 'until-close';
    }
  }

  private afterData(emit: (e: HttpEvent) => void): void {
    if (this.state === 'length') this.finish(emit);
    else this.state = 'chunk-end';
  }

  private finish(emit: (e: HttpEvent) => void): void {
    this.state = 'done';
    emit({ kind: 'end' });
  }

  /** Reads one CRLF-ended line for the chunked coding's framing. */
  private readLine(chunk: Uint8Array, start: number, emit: (e: HttpEvent) => void): number {
    for (let at = start; at < chunk.length; at++) {
      const byte = chunk[at] as number;
      if (byte !== LF) {
        this.line.push(byte);
        if (this.line.length > MAX_LINE) {
          this.fail(emit, 'a chunk line over 1 KiB');
          return chunk.length;
        }
        continue;
      }
      if (this.line[this.line.length - 1] === CR) this.line.pop();
      const text = String.fromCharCode(...this.line);
      this.line = [];
      this.onLine(text, emit);
      return at + 1;
    }
    return chunk.length;
  }

  private onLine(text: string, emit: (e: HttpEvent) => void): void {
    if (this.state === 'chunk-end') {
      if (text !== '') return this.fail(emit, 'chunk data longer than its size');
      this.state = 'chunk-size';
      return;
    }
    if (this.state === 'trailers') {
      this.trailerBytes += text.length + 2;
      if (this.trailerBytes > this.limits.maxHead) return this.fail(emit, 'trailers too long');
      if (text === '') this.finish(emit);
      return;
    }
    const size = /^([0-9A-Fa-f]{1,12})(?:;.*)?$/.exec(text.trim());
    if (size === null) return this.fail(emit, 'a bad chunk size');
    this.left = Number.parseInt(size[1] as string, 16);
    this.state = this.left === 0 ? 'trailers' : 'chunk-data';
  }
}
