/**
 * Magnet links (BEP 9): fetch the info dictionary from peers before the download can start.
 * Dials the peers it is given (and those the magnet's trackers return), asks each that speaks
 * ut_metadata for missing pieces, and checks the whole against the info-hash. Bounded: one
 * assembler, at most `maxPeers` sockets, and a deadline.
 */
import { connect, type Socket } from 'node:net';
import type { MagnetLink } from '../core/metainfo/magnet.js';
import { parseInfoDict } from '../core/metainfo/parse.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { formatIp, parsePeerAddress } from '../core/tracker-protocol/address.js';
import {
  decodeExtendedHandshake,
  EXTENDED_HANDSHAKE_ID,
  encodeExtendedHandshake,
  UT_METADATA,
} from '../core/wire/extension.js';
import { encodeHandshake, HandshakeReader, matchInfoHash } from '../core/wire/handshake.js';
import { encodeMessage } from '../core/wire/messages.js';
import { MessageReader } from '../core/wire/reader.js';
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  MetadataAssembler,
} from '../core/wire/ut-metadata.js';
import { bytesToBinary } from '../lib/bytes.js';
import { FanseedError, unwrap } from '../lib/errors.js';
import type { PeerId } from '../lib/ids.js';
import type { Rng } from '../lib/ports.js';
import { nodeHash } from './node-hash.js';
import { Announcer } from './tracker/announcer.js';

/** Our id for ut_metadata messages sent to us (BEP 10: any 1..255). */
const OUR_UT_METADATA = 3;
/** Requests out to one peer at once. */
const PER_PEER = 4;

export interface FetchOptions {
  readonly peers: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly peerId: PeerId;
  readonly rng: Rng;
  /** Our listen port, for the trackers (0: none). */
  readonly port: number;
  readonly timeoutMs?: number;
  readonly maxPeers?: number;
  /** More peers as they are found (the DHT): called with a dialler, returns a stop function. */
  readonly discover?: (dial: (host: string, port: number) => void) => () => void;
}

