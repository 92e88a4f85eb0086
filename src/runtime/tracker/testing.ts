import assert from 'node:assert/strict';
/**
 * In-process fake trackers for the tracker-client tests only (as lib/testing.ts): an HTTP one
 * and a UDP one on 127.0.0.1, port 0, built on our own tracker-protocol codecs. By default
 * each keeps a tiny swarm (peers by info-hash, seen at 127.0.0.1 and the announced port) and
 * answers like a real tracker; a test swaps `respond` / `handle` to misbehave.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AnnounceRequest,
  decodeUdpRequest,
  encodeAnnounceResponse,
  encodeFailureResponse,
  encodeScrapeResponse,
  encodeUdpResponse,
  type PeerAddress,
  parseAnnounceQuery,
  parseIpv4,
  parseScrapeQuery,
  type UdpRequest,
  type UdpResponse,
} from '../../core/tracker-protocol/index.js';
import { bytesToBinary } from '../../lib/bytes.js';
import { FanseedError } from '../../lib/errors.js';
import type { InfoHashV1 } from '../../lib/ids.js';

const LOOPBACK = parseIpv4('127.0.0.1') as PeerAddress['ip'];

/** Peers by info-hash, as a tracker keeps them (stopped removes). */
export class FakeSwarm {
  private readonly torrents = new Map<string, Map<number, PeerAddress>>();

  announce(infoHash: InfoHashV1, port: number, event: string): PeerAddress[] {
    const key = bytesToBinary(infoHash);
    let peers = this.torrents.get(key);
    if (peers === undefined) {
      peers = new Map();
      this.torrents.set(key, peers);
    }
    if (event === 'stopped') peers.delete(port);
    else peers.set(port, { ip: LOOPBACK, port });
    return [...peers.values()].filter((p) => p.port !== port);
  }

  count(infoHash: InfoHashV1): number {
    return this.torrents.get(bytesToBinary(infoHash))?.size ?? 0;
  }
}

export interface HttpRequestSeen {
  readonly path: string;
  readonly query: string;
  /** The announce as parsed, if the path was an announce and it parsed. */
  readonly announce: AnnounceRequest | undefined;
}

export type HttpResponder = (
  seen: HttpRequestSeen,
  req: IncomingMessage,
  res: ServerResponse,
) => void;

export interface FakeHttpTracker {
  /** http://127.0.0.1:PORT/announce */
  readonly url: string;
  readonly origin: string;
  readonly requests: HttpRequestSeen[];
  readonly swarm: FakeSwarm;
  respond: HttpResponder;
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: Uint8Array): void => {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
};

const unwrapBody = (r: { ok: true; value: Uint8Array } | { ok: false }): Uint8Array => {
  if (!r.ok) throw new Error('fake tracker could not encode its reply');
  return r.value;
};

/** A real tracker's behaviour: announce (compact) and BEP 48 scrape. */
export const swarmResponder =
  (swarm: FakeSwarm, interval = 1800): HttpResponder =>
  (seen, _req, res) => {
    if (seen.path.endsWith('/scrape')) {
      const q = parseScrapeQuery(seen.query);
      if (!q.ok) return send(res, 200, unwrapBody(encodeFailureResponse(q.error.message)));
      const files = q.value.infoHashes.map((infoHash) => ({
        infoHash,
        complete: 0,
        downloaded: 0,
        incomplete: swarm.count(infoHash),
      }));
      return send(res, 200, unwrapBody(encodeScrapeResponse({ files })));
    }
    const a = seen.announce;
    if (a === undefined) {
      const q = parseAnnounceQuery(seen.query);
      const reason = q.ok ? 'not an announce' : q.error.message;
      return send(res, 200, unwrapBody(encodeFailureResponse(reason)));
    }
    const peers = swarm.announce(a.infoHash, a.port, a.event);
    const body = encodeAnnounceResponse(
      { interval, complete: 0, incomplete: swarm.count(a.infoHash), peers },
      { compact: true, noPeerId: true },
    );
    send(res, 200, unwrapBody(body));
  };

