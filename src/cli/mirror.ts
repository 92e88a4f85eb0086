/** `fanseed mirror`: serve a torrent's files over HTTP as a web seed (BEP 19) for any client. */
import type { Command } from 'commander';
import { readTorrentFile } from '../runtime/read-torrent.js';
import { storageFor, verifyPieces } from '../runtime/verify.js';
import { startMirror } from '../stream/mirror-server.js';
import type { CliIo } from './output.js';
import { parsePort } from './peer-options.js';
import { untilSignal } from './transfer.js';
import { IncompleteData } from './verify.js';

interface MirrorFlags {
  path: string;
  port: string;
  host: string;
  skipCheck?: boolean;
  json?: boolean;
}

export const registerMirror = (program: Command, io: CliIo): void => {
  program
    .command('mirror')
    .description(
      "serve a torrent's files over HTTP (ranges, HEAD, ETag) so clients can use this machine as a web seed",
    )
    .argument('<torrent>', '.torrent file')
    .option('-p, --path <dir>', 'folder that holds the data (the torrent name inside it)', '.')
    .option('--port <n>', 'HTTP port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--skip-check', 'serve the data without checking it against the torrent first')
    .option('--json', 'print one JSON event per line')
    .action(async (input: string, flags: MirrorFlags) => {
      const meta = await readTorrentFile(input);
      const port = parsePort(flags.port);
      if (flags.skipCheck !== true) {
        // A mirror with bad data is dropped by every client that uses it: check first.
        const storage = storageFor(meta, flags.path);
        try {
          const { have } = await verifyPieces(meta, storage);
          if (have.count !== meta.pieceCount) throw new IncompleteData(have.count, meta.pieceCount);
        } finally {
          await storage.close();
        }
      }
      const mirror = await startMirror({ meta, path: flags.path, host: flags.host, port });
      const everywhere = flags.host === '0.0.0.0' || flags.host === '::';
      // Listening on every address: shown through loopback; other machines use this host's name.
      const url = everywhere ? `http://127.0.0.1:${mirror.port}/` : mirror.url;
      if (flags.json) io.out(`${JSON.stringify({ event: 'listening', port: mirror.port, url })}\n`);
      else {
        io.out(
          `mirroring ${meta.name} at ${url}${everywhere ? ' (and on every address of this host)' : ''}\n`,
        );
        io.out("give clients that URL, with this host's public name, as a web seed (url-list)\n");
        io.err('stop with Ctrl-C\n');
      }
      const signal = await untilSignal();
      await mirror.close();
      if (flags.json) io.out(`${JSON.stringify({ event: 'stopped', signal })}\n`);
    });
};
