/** The `fanseed` command: one thin file per subcommand, errors as one line and an exit code. */
import { Command, CommanderError } from 'commander';
import { FanseedError } from '../lib/errors.js';
import { registerCreate } from './create.js';
import { registerDht } from './dht.js';
import { registerDownload } from './download.js';
import { registerInfo } from './info.js';
import { registerMirror } from './mirror.js';
import { type CliIo, processIo } from './output.js';
import { registerSeed } from './seed.js';
import { registerStream } from './stream.js';
import { registerTracker } from './tracker.js';
import { registerVerify } from './verify.js';
import { VERSION } from './version.js';

/** Exit codes: 0 success, 1 failure, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const buildProgram = (io: CliIo): Command => {
  const program = new Command('fanseed')
    .description('Distribute films and series over BitTorrent: create, inspect, share.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCreate(program, io);
  registerInfo(program, io);
  registerVerify(program, io);
  registerDownload(program, io);
  registerSeed(program, io);
  registerMirror(program, io);
  registerStream(program, io);
  registerTracker(program, io);
  registerDht(program, io);
  return program;
};

export const main = async (argv: readonly string[], io: CliIo = processIo): Promise<number> => {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug');
    if (e instanceof FanseedError) {
      io.err(`fanseed: ${e.message}${debug ? ` [${e.code}]\n${e.stack ?? ''}` : ''}\n`);
      return e.code === 'CLI_USAGE' ? EXIT_USAGE : EXIT_FAILURE;
    }
    io.err(
      `fanseed: internal error: ${(e as Error).message}\n${debug ? `${(e as Error).stack ?? ''}\n` : ''}`,
    );
    return EXIT_FAILURE;
  }
};