export const startFakeHttpTracker = async (): Promise<FakeHttpTracker> => {
  const swarm = new FakeSwarm();
  const requests: HttpRequestSeen[] = [];
  const server = createServer((req, res) => {
    const raw = req.url ?? '/';
    const at = raw.indexOf('?');
    const path = at < 0 ? raw : raw.slice(0, at);
    const query = at < 0 ? '' : raw.slice(at + 1);
    const parsed = path.endsWith('/announce') ? parseAnnounceQuery(query) : undefined;
    const seen = { path, query, announce: parsed?.ok === true ? parsed.value : undefined };
    requests.push(seen);
    tracker.respond(seen, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const tracker: FakeHttpTracker = {
    url: `${origin}/announce`,
    origin,
    requests,
    swarm,
    respond: swarmResponder(swarm),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return tracker;
};

export interface UdpRequestSeen {
  readonly request: UdpRequest;
  readonly from: RemoteInfo;
}

/** What to do with a request: answer it, send raw bytes, or stay silent (undefined). */
export type UdpHandler = (
  seen: UdpRequestSeen,
  tracker: FakeUdpTracker,
) => UdpResponse | Uint8Array | undefined;

export interface FakeUdpTracker {
  /** udp://127.0.0.1:PORT/announce */
  readonly url: string;
  readonly port: number;
  /** Every request that decoded, dropped ones included. */
  readonly received: UdpRequestSeen[];
  readonly swarm: FakeSwarm;
  /** The connection id handed out and required. */
  connectionId: bigint;
  /** Packets to ignore before answering again (simulates loss). */
  drop: number;
  handle: UdpHandler;
  /** Sends raw bytes from the tracker's socket. */
  sendTo(bytes: Uint8Array, port: number, address: string): void;
  close(): Promise<void>;
}

/** A real tracker's behaviour: connect, announce (checking the connection id), scrape. */
export const udpSwarmHandler: UdpHandler = ({ request }, tracker) => {
  const transactionId = request.transactionId;
  switch (request.action) {
    case 'connect':
      return { action: 'connect', transactionId, connectionId: tracker.connectionId };
    case 'announce': {
      if (request.connectionId !== tracker.connectionId) {
        return { action: 'error', transactionId, message: 'bad connection id' };
      }
      const peers = tracker.swarm.announce(request.infoHash, request.port, request.event);
      return {
        action: 'announce',
        transactionId,
        interval: 1800,
        leechers: tracker.swarm.count(request.infoHash),
        seeders: 0,
        peers,
      };
    }
    case 'scrape':
      return {
        action: 'scrape',
        transactionId,
        files: request.infoHashes.map((h) => ({
          seeders: 0,
          completed: 0,
          leechers: tracker.swarm.count(h),
        })),
      };
  }
};

export const startFakeUdpTracker = async (): Promise<FakeUdpTracker> => {
  const socket = createSocket('udp4');
  const received: UdpRequestSeen[] = [];
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    const decoded = decodeUdpRequest(new Uint8Array(message));
    if (!decoded.ok) return;
    const seen = { request: decoded.value, from };
    received.push(seen);
    if (tracker.drop > 0) {
      tracker.drop--;
      return;
    }
    const reply = tracker.handle(seen, tracker);
    if (reply === undefined) return;
    const bytes = reply instanceof Uint8Array ? reply : encodeUdpResponse(reply, 'ipv4');
    socket.send(bytes, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const tracker: FakeUdpTracker = {
    url: `udp://127.0.0.1:${port}/announce`,
    port,
    received,
    swarm: new FakeSwarm(),
    connectionId: 0x0123_4567_89ab_cdefn,
    drop: 0,
    handle: udpSwarmHandler,
    sendTo: (bytes, toPort, address) => socket.send(bytes, toPort, address),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  return tracker;
};

/** Runs `f`, which must reject with a FanseedError of `code`; returns it. */
export const rejectsWith = async (
  f: () => Promise<unknown>,
  code: string,
): Promise<FanseedError> => {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof FanseedError, `not a FanseedError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  return assert.fail(`expected ${code}`);
};
