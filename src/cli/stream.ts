/** `fanseed stream`: watch while it downloads, through a local HTTP server any player can use. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { realFiles } from '../core/metainfo/types.js';
import { playerKind } from '../stream/media-types.js';
import { startStreamServer } from '../stream/stream-server.js';
import type { CliIo } from './output.js';
import { addPeerOptions, type PeerFlags, parsePort } from './peer-options.js';
import { runTransfer, untilSignal } from './transfer.js';

interface StreamFlags extends Omit<PeerFlags, 'port'> {
  output: string;
  port: string;
  peerPort: string;
  host: string;
  open?: boolean;
  select?: string;
}

/** Hands a URL to the desktop's default handler (a player for a video URL). */
const openUrl = (url: string, io: CliIo): void => {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  child.on('error', (e) => io.err(`could not open a player (${command}): ${e.message}\n`));
  child.unref();
};

export const registerStream = (program: Command, io: CliIo): void => {
  const command = program
    .command('stream')
    .description(
      'download a torrent and serve it over HTTP while it downloads: a page with a player, and each file at a URL mpv, VLC or a browser can play and seek',
    )
    .argument('<torrent>', '.torrent file or magnet link')
    .option('--port <n>', 'HTTP port of the stream server (0: any free port)', '8888')
    .option('--host <address>', 'address the stream server listens on', '127.0.0.1')
    .option('--open', 'open the first video (or the page) in the default player')
    .option('-o, --output <dir>', 'folder to download into', join(tmpdir(), 'fanseed'))
    .option('--select <files>', 'download only these files (e.g. 0,2,4-6); streams fetch any file');
  addPeerOptions(command, '--peer-port').action(async (input: string, flags: StreamFlags) => {
    const httpPort = parsePort(flags.port);
    await runTransfer(
      {
        input,
        path: flags.output,
        flags: { ...flags, port: flags.peerPort },
        resume: true,
        allowMagnet: true,
        select: flags.select,
        skipCheck: false,
        until: async (torrent, reporter) => {
          const server = await startStreamServer(torrent, { host: flags.host, port: httpPort });
          try {
            const meta = torrent.meta;
            const files = meta === undefined ? [] : realFiles(meta);
            const urls = server.fileUrls();
            reporter.event('streaming', { url: server.url, files: urls });
            if (!flags.json) {
              io.out(`streaming ${torrent.name} at ${server.url}\n`);
              for (const url of urls) io.out(`  ${url}\n`);
              io.err('stop with Ctrl-C\n');
            }
            if (flags.open) {
              const first = files.findIndex(
                (f) => playerKind(f.path[f.path.length - 1] ?? '') !== undefined,
              );
              openUrl(urls[first] ?? server.url, io);
            }
            const signal = await untilSignal();
            reporter.event('stopped', { signal, ...torrent.stats() });
          } finally {
            await server.close();
          }
        },
      },
      io,
    );
  });
};
