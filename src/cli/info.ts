import type { Command } from 'commander';
import { buildMagnet } from '../core/metainfo/magnet.js';
import type { Metainfo } from '../core/metainfo/types.js';
import { toHex } from '../lib/bytes.js';
import { loadTorrentSource, type TorrentSource } from '../runtime/read-torrent.js';
import { formatBytes } from './format.js';
import type { CliIo } from './output.js';

/** The shape of `fanseed info --json`: a key is null where it does not apply. */
export interface InfoJson {
  name: string | null;
  version: 'v1' | 'v2' | 'hybrid' | null;
  infoHashV1: string | null;
  infoHashV2: string | null;
  length: number | null;
  pieceLength: number | null;
  pieces: number | null;
  files: Array<{ path: string[]; length: number }> | null;
  announce: string[];
  urlList: string[];
  private: boolean | null;
  comment: string | null;
  createdBy: string | null;
  creationDate: number | null;
  peers: string[];
  magnet: string;
}

export const torrentMagnet = (m: Metainfo): string =>
  buildMagnet({
    infoHashV1: m.infoHashV1,
    infoHashV2: m.infoHashV2,
    name: m.name,
    trackers: m.announce.flat(),
    webSeeds: m.urlList,
  });

export const infoJson = (source: TorrentSource): InfoJson => {
  if (source.kind === 'magnet') {
    const g = source.magnet;
    return {
      name: g.name ?? null,
      version: null,
      infoHashV1: g.infoHashV1 ? toHex(g.infoHashV1) : null,
      infoHashV2: g.infoHashV2 ? toHex(g.infoHashV2) : null,
      length: null,
      pieceLength: null,
      pieces: null,
      files: null,
      announce: [...g.trackers],
      urlList: [...g.webSeeds],
      private: null,
      comment: null,
      createdBy: null,
      creationDate: null,
      peers: [...g.peers],
      magnet: buildMagnet(g),
    };
  }
  const m = source.metainfo;
  return {
    name: m.name,
    version: m.version,
    infoHashV1: m.infoHashV1 ? toHex(m.infoHashV1) : null,
    infoHashV2: m.infoHashV2 ? toHex(m.infoHashV2) : null,
    length: m.length,
    pieceLength: m.pieceLength,
    pieces: m.pieceCount,
    files: m.files.filter((f) => !f.pad).map((f) => ({ path: [...f.path], length: f.length })),
    announce: m.announce.flat(),
    urlList: [...m.urlList],
    private: m.private,
    comment: m.comment ?? null,
    createdBy: m.createdBy ?? null,
    creationDate: m.creationDate ?? null,
    peers: [],
    magnet: torrentMagnet(m),
  };
};

const line = (label: string, value: string): string => `${`${label}:`.padEnd(15)}${value}\n`;

const describe = (source: TorrentSource, j: InfoJson): string => {
  let text = line('name', j.name ?? '(not given)');
  if (j.version !== null) text += line('version', j.version);
  text += line('info-hash v1', j.infoHashV1 ?? '-');
  text += line('info-hash v2', j.infoHashV2 ?? '-');
  if (j.length !== null) text += line('size', `${formatBytes(j.length)} (${j.length} bytes)`);
  if (j.pieces !== null && j.pieceLength !== null)
    text += line('pieces', `${j.pieces} × ${formatBytes(j.pieceLength)}`);
  if (j.private !== null) text += line('private', j.private ? 'yes' : 'no');
  if (j.comment !== null) text += line('comment', j.comment);
  if (j.createdBy !== null) text += line('created by', j.createdBy);
  if (j.creationDate !== null)
    text += line('created', new Date(j.creationDate * 1000).toISOString());
  if (source.kind === 'torrent') {
    source.metainfo.announce.forEach((tier, i) => {
      text += line(i === 0 ? 'trackers' : '', `tier ${i + 1}: ${tier.join(', ')}`);
    });
  } else {
    for (const [i, t] of j.announce.entries()) text += line(i === 0 ? 'trackers' : '', t);
  }
  for (const [i, w] of j.urlList.entries()) text += line(i === 0 ? 'web seeds' : '', w);
  for (const [i, p] of j.peers.entries()) text += line(i === 0 ? 'peers' : '', p);
  if (j.files !== null) {
    text += `files (${j.files.length}):\n`;
    // Numbered as --select takes them.
    j.files.forEach((f, i) => {
      text += `${String(i).padStart(5)}  ${formatBytes(f.length).padStart(10)}  ${f.path.join('/')}\n`;
    });
  }
  text += line('magnet', j.magnet);
  return text;
};

export const registerInfo = (program: Command, io: CliIo): void => {
  program
    .command('info')
    .description('show what a .torrent file or magnet link holds')
    .argument('<torrent>', '.torrent file or magnet link')
    .option('--json', 'print one JSON object')
    .action(async (input: string, flags: { json?: boolean }) => {
      const source = await loadTorrentSource(input);
      const json = infoJson(source);
      io.out(flags.json ? `${JSON.stringify(json)}\n` : describe(source, json));
    });
};
