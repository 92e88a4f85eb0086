/**
 * Test helpers: `inject` runs one request through the HTTP request handler in-process (no
 * socket), like Fastify's inject, with a chosen sender address; and raw UDP exchanges.
 */
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface InjectRequest {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly remoteAddress?: string;
}

export interface InjectResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly text: string;
  /** The handler asked for the connection to close after this reply. */
  readonly closeAfter: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const lowerHeaders = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

export const inject = (handler: Handler, request: InjectRequest): Promise<InjectResponse> =>
  new Promise((resolve, reject) => {
    const req = Object.assign(new EventEmitter(), {
      url: request.url,
      method: request.method ?? 'GET',
      headers: lowerHeaders(request.headers ?? {}),
      socket: { remoteAddress: request.remoteAddress ?? '127.0.0.1' },
    });
    const headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let status = 200;
    const res = Object.assign(new EventEmitter(), {
      headersSent: false,
      shouldKeepAlive: true,
      writableLength: 0,
      setHeader(name: string, value: string) {
        headers[name.toLowerCase()] = String(value);
      },
      writeHead(code: number, h?: string[] | Record<string, string>) {
        status = code;
        res.headersSent = true;
        if (Array.isArray(h)) {
          for (let i = 0; i + 1 < h.length; i += 2)
            headers[(h[i] as string).toLowerCase()] = h[i + 1] as string;
        } else if (h !== undefined) Object.assign(headers, lowerHeaders(h));
        return res;
      },
      write(chunk: string | Uint8Array) {
        if (!res.headersSent) res.writeHead(status);
        chunks.push(Buffer.from(chunk));
        return true;
      },
      end(chunk?: string | Uint8Array) {
        if (chunk !== undefined) res.write(chunk);
        else if (!res.headersSent) res.writeHead(status);
        const body = Buffer.concat(chunks);
        resolve({
          status,
          headers,
          body,
          text: body.toString('latin1'),
          closeAfter: !res.shouldKeepAlive,
        });
        return res;
      },
      destroy() {
        reject(new Error('response destroyed'));
      },
    });
    try {
      handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    } catch (e) {
      reject(e);
    }
  });

/** A UDP client socket on 127.0.0.1 that collects every reply. */
export class UdpProbe {
  readonly replies: Buffer[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('message', (m: Buffer) => {
      this.replies.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(): Promise<UdpProbe> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpProbe(socket);
  }

  send(packet: Uint8Array, port: number): void {
    this.socket.send(packet, port, '127.0.0.1');
  }

  /** Sends and waits for the next reply (undefined after `timeoutMs`). */
  async exchange(packet: Uint8Array, port: number, timeoutMs = 1000): Promise<Buffer | undefined> {
    const before = this.replies.length;
    this.send(packet, port);
    return this.nextReply(before, timeoutMs);
  }

  /** Waits until there are more than `count` replies; the first new one, or undefined. */
  nextReply(count: number, timeoutMs = 1000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        resolve(undefined);
      }, timeoutMs);
      const check = (): void => {
        if (done) return;
        if (this.replies.length > count) {
          done = true;
          clearTimeout(timer);
          resolve(this.replies[count]);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
