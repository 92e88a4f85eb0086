/**
 * Small HTTP helpers for the tracker's node:http front: the one map from error codes to HTTP
 * statuses, replies with a fixed body, and the sender's address parsed once per connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type IpAddress, parseIp, unmapIpv4 } from '../core/tracker-protocol/address.js';
import type { ErrorCode } from '../lib/errors.js';

/** HTTP status per error code, for the JSON routes (announce and scrape always answer 200 with
 * a BEP 3 failure reason, which is what clients read). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  TRACKER_BAD_REQUEST: 400,
  TRACKER_UNAUTHORIZED: 401,
  TRACKER_NOT_ALLOWED: 403,
  TRACKER_BAD_PASSKEY: 403,
  TRACKER_NOT_FOUND: 404,
  TRACKER_FULL: 503,
};

export const statusOf = (code: ErrorCode): number => STATUS[code] ?? 500;

const addresses = new WeakMap<Socket, IpAddress | null>();

/** The peer's address (IPv4-mapped IPv6 unmapped), parsed once per connection. */
export const remoteIp = (req: IncomingMessage): IpAddress | undefined => {
  const socket = req.socket;
  let ip = addresses.get(socket);
  if (ip === undefined) {
    const text = socket.remoteAddress;
    const parsed = text === undefined ? undefined : parseIp(text);
    ip = parsed === undefined ? null : unmapIpv4(parsed);
    addresses.set(socket, ip);
  }
  return ip ?? undefined;
};

export const sendBytes = (
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array | string,
): void => {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(status, ['Content-Type', contentType, 'Content-Length', String(length)]);
  res.end(body);
};

export const sendJson = (res: ServerResponse, status: number, value: unknown): void => {
  sendBytes(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
};

export const sendError = (res: ServerResponse, code: ErrorCode, message: string): void => {
  sendJson(res, statusOf(code), { error: { code, message } });
};

/** A request that carries a body: tracker routes never read one, so the connection is closed
 * after the reply rather than reading an unbounded body to keep it alive. */
export const hasBody = (req: IncomingMessage): boolean => {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
};
