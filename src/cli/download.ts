import type { Command } from 'commander';
import { FanseedError } from '../lib/errors.js';
import type { CliIo } from './output.js';
import { addPeerOptions, type PeerFlags } from './peer-options.js';
import { runTransfer, untilSignal } from './transfer.js';

interface DownloadFlags extends PeerFlags {
  output: string;
  seed?: boolean;
  select?: string;
}

export const registerDownload = (program: Command, io: CliIo): void => {
  const command = program
    .command('download')
    .description('download a torrent; exit 0 once every file is verified on disk')
    .argument('<torrent>', '.torrent file or magnet link')
    .option('-o, --output <dir>', 'folder to download into', '.')
    .option('--seed', 'keep seeding after the download, until SIGINT/SIGTERM')
    .option(
      '--select <files>',
      'download only these files, numbered as fanseed info lists them (e.g. 0,2,4-6)',
    );
  addPeerOptions(command).action(async (input: string, flags: DownloadFlags) => {
    await runTransfer(
      {
        input,
        path: flags.output,
        flags,
        resume: true,
        allowMagnet: true,
        select: flags.select,
        skipCheck: false,
        until: async (torrent, reporter) => {
          if (!torrent.complete) {
            const interrupted = await Promise.race([
              new Promise<false>((resolve) => torrent.once('done', () => resolve(false))),
              untilSignal().then(() => true),
            ]);
            if (interrupted) {
              const s = torrent.stats();
              throw new FanseedError(
                'IO_FAILED',
                `interrupted with ${s.have} of ${s.pieces} pieces; run again to resume`,
              );
            }
          }
          reporter.event('done', { ...torrent.stats() });
          if (!flags.json) io.err(`${torrent.name}: complete\n`);
          if (flags.seed) {
            reporter.event('seeding');
            await untilSignal();
          }
        },
      },
      io,
    );
  });
};
