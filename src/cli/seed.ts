import type { Command } from 'commander';
import { FanseedError } from '../lib/errors.js';
import type { CliIo } from './output.js';
import { addPeerOptions, type PeerFlags } from './peer-options.js';
import { runTransfer, untilSignal } from './transfer.js';

interface SeedFlags extends PeerFlags {
  path: string;
  skipCheck?: boolean;
}

export const registerSeed = (program: Command, io: CliIo): void => {
  const command = program
    .command('seed')
    .description('check the data, then share it until SIGINT/SIGTERM')
    .argument('<torrent>', '.torrent file')
    .option('-p, --path <dir>', 'folder that holds the data (the torrent name inside it)', '.')
    .option('--skip-check', 'trust the data without checking it');
  addPeerOptions(command).action(async (input: string, flags: SeedFlags) => {
    await runTransfer(
      {
        input,
        path: flags.path,
        flags,
        resume: false,
        allowMagnet: false,
        skipCheck: flags.skipCheck === true,
        until: async (torrent, reporter) => {
          if (!torrent.complete) {
            const s = torrent.stats();
            throw new FanseedError(
              'IO_FAILED',
              `only ${s.have} of ${s.pieces} pieces are on disk and good; use fanseed download to complete them`,
            );
          }
          reporter.event('seeding', { name: torrent.name });
          if (!flags.json) io.err(`seeding ${torrent.name}; stop with Ctrl-C\n`);
          const signal = await untilSignal();
          reporter.event('stopped', { signal, ...torrent.stats() });
        },
      },
      io,
    );
  });
};
