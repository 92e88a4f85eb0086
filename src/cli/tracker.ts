import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { FanseedError } from '../lib/errors.js';
import { TrackerServer, type TrackerServerOptions } from '../tracker-server/server.js';
import type { CliIo } from './output.js';
import { parsePort } from './peer-options.js';

/** Resolves with the first SIGINT or SIGTERM (the tracker's own: it loads no torrent code). */
const untilSignal = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (signal: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });

interface TrackerFlags {
  host: string;
  httpPort: string;
  udpPort: string;
  http: boolean;
  udp: boolean;
  allowList?: string;
  allowListMode?: boolean;
  passkeys?: string;
  adminTokenFile?: string;
  statsFile?: string;
  snapshotInterval: string;
  interval: string;
  maxTorrents?: string;
  maxPeersPerTorrent?: string;
  maxPeers?: string;
  udpRateLimit?: string;
  json?: boolean;
}

const whole = (text: string, flag: string, min: number, max: number): number => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new FanseedError(
      'CLI_USAGE',
      `${flag} ${text} is not a whole number from ${min} to ${max}`,
    );
  }
  return n;
};

const optional = (
  text: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined => (text === undefined ? undefined : whole(text, flag, min, max));

const readToken = async (path: string): Promise<string> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FanseedError(
      'IO_FAILED',
      `cannot read the admin token file ${path}: ${(e as Error).message}`,
    );
  }
  const token = text.trim();
  if (!/^\S{16,512}$/.test(token)) {
    throw new FanseedError(
      'CLI_USAGE',
      `the admin token in ${path} must be 16 to 512 characters, no spaces`,
    );
  }
  return token;
};

/** The server options the flags describe (exported for tests). */
export const trackerOptions = async (flags: TrackerFlags): Promise<TrackerServerOptions> => {
  const interval = whole(flags.interval, '--interval', 10, 86_400);
  const maxTorrents = optional(flags.maxTorrents, '--max-torrents', 1, 100_000_000);
  const maxPeersPerTorrent = optional(
    flags.maxPeersPerTorrent,
    '--max-peers-per-torrent',
    1,
    10_000_000,
  );
  const maxPeers = optional(flags.maxPeers, '--max-peers', 1, 100_000_000);
  const perSecond = optional(flags.udpRateLimit, '--udp-rate-limit', 1, 1_000_000);
  if (!flags.http && !flags.udp)
    throw new FanseedError('CLI_USAGE', '--no-http and --no-udp leave nothing to serve');
  return {
    host: flags.host,
    httpPort: flags.http ? parsePort(flags.httpPort) : null,
    udpPort: flags.udp ? parsePort(flags.udpPort) : null,
    ...(flags.allowList === undefined ? {} : { allowListFile: flags.allowList }),
    allowListMode: flags.allowListMode === true,
    ...(flags.passkeys === undefined ? {} : { passkeysFile: flags.passkeys }),
    ...(flags.adminTokenFile === undefined
      ? {}
      : { adminToken: await readToken(flags.adminTokenFile) }),
    ...(flags.statsFile === undefined ? {} : { statsFile: flags.statsFile }),
    snapshotIntervalMs: whole(flags.snapshotInterval, '--snapshot-interval', 1, 86_400) * 1000,
    tracker: {
      intervalSeconds: interval,
      minIntervalSeconds: Math.min(interval, 300),
      ...(maxTorrents === undefined ? {} : { maxTorrents }),
      ...(maxPeersPerTorrent === undefined ? {} : { maxPeersPerTorrent }),
      ...(maxPeers === undefined ? {} : { maxPeers }),
    },
    ...(perSecond === undefined ? {} : { rateLimit: { perSecond, burst: perSecond * 3 } }),
  };
};

/** Runs until SIGINT or SIGTERM; the start line names the URLs to put in torrents. */
const runTracker = async (flags: TrackerFlags, io: CliIo): Promise<void> => {
  const json = flags.json === true;
  const log = (line: string): void => {
    if (json) io.out(`${JSON.stringify({ event: 'log', message: line })}\n`);
    else io.err(`${line}\n`);
  };
  const server = await TrackerServer.start({ ...(await trackerOptions(flags)), log });
  const urls = server.urls;
  if (json) {
    const ports = { httpPort: server.httpPort ?? null, udpPort: server.udpPort ?? null };
    io.out(`${JSON.stringify({ event: 'listening', ...urls, ...ports })}\n`);
  } else {
    const announce = [urls.http, urls.udp].filter((u) => u !== undefined).join(' ');
    const stats = urls.stats === undefined ? '' : `; statistics: ${urls.stats}`;
    io.err(`tracker ready; announce URLs for torrents: ${announce}${stats}\n`);
  }
  const signal = await untilSignal();
  await server.close();
  if (json) io.out(`${JSON.stringify({ event: 'stopped', signal })}\n`);
  else {
    const saved = flags.statsFile === undefined ? '' : `; statistics saved to ${flags.statsFile}`;
    io.err(`tracker stopped (${signal})${saved}\n`);
  }
};

export const registerTracker = (program: Command, io: CliIo): void => {
  program
    .command('tracker')
    .description('run a BitTorrent tracker (HTTP and UDP) with download statistics')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--http-port <n>', 'HTTP port (0: any free port)', '8000')
    .option('--udp-port <n>', 'UDP port (0: any free port)', '8000')
    .option('--no-http', 'no HTTP tracker (UDP only)')
    .option('--no-udp', 'no UDP tracker (HTTP only)')
    .option(
      '--allow-list <file>',
      'serve only the info-hashes in this file (hex, one a line; re-read on change)',
    )
    .option('--allow-list-mode', 'serve only registered info-hashes, even without --allow-list')
    .option(
      '--passkeys <file>',
      'require /announce/<passkey> with a passkey from this file (one a line)',
    )
    .option(
      '--admin-token-file <file>',
      'turn on the admin API (/admin/torrents) with this bearer token',
    )
    .option('--stats-file <file>', 'keep statistics across restarts in this snapshot file')
    .option('--snapshot-interval <seconds>', 'seconds between snapshot saves', '300')
    .option(
      '--interval <seconds>',
      'announce interval given to clients; peers expire after two',
      '1800',
    )
    .option('--max-torrents <n>', 'most torrents held (default 1000000)')
    .option('--max-peers-per-torrent <n>', 'most peers per torrent (default 100000)')
    .option('--max-peers <n>', 'most peers in all (default 5000000)')
    .addOption(
      new Option('--udp-rate-limit <n>', 'UDP packets per second per address (default 20)'),
    )
    .option('--json', 'print one JSON event per line')
    .action((flags: TrackerFlags) => runTracker(flags, io));
};
