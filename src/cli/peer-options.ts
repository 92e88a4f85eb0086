/** Options shared by the commands that talk to peers (download, seed). */
import { type Command, Option } from 'commander';
import { FanseedError } from '../lib/errors.js';
import { parseByteSize } from './format.js';

export interface PeerFlags {
  port: string;
  peer: string[];
  webSeed: string[];
  json?: boolean;
  dht: boolean;
  dhtBootstrap: string[];
  dhtState?: string;
  pex: boolean;
  lsd: boolean;
  uploadLimit?: string;
  downloadLimit?: string;
  maxPeers?: string;
  encryption: 'accept' | 'prefer' | 'require';
}

/** `portFlag`: the peers' listen port flag (`fanseed stream` keeps `--port` for its HTTP server). */
export const addPeerOptions = (command: Command, portFlag = '--port'): Command =>
  command
    .option(`${portFlag} <n>`, 'TCP port to listen on for peers (0: any free port)', '0')
    .option(
      '--peer <host:port>',
      'connect to this peer (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option(
      '--web-seed <url>',
      'also download from this HTTP(S) mirror of the files (BEP 19; repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--json', 'print one JSON event per line instead of a progress display')
    .option('--upload-limit <rate>', 'most bytes per second to upload (e.g. 500K, 2M)')
    .option('--download-limit <rate>', 'most bytes per second to download (e.g. 500K, 2M)')
    .option('--max-peers <n>', 'most peer connections at once (default 50)')
    .addOption(
      new Option(
        '--encryption <mode>',
        'message stream encryption: accept (take both, dial plain), prefer (dial encrypted first), require (encrypted only)',
      )
        .choices(['accept', 'prefer', 'require'])
        .default('accept'),
    )
    .option('--no-dht', 'do not use the DHT (trackerless peer discovery, BEP 5)')
    .option(
      '--dht-bootstrap <host:port>',
      'join the DHT through this node instead of the public routers (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--dht-state <file>', 'keep the DHT routing table in this file across runs')
    .option('--no-pex', 'do not exchange peers with peers (BEP 11)')
    .addOption(
      new Option('--no-lsd', 'do not announce to or look for peers on the local network (BEP 14)'),
    );

/** The session's encryption settings for `--encryption`. */
export const encryptionFor = (
  mode: PeerFlags['encryption'],
): { incoming: 'accept' | 'require'; outgoing: 'plaintext' | 'prefer' | 'require' } =>
  mode === 'require'
    ? { incoming: 'require', outgoing: 'require' }
    : { incoming: 'accept', outgoing: mode === 'prefer' ? 'prefer' : 'plaintext' };

export const parsePort = (text: string): number => {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new FanseedError('CLI_USAGE', `--port ${text} is not a port number`);
  return port;
};

export const parseRate = (
  text: string | undefined,
  flag = '--upload-limit',
): number | undefined => {
  if (text === undefined) return undefined;
  const rate = parseByteSize(text);
  if (rate === undefined || rate <= 0)
    throw new FanseedError('CLI_USAGE', `${flag} ${text} is not a rate (e.g. 500K)`);
  return rate;
};

export const parseCount = (text: string | undefined, flag: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new FanseedError('CLI_USAGE', `${flag} ${text} is not a count from 1 to 10000`);
  return n;
};

/** "host:port" or "[v6]:port". */
export const parsePeer = (text: string): { host: string; port: number } => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || !(port > 0 && port < 65536))
    throw new FanseedError('CLI_USAGE', `--peer ${text} is not host:port`);
  return { host: (m[1] ?? m[2]) as string, port };
};