export const fetchMetadata = (magnet: MagnetLink, options: FetchOptions): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    const hash = magnet.infoHashV1 ?? magnet.infoHashV2;
    if (hash === undefined)
      return reject(new FanseedError('MAGNET_NO_HASH', 'the magnet link has no info-hash'));
    const sockets = new Set<Socket>();
    const dialled = new Set<string>();
    let assembler: MetadataAssembler | undefined;
    let finished = false;
    let announcer: Announcer | undefined;
    let stopDiscovery: (() => void) | undefined;

    const finish = (error: FanseedError | undefined, info?: Uint8Array): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      void announcer?.stop();
      stopDiscovery?.();
      if (error !== undefined) reject(error);
      else resolve(info as Uint8Array);
    };
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(
      () =>
        finish(
          new FanseedError(
            'WIRE_BAD_METADATA',
            `no peer gave the torrent's metadata within ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );

    const dial = (host: string, port: number): void => {
      const address = `${host}:${port}`;
      if (finished || dialled.has(address) || sockets.size >= (options.maxPeers ?? 30)) return;
      dialled.add(address);
      const socket = connect({ host, port });
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        for (const piece of asked) assembler?.release(piece);
        asked.clear();
      });
      const handshakes = new HandshakeReader();
      const reader = new MessageReader();
      const asked = new Set<number>();
      let theirId: number | undefined;
      let shook = false;
      const send = (payload: Uint8Array): void => {
        if (theirId !== undefined)
          socket.write(encodeMessage({ kind: 'extended', id: theirId, payload }));
      };
      const askMore = (): void => {
        while (assembler !== undefined && asked.size < PER_PEER) {
          const piece = assembler.nextRequest();
          if (piece === undefined) return;
          asked.add(piece);
          send(encodeMetadataMessage({ kind: 'request', piece }));
        }
      };
      const onExtended = (id: number, payload: Uint8Array): void => {
        if (id === EXTENDED_HANDSHAKE_ID) {
          const h = decodeExtendedHandshake(payload);
          if (!h.ok) return void socket.destroy();
          theirId = h.value.extensions.get(bytesToBinary(new TextEncoder().encode(UT_METADATA)));
          const size = h.value.metadataSize;
          if (theirId === undefined || theirId === 0 || size === undefined)
            return void socket.destroy();
          if (assembler === undefined) {
            const created = MetadataAssembler.create({
              size,
              infoHash: { v1: magnet.infoHashV1, v2: magnet.infoHashV2 },
              hash: nodeHash,
            });
            if (!created.ok) return void socket.destroy();
            assembler = created.value;
          }
          return askMore();
        }
        if (id !== OUR_UT_METADATA || assembler === undefined) return;
        const m = decodeMetadataMessage(payload);
        if (!m.ok) return void socket.destroy();
        if (m.value.kind === 'reject') {
          asked.delete(m.value.piece);
          assembler.release(m.value.piece);
          return;
        }
        if (m.value.kind !== 'data' || !asked.delete(m.value.piece)) return;
        const outcome = assembler.accept(m.value);
        if (!outcome.ok) return void socket.destroy();
        if (outcome.value.kind === 'complete') return finish(undefined, outcome.value.metadata);
        askMore();
      };
      socket.on('connect', () => {
        socket.write(
          encodeHandshake(hash, options.peerId, { extensionProtocol: true, fast: true }),
        );
        const m = new Map([
          [bytesToBinary(new TextEncoder().encode(UT_METADATA)), OUR_UT_METADATA],
        ]);
        socket.write(
          encodeMessage({
            kind: 'extended',
            id: EXTENDED_HANDSHAKE_ID,
            payload: encodeExtendedHandshake({ extensions: m, client: 'fanseed' }),
          }),
        );
      });
      socket.on('data', (chunk: Buffer) => {
        let data: Uint8Array = chunk;
        if (!shook) {
          const r = handshakes.push(data);
          if (!r.ok) return void socket.destroy();
          if (r.value.kind === 'need-more') return;
          if (
            !matchInfoHash(r.value.handshake.infoHash, {
              v1: magnet.infoHashV1,
              v2: magnet.infoHashV2,
            }).ok
          )
            return void socket.destroy();
          shook = true;
          data = r.value.rest;
        }
        if (!reader.push(data).ok) return void socket.destroy();
        for (;;) {
          const pulled = reader.pull();
          if (!pulled.ok) return void socket.destroy();
          if (pulled.value === undefined) return;
          if (pulled.value.kind === 'extended') onExtended(pulled.value.id, pulled.value.payload);
          if (finished) return;
        }
      });
    };

    for (const p of options.peers) dial(p.host, p.port);
    if (magnet.trackers.length > 0 && options.port > 0) {
      announcer = new Announcer({
        tiers: magnet.trackers.map((t) => [t]),
        infoHash: hash.subarray(0, 20),
        peerId: options.peerId,
        port: options.port,
        rng: options.rng,
        stats: () => ({ uploaded: 0, downloaded: 0, left: 1 }),
        onPeers: (peers) => {
          for (const p of peers) dial(p.host, p.port);
        },
      });
      announcer.start();
    }
    stopDiscovery = options.discover?.(dial);
    if (options.peers.length === 0 && announcer === undefined && stopDiscovery === undefined) {
      finish(
        new FanseedError(
          'CLI_USAGE',
          'a magnet link without trackers needs peers: give --peer, or leave the DHT on',
        ),
      );
    }
  });

/** The magnet's `x.pe` peers that parse (others are left out). */
export const magnetPeers = (magnet: MagnetLink): Array<{ host: string; port: number }> =>
  magnet.peers.flatMap((text) => {
    const a = parsePeerAddress(text);
    return a === undefined ? [] : [{ host: formatIp(a.ip), port: a.port }];
  });

/**
 * The torrent a magnet link names: its info dictionary from peers (the magnet's own `x.pe`
 * peers are asked too), checked, with the magnet's trackers and web seeds.
 */
export const fetchMetainfo = async (
  magnet: MagnetLink,
  options: FetchOptions,
): Promise<Metainfo> => {
  const info = await fetchMetadata(magnet, {
    ...options,
    peers: [...magnetPeers(magnet), ...options.peers],
  });
  const meta = unwrap(parseInfoDict(info, nodeHash));
  return { ...meta, announce: magnet.trackers.map((t) => [t]), urlList: [...magnet.webSeeds] };
};
