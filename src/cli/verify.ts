import type { Command } from 'commander';
import { FanseedError } from '../lib/errors.js';
import { readTorrentFile } from '../runtime/read-torrent.js';
import { storageFor, verifyPieces } from '../runtime/verify.js';
import { formatBytes } from './format.js';
import type { CliIo } from './output.js';

/** Exit status when the data is not all there: a failure, not an error of use. */
export class IncompleteData extends FanseedError {
  constructor(good: number, total: number) {
    super('IO_FAILED', `${total - good} of ${total} pieces are missing or damaged`);
  }
}

export const registerVerify = (program: Command, io: CliIo): void => {
  program
    .command('verify')
    .description('check downloaded data against a torrent; exit 0 only if every piece is good')
    .argument('<torrent>', '.torrent file')
    .option('-p, --path <dir>', 'folder that holds the data (the torrent name inside it)', '.')
    .option('--json', 'print one JSON object')
    .action(async (input: string, flags: { path: string; json?: boolean }) => {
      const meta = await readTorrentFile(input);
      const storage = storageFor(meta, flags.path);
      let result: Awaited<ReturnType<typeof verifyPieces>>;
      try {
        result = await verifyPieces(meta, storage);
      } finally {
        await storage.close();
      }
      const good = result.have.count;
      const missingFiles = result.files.filter((f) => !f.complete).length;
      const complete = good === meta.pieceCount && missingFiles === 0;
      if (flags.json) {
        io.out(
          `${JSON.stringify({
            name: meta.name,
            pieces: meta.pieceCount,
            good,
            unknown: result.unknown,
            complete,
            files: result.files.map((f) => ({
              path: [...f.path],
              length: f.length,
              complete: f.complete,
            })),
          })}\n`,
        );
      } else {
        const percent = meta.pieceCount === 0 ? 100 : (100 * good) / meta.pieceCount;
        io.out(
          `${meta.name}: ${good} of ${meta.pieceCount} pieces good (${percent.toFixed(1)}%)\n`,
        );
        for (const f of result.files) {
          io.out(
            `  ${f.complete ? 'ok     ' : 'MISSING'}  ${formatBytes(f.length).padStart(10)}  ${f.path.join('/')}\n`,
          );
        }
      }
      if (good !== meta.pieceCount) throw new IncompleteData(good, meta.pieceCount);
      if (!complete)
        throw new FanseedError('IO_FAILED', `${missingFiles} empty file(s) are missing`);
    });
};
