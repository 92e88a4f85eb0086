/**
 * Plain-HTTP keep-alive connections to one mirror, for web-seed range requests. Sockets read
 * into one shared buffer (`onread`): no allocation per read, reads of up to 256 KiB. A body
 * chunk handed to `onBody` is a view of that buffer, valid only until the callback returns
 * (the web seed copies blocks into piece buffers before it does). HTTPS goes through node:https
 * instead (see http-range-get.ts).
 */
import { connect, type Socket } from 'node:net';
import {
  type HttpEvent,
  type HttpHead,
  HttpResponseParser,
} from '../../core/webseed/http-response.js';

const SHARED = Buffer.allocUnsafe(256 * 1024);

export interface PooledRequest {
  /** The request line and headers, ready to write. */
  readonly head: string;
  readonly onHead: (head: HttpHead) => void;
  readonly onBody: (bytes: Uint8Array) => void;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

interface Conn {
  readonly socket: Socket;
  /** The request being answered on it, if any: bytes read, or how the connection ended. */
  current: ((bytes: Uint8Array | Error | undefined) => void) | undefined;
  /** It has carried a request already (a reused connection the server may have let go). */
  used: boolean;
  /** What an idle time-out means for the request being answered (one listener per socket). */
  onTimeout: (() => void) | undefined;
}

export class HttpPool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private closed = false;
  /** Reading is paused: sockets opened meanwhile start paused too. */
  private paused = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxIdle = 8,
  ) {}

  /** Sends one request and resolves once its whole response has been read. */
  request(r: PooledRequest): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'));
    const conn = this.idle.pop() ?? this.open();
    const reused = conn.used;
    conn.used = true;
    return this.send(conn, r).catch((e: Error & { beforeHead?: boolean }) => {
      // An idle connection the server closed meanwhile: once more, on a new one.
      if (reused && e.beforeHead === true && !r.signal.aborted && !this.closed)
        return this.send(this.open(), r);
      throw e;
    });
  }

  private send(conn: Conn, r: PooledRequest): Promise<void> {
    conn.used = true;
    return new Promise<void>((resolve, reject) => {
      const parser = new HttpResponseParser();
      let settled = false;
      let reusable = false;
      let gotHead = false;
      const settle = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        conn.current = undefined;
        conn.onTimeout = undefined;
        conn.socket.setTimeout(0);
        r.signal.removeEventListener('abort', onAbort);
        if (error === undefined && reusable && !this.closed && this.idle.length < this.maxIdle) {
          this.idle.push(conn);
        } else {
          this.drop(conn);
        }
        if (error === undefined) resolve();
        else reject(Object.assign(error, { beforeHead: !gotHead }));
      };
      const onEvent = (e: HttpEvent): void => {
        if (settled) return;
        if (e.kind === 'head') {
          gotHead = true;
          reusable = e.keepAlive;
          r.onHead(e);
        } else if (e.kind === 'body') r.onBody(e.bytes);
        else if (e.kind === 'end') settle(undefined);
        else settle(new Error(e.message));
      };
      const onAbort = (): void => settle(new Error('aborted'));
      r.signal.addEventListener('abort', onAbort);
      conn.current = (bytes) => {
        try {
          if (bytes instanceof Error) settle(bytes);
          else if (bytes === undefined) parser.close(onEvent);
          else parser.feed(bytes, onEvent);
        } catch (e) {
          // A callback threw (the web seed refused the answer): the connection is done for.
          settle(e as Error);
        }
      };
      conn.onTimeout = () => settle(new Error(`no answer for ${r.timeoutMs / 1000} s`));
      conn.socket.setTimeout(r.timeoutMs);
      conn.socket.write(r.head);
    });
  }

  /** The body chunk reading pauses (disk behind, rate limit) or goes on, for every socket. */
  pause(paused: boolean): void {
    this.paused = paused;
    for (const c of this.all) {
      if (paused) c.socket.pause();
      else c.socket.resume();
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Conn {
    const conn: Conn = {
      socket: undefined as unknown as Socket,
      current: undefined,
      used: false,
      onTimeout: undefined,
    };
    const socket = connect({
      host: this.host,
      port: this.port,
      onread: {
        buffer: SHARED,
        callback: (n: number, buffer: Uint8Array) => {
          conn.current?.(buffer.subarray(0, n));
          return true;
        },
      },
    });
    (conn as { socket: Socket }).socket = socket;
    socket.setNoDelay(true);
    if (this.paused) socket.pause();
    socket.on('timeout', () => conn.onTimeout?.());
    let failure: Error | undefined;
    const gone = (): void => {
      this.drop(conn);
      conn.current?.(failure);
    };
    socket.on('error', (e) => {
      failure = e;
      gone();
    });
    socket.on('close', gone);
    socket.on('end', gone);
    this.all.add(conn);
    return conn;
  }

  private drop(conn: Conn): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.all.delete(conn)) conn.socket.destroy();
  }
}
