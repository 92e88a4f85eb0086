/** The shared run of `download` and `seed`: a session, one torrent, peers, signals. */

import { type FileRange, parseSelect } from '../core/metainfo/magnet.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { realFileCount } from '../core/torrent/selection.js';
import { isWebSeedUrl } from '../core/webseed/web-seed-url.js';
import { FanseedError } from '../lib/errors.js';
import { DhtService, parseBootstrap } from '../runtime/dht/dht-service.js';
import { LocalDiscovery } from '../runtime/lsd/local-discovery.js';
import { loadTorrentSource } from '../runtime/read-torrent.js';
import { Session, systemRng } from '../runtime/session.js';
import type { Torrent } from '../runtime/torrent.js';
import type { CliIo } from './output.js';
import {
  encryptionFor,
  type PeerFlags,
  parseCount,
  parsePeer,
  parsePort,
  parseRate,
} from './peer-options.js';
import { type Reporter, startReporter } from './progress.js';

export interface TransferPlan {
  readonly input: string;
  readonly path: string;
  readonly flags: PeerFlags;
  readonly skipCheck: boolean;
  /** A magnet link is accepted (its metadata is fetched from peers first). */
  readonly allowMagnet: boolean;
  /** `--select` as given ("0,2,4-6"). */
  readonly select?: string | undefined;
  /** Keep resume data beside the download. */
  readonly resume: boolean;
  /** Called once the torrent is ready: resolves when the command is finished. */
  readonly until: (torrent: Torrent, reporter: Reporter) => Promise<void>;
}

/** `--select` wins over the magnet's `so`; indices past the torrent's files are refused. */
const selection = (
  text: string | undefined,
  fromMagnet: readonly FileRange[] | undefined,
  meta: Metainfo,
): readonly FileRange[] | undefined => {
  const ranges = text === undefined ? fromMagnet : parseSelect(text);
  if (ranges === undefined) {
    if (text !== undefined)
      throw new FanseedError('CLI_USAGE', `--select ${text} is not a list like 0,2,4-6`);
    return undefined;
  }
  const count = realFileCount(meta);
  const beyond = ranges.find((r) => r.last >= count);
  if (beyond !== undefined) {
    throw new FanseedError(
      'CLI_USAGE',
      `file ${beyond.last} is not in the torrent (it has ${count} files, from 0)`,
    );
  }
  return ranges;
};

/** Resolves on the first SIGINT or SIGTERM. */
export const untilSignal = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (signal: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });

export const runTransfer = async (plan: TransferPlan, io: CliIo): Promise<void> => {
  const source = await loadTorrentSource(plan.input);
  if (source.kind === 'magnet' && !plan.allowMagnet) {
    throw new FanseedError('CLI_USAGE', 'seeding needs the .torrent file, not a magnet link');
  }
  const port = parsePort(plan.flags.port);
  const given = [...plan.flags.peer, ...(source.kind === 'magnet' ? source.magnet.peers : [])];
  const peers = given.map(parsePeer);
  // A magnet's own ws= mirrors come with its metadata (as the torrent's url-list).
  const webSeeds = plan.flags.webSeed;
  for (const url of webSeeds)
    if (!isWebSeedUrl(url))
      throw new FanseedError('CLI_USAGE', `--web-seed ${url} is not an http(s) URL`);
  const uploadLimit = parseRate(plan.flags.uploadLimit);
  const downloadLimit = parseRate(plan.flags.downloadLimit, '--download-limit');
  const maxPeers = parseCount(plan.flags.maxPeers, '--max-peers');
  const dht = plan.flags.dht ? await startDht(plan.flags, port) : undefined;
  let listening: Session | undefined;
  const lsd = plan.flags.lsd ? await startLsd(() => listening?.port ?? 0, io) : undefined;
  const session = await Session.open({
    port,
    ...(dht === undefined ? {} : { dht }),
    ...(lsd === undefined ? {} : { lsd }),
    pex: plan.flags.pex,
    encryption: encryptionFor(plan.flags.encryption),
    ...(uploadLimit === undefined ? {} : { uploadLimit }),
    ...(downloadLimit === undefined ? {} : { downloadLimit }),
  });
  listening = session;
  let reporter: Reporter | undefined;
  try {
    const json = plan.flags.json === true;
    if (json) io.out(`${JSON.stringify({ event: 'listening', port: session.port })}\n`);
    else io.err(`listening for peers on port ${session.port}\n`);
    let meta: Metainfo;
    if (source.kind === 'torrent') meta = source.metainfo;
    else {
      if (!json) io.err("fetching the torrent's metadata from peers...\n");
      meta = await session.metadataFor(source.magnet, peers);
      if (json)
        io.out(
          `${JSON.stringify({ event: 'metadata', name: meta.name, pieces: meta.pieceCount, length: meta.length })}\n`,
        );
    }
    const select = selection(
      plan.select,
      source.kind === 'magnet' ? source.magnet.select : undefined,
      meta,
    );
    const torrent = await session.add(meta, {
      ...(select === undefined ? {} : { select }),
      path: plan.path,
      skipCheck: plan.skipCheck,
      resume: plan.resume,
      ...(maxPeers === undefined ? {} : { maxPeers }),
    });
    reporter = startReporter(torrent, io, json);
    reporter.event('ready', { name: meta.name, have: torrent.have.count, pieces: meta.pieceCount });
    let failure: FanseedError | undefined;
    const failed = new Promise<void>((resolve) =>
      torrent.once('error', (e) => {
        failure = e;
        resolve();
      }),
    );
    torrent.on('peer-connect', (address) => reporter?.event('peer-connect', { address }));
    torrent.on('peer-disconnect', (address, reason) =>
      reporter?.event('peer-disconnect', { address, reason }),
    );
    for (const p of peers) torrent.addPeer(p.host, p.port);
    for (const url of webSeeds) torrent.addWebSeed(url);
    const sources = peers.length + webSeeds.length + meta.announce.length + meta.urlList.length;
    if (sources === 0 && dht === undefined && !torrent.complete)
      io.err(
        'warning: no --peer or --web-seed given, the torrent has no trackers and the DHT is off\n',
      );
    await Promise.race([plan.until(torrent, reporter), failed]);
    if (failure !== undefined) throw failure;
  } finally {
    reporter?.stop();
    await session.close();
    await dht?.close();
    await lsd?.close();
  }
};

/** Local discovery, or a warning when this machine cannot multicast (no route, port taken). */
const startLsd = async (port: () => number, io: CliIo): Promise<LocalDiscovery | undefined> => {
  try {
    return await LocalDiscovery.start({ port });
  } catch (e) {
    io.err(`warning: local peer discovery is off: ${(e as Error).message}\n`);
    return undefined;
  }
};

/** The DHT node of `download` and `seed`: on the listen port's number over UDP when that is
 * free, any port otherwise. */
const startDht = async (flags: PeerFlags, port: number): Promise<DhtService> => {
  const options = {
    rng: systemRng,
    ...(flags.dhtBootstrap.length === 0
      ? {}
      : { bootstrap: flags.dhtBootstrap.map(parseBootstrap) }),
    ...(flags.dhtState === undefined ? {} : { stateFile: flags.dhtState }),
  };
  try {
    return await DhtService.start({ ...options, port });
  } catch {
    return DhtService.start({ ...options, port: 0 });
  }
};
