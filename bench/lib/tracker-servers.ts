/**
 * The trackers under test, each started as a child process under GNU time (TimedProcess: its
 * CPU time and peak RSS are read from /proc while it runs), on 127.0.0.1 with one free port for
 * both TCP (HTTP) and UDP, and probed until it answers announces of the benchmark's torrents.
 *
 * opentracker (Debian package): allow-list mode is compiled in, so every info-hash goes into
 * its white list; run as root it chroots to `-d DIR` and drops to `nobody`, so the list's path
 * is relative to that folder and the folder must be readable by others. No daemon mode: the
 * process stays in the foreground and is stopped by its PID.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { TimedProcess } from './timed-process.js';
import { infoHashOf } from './tracker-load-check.js';
import type { HttpMode } from './tracker-load-http.js';

export type ServerName = 'fanseed' | 'opentracker';

export interface TrackerServer {
  readonly name: ServerName;
  readonly process: TimedProcess;
  readonly host: string;
  readonly port: number;
  /** HTTP modes measured: the one the server supports best first. */
  readonly httpModes: readonly HttpMode[];
  readonly version: string;
  /** How it was started, for the report. */
  readonly command: string;
}

export const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
/** Packets per second per address: the highest `fanseed tracker --udp-rate-limit` takes. */
export const UDP_RATE_LIMIT = 1_000_000;

/** A port free for both TCP and UDP on 127.0.0.1. */
export const freePort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const address = server.address();
        server.close(() =>
          resolve(typeof address === 'object' && address !== null ? address.port : 0),
        );
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, HOST, () => socket.close(() => resolve(true)));
    });
    if (port > 0 && udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
};

const opentrackerVersion = (): string => {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', `$\{Version}`, 'opentracker'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
};

export const requireOpentracker = (): void => {
  try {
    execFileSync('opentracker', ['-h'], { stdio: 'ignore', timeout: 10_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('opentracker is missing: apt-get install opentracker (Debian package)');
    }
    // `opentracker -h` prints its usage and exits with a non-zero status: it is there.
  }
};

/** `prefix` runs the server under another command (taskset -c N), or nothing. */
export const startOpentracker = async (
  dir: string,
  hashList: string,
  timeFile: string,
  prefix: readonly string[],
): Promise<TrackerServer> => {
  const root = join(dir, 'opentracker-root');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'whitelist'), hashList);
  chmodSync(root, 0o755);
  chmodSync(join(root, 'whitelist'), 0o644);
  const port = await freePort();
  const args = ['-i', HOST, '-p', String(port), '-P', String(port), '-d', root, '-w', '/whitelist'];
  const [command, ...rest] = [...prefix, 'opentracker', ...args];
  const p = new TimedProcess('opentracker', command ?? 'opentracker', rest, timeFile);
  return {
    name: 'opentracker',
    process: p,
    host: HOST,
    port,
    httpModes: ['close'],
    version: opentrackerVersion(),
    command: `opentracker ${args.join(' ')}`,
  };
};

/**
 * `fanseed tracker` in open mode, or with `allowList`. Its per-address UDP rate limit (meant
 * for the internet, where 1M peers come from about as many addresses) is raised to its
 * maximum: here 1M peers share a few loopback addresses. The limiter still runs on every
 * packet; it only never refuses.
 */
export const startFanseedTracker = async (
  fanseed: string,
  help: string,
  allowList: string | undefined,
  timeFile: string,
  prefix: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<TrackerServer> => {
  const port = await freePort();
  const args = [
    ...nodeArgs,
    fanseed,
    'tracker',
    '--host',
    HOST,
    '--http-port',
    String(port),
    '--udp-port',
    String(port),
    ...(help.includes('--udp-rate-limit') ? ['--udp-rate-limit', String(UDP_RATE_LIMIT)] : []),
    ...(allowList === undefined ? [] : ['--allow-list', allowList]),
  ];
  const [command, ...rest] = [...prefix, process.execPath, ...args];
  const p = new TimedProcess('fanseed tracker', command ?? process.execPath, rest, timeFile);
  return {
    name: 'fanseed',
    process: p,
    host: HOST,
    port,
    httpModes: ['keep-alive', 'close'],
    version: (() => {
      try {
        return execFileSync(process.execPath, [fanseed, '--version'], { encoding: 'utf8' }).trim();
      } catch {
        return 'unknown';
      }
    })(),
    command: `node ${args.map((a) => (a === fanseed ? 'bin/fanseed.js' : a)).join(' ')}`,
  };
};

/** The help text of `fanseed tracker`, or undefined when this build has no such command. */
export const fanseedTrackerHelp = (fanseed: string): string | undefined => {
  try {
    return execFileSync(process.execPath, [fanseed, 'tracker', '--help'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
  } catch {
    return undefined;
  }
};

/**
 * Waits until the tracker answers a UDP announce (event stopped, from 127.0.0.1, which is not
 * one of the population's addresses) for the last torrent with an announce reply, not an error:
 * then it is listening and its allow list (if any) is loaded. Also checks the HTTP port.
 */
export const waitUntilServing = async (
  server: TrackerServer,
  hashes: Uint8Array,
): Promise<void> => {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const torrents = hashes.length / 20;
  const socket = createSocket('udp4');
  let lastError = 'no reply';
  try {
    await new Promise<void>((resolve) => socket.bind(0, HOST, () => resolve()));
    const reply = (packet: Buffer): Promise<Buffer | undefined> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          socket.off('message', onMessage);
          resolve(undefined);
        }, 250);
        const onMessage = (msg: Buffer): void => {
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(msg);
        };
        socket.on('message', onMessage);
        socket.send(packet, server.port, HOST);
      });
    while (Date.now() < deadline) {
      if (!server.process.running) {
        throw new Error(`${server.name} exited at start:\n${server.process.stderrTail()}`);
      }
      const connect = Buffer.alloc(16);
      connect.writeBigUInt64BE(0x41727101980n, 0);
      connect.writeUInt32BE(7, 12);
      const c = await reply(connect);
      if (c !== undefined && c.length >= 16 && c.readUInt32BE(0) === 0) {
        const announce = Buffer.alloc(98);
        c.copy(announce, 0, 8, 16);
        announce.writeUInt32BE(1, 8);
        announce.writeUInt32BE(8, 12);
        announce.set(infoHashOf(hashes, torrents - 1), 16);
        announce.write('-FB0001-probe0000000', 36, 'latin1');
        announce.writeUInt32BE(3, 80);
        announce.writeInt32BE(-1, 92);
        announce.writeUInt16BE(1, 96);
        const a = await reply(announce);
        if (a !== undefined && a.length >= 20 && a.readUInt32BE(0) === 1) {
          await checkTcp(server.port);
          return;
        }
        if (a !== undefined && a.readUInt32BE(0) === 3) {
          lastError = a.subarray(8).toString('latin1');
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `${server.name} does not serve announces after ${START_TIMEOUT_MS / 1000} s: ${lastError}`,
    );
  } finally {
    socket.close();
  }
};

const checkTcp = (port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, HOST, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
