/** How a running transfer reports itself: a progress bar on a terminal, a status line every few
 * seconds otherwise, or one JSON event per line with --json. */
import type { Torrent } from '../runtime/torrent.js';
import { formatBytes } from './format.js';
import type { CliIo } from './output.js';

export interface Reporter {
  event(name: string, fields?: Record<string, unknown>): void;
  stop(): void;
}

const eta = (left: number, rate: number): string => {
  if (rate <= 0) return '--';
  const s = Math.round(left / rate);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`;
};

export const statusLine = (t: Torrent): string => {
  const s = t.stats();
  const percent = s.pieces === 0 ? 100 : (100 * s.have) / s.pieces;
  return `${percent.toFixed(1)}%  down ${formatBytes(s.downRate)}/s  up ${formatBytes(s.upRate)}/s  peers ${s.peers}  ETA ${eta(s.left, s.downRate)}`;
};

export const startReporter = (t: Torrent, io: CliIo, json: boolean): Reporter => {
  const event = (name: string, fields: Record<string, unknown> = {}): void => {
    if (json) io.out(`${JSON.stringify({ event: name, ...fields })}\n`);
  };
  let last = '';
  const timer = setInterval(
    () => {
      if (json) {
        const s = t.stats();
        event('progress', { ...s });
      } else if (io.isTty) {
        last = statusLine(t);
        io.err(`\r${last.padEnd(80)}`);
      } else {
        io.err(`${statusLine(t)}\n`);
      }
    },
    json || io.isTty ? 1000 : 5000,
  );
  timer.unref();
  return {
    event,
    stop: () => {
      clearInterval(timer);
      if (!json && io.isTty && last !== '') io.err('\n');
    },
  };
};
