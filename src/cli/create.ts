import { rename, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { parseTorrent } from '../core/metainfo/parse.js';
import type { TorrentVersion } from '../core/metainfo/types.js';
import { FanseedError, unwrap } from '../lib/errors.js';
import { createTorrent } from '../runtime/create-torrent.js';
import { nodeHash } from '../runtime/node-hash.js';
import { formatBytes, parseByteSize } from './format.js';
import type { CliIo } from './output.js';
import { CREATED_BY } from './version.js';

interface CreateFlags {
  output?: string;
  announce: string[];
  webSeed: string[];
  pieceLength?: string;
  format: TorrentVersion;
  private?: boolean;
  comment?: string;
  date: boolean;
  threads?: string;
  force?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const usage = (message: string): never => {
  throw new FanseedError('CLI_USAGE', message);
};

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

interface Progress {
  update: (done: number, total: number) => void;
  stop: () => void;
}

const progressBar = async (io: CliIo): Promise<Progress> => {
  if (!io.isTty) return { update: () => {}, stop: () => {} };
  // Loaded only for a terminal: scripts and pipes do not pay for it.
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({
    format: 'hashing [{bar}] {percentage}% {done} of {size} {speed}',
    stream: process.stderr,
    hideCursor: true,
  });
  const started = Date.now();
  let begun = false;
  return {
    update: (done, total) => {
      if (!begun) {
        bar.start(total, 0, { done: '0 B', size: formatBytes(total), speed: '' });
        begun = true;
      }
      const seconds = (Date.now() - started) / 1000;
      const speed = seconds > 0 ? `${formatBytes(done / seconds)}/s` : '';
      bar.update(done, { done: formatBytes(done), size: formatBytes(total), speed });
    },
    stop: () => {
      if (begun) bar.stop();
    },
  };
};

const run = async (path: string, flags: CreateFlags, io: CliIo): Promise<void> => {
  const pieceLength =
    flags.pieceLength === undefined
      ? undefined
      : (parseByteSize(flags.pieceLength) ??
        usage(`--piece-length ${flags.pieceLength} is not a size in bytes`));
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64))
    usage('--threads takes a whole number from 1 to 64');
  for (const url of [...flags.announce, ...flags.webSeed]) {
    if (!/^(https?|udp|wss?):\/\/[^\s]+$/i.test(url))
      usage(`${url} is not an http(s)://, udp:// or ws(s):// URL`);
  }
  const output = resolve(flags.output ?? `${basename(resolve(path))}.torrent`);
  if (!flags.force && (await exists(output))) {
    throw new FanseedError(
      'CREATE_BAD_OPTION',
      `${output} exists already (use --force to replace it)`,
    );
  }
  const bar = await progressBar(io);
  let created: Awaited<ReturnType<typeof createTorrent>>;
  try {
    created = await createTorrent(path, {
      format: flags.format,
      announce: flags.announce,
      webSeeds: flags.webSeed,
      private: flags.private === true,
      createdBy: CREATED_BY,
      ...(pieceLength === undefined ? {} : { pieceLength }),
      ...(threads === undefined ? {} : { threads }),
      mainThread: true,
      ...(flags.comment === undefined ? {} : { comment: flags.comment }),
      ...(flags.date ? { creationDate: Math.floor(Date.now() / 1000) } : {}),
      onProgress: bar.update,
    });
  } finally {
    bar.stop();
  }
  // Written next to its destination then renamed: never a half-written torrent.
  const temporary = `${output}.${process.pid}.part`;
  await writeFile(temporary, created.torrent);
  await rename(temporary, output);
  const meta = unwrap(parseTorrent(created.torrent, nodeHash));
  const hashes = [
    meta.infoHashV1 && `v1 ${Buffer.from(meta.infoHashV1).toString('hex')}`,
    meta.infoHashV2 && `v2 ${Buffer.from(meta.infoHashV2).toString('hex')}`,
  ]
    .filter(Boolean)
    .join(', ');
  io.out(
    `${output}: ${meta.name}, ${formatBytes(meta.length)} in ${meta.pieceCount} pieces of ${formatBytes(meta.pieceLength)} (${meta.version}; ${hashes})\n`,
  );
};

export const registerCreate = (program: Command, io: CliIo): void => {
  program
    .command('create')
    .description('make a .torrent from a file or a folder')
    .argument('<path>', 'file or folder to share')
    .option('-o, --output <file>', 'where to write the torrent (default: <name>.torrent here)')
    .option('-a, --announce <url>', 'tracker URL, each one its own tier (repeatable)', collect, [])
    .option(
      '-w, --web-seed <url>',
      'HTTP mirror of the same files, BEP 19 (repeatable)',
      collect,
      [],
    )
    .option(
      '-l, --piece-length <bytes>',
      'piece size, a power of two ≥ 16K (e.g. 262144, 256K, 1M); default from total size',
    )
    .addOption(
      new Option('-f, --format <format>', 'torrent format')
        .choices(['v1', 'v2', 'hybrid'])
        .default('hybrid'),
    )
    .option('-p, --private', 'private torrent: peers from trackers only (BEP 27)')
    .option('-c, --comment <text>', 'free text comment')
    .option('--no-date', 'leave out the creation date (reproducible torrents)')
    .option('-t, --threads <n>', 'hashing threads (default: one per core)')
    .option('--force', 'replace the output file if it exists')
    .action((path: string, flags: CreateFlags) => run(path, flags, io));
};
