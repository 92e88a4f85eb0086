/** Sends one body over HTTP with range and conditional handling (see http-range.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { planResponse, type Validators } from './http-range.js';

export interface Body {
  readonly size: number;
  readonly contentType: string;
  readonly validators: Validators;
  /** Bytes start to end, inclusive, as a stream... */
  open?(start: number, end: number): Readable;
  /** ...or written straight into the response (then ended). */
  send?(start: number, end: number, res: ServerResponse): Promise<void>;
}

/**
 * Headers every file answer carries: a file is data, never a page that runs script in our
 * origin (a sandboxed document still plays media opened directly).
 */
const SAFE = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
};

export const sendRange = (req: IncomingMessage, res: ServerResponse, body: Body): void => {
  const plan = planResponse(req.headers, body.size, body.validators, body.contentType);
  res.writeHead(plan.status, { ...SAFE, ...plan.headers });
  if (req.method === 'HEAD' || plan.range === undefined) {
    res.end();
    return;
  }
  if (body.send !== undefined) {
    void body.send(plan.range.start, plan.range.end, res);
    return;
  }
  // A client that goes away (a seek, a closed tab) destroys the source and its piece waits.
  if (body.open !== undefined) pipeline(body.open(plan.range.start, plan.range.end), res, () => {});
  else res.end();
};

/** A plain answer with a short text body. */
export const sendText = (
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
};

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
