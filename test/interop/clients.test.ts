/**
 * Data transfer between fanseed and two other BitTorrent clients from Debian, aria2 and
 * Transmission 3.00, on 127.0.0.1, both ways, with v1 multi-file torrents that fanseed makes
 * (nested folders, ~2 MiB, 32 KiB pieces, no file a multiple of the piece length; both clients
 * are v1-only). fanseed runs through its real executable, bin/fanseed.js, as a user would run it.
 * Every file must arrive byte for byte.
 *
 * - aria2 learns peers only from trackers: the two sides meet through Debian's opentracker, over
 *   HTTP and over UDP (each case its own torrent, so its own swarm, on opentracker's allow-list).
 *   aria2 speaks to UDP trackers only with its DHT on ("--enable-dht: it also enables UDP tracker
 *   support", aria2c(1)): the UDP cases turn it on with no bootstrap node and a fresh routing
 *   table file, so the tracker remains the only source of peers.
 * - Transmission ignores 127.x peers that a tracker hands out, so fanseed dials it (--peer), and
 *   the torrents have no tracker. Each Transmission case gets its own transmission-daemon: one
 *   that has had a seed at 127.0.0.1 refuses every later handshake from 127.0.0.1 while it seeds
 *   itself ("another seed tried to reconnect to us": it keeps one record per address, not per
 *   address and port, and drops seed-to-seed connections). Transmission decides to be
 *   interested and to unchoke every 10 s, so its transfers take ~10 s here.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  assertSameTree,
  describeRun,
  FANSEED_BIN,
  freeTcpAndUdpPort,
  freeTcpPort,
  freeUdpPort,
  jsonLines,
  Processes,
  parseJsonObject,
  type Running,
  requireProgram,
  type Tree,
  terminate,
  waitForExit,
  waitForJson,
  waitUntil,
  writeTree,
} from './support.js';
import {
  localPost,
  STATUS,
  type TorrentState,
  TRANSMISSION_DAEMON,
  Transmission,
  transmissionSettings,
} from './transmission.js';

const execFileAsync = promisify(execFile);

const HOST = '127.0.0.1';
const OPENTRACKER = '/usr/bin/opentracker';
const ARIA2C = '/usr/bin/aria2c';

const PIECE_LENGTH = 32 * 1024;
const TEST_TIMEOUT_MS = 60_000;
/** Each wait inside a test is shorter than the test, so that a hang fails with its own reason. */
const READY_TIMEOUT_MS = 15_000;
const TRANSFER_TIMEOUT_MS = 40_000;
const EXIT_TIMEOUT_MS = 10_000;

/** ~2 MiB in nested folders; no size is a multiple of the 32 KiB piece length. */
const TREE: Tree = [
  ['README.txt', 1_234],
  ['films/short-1.mkv', 1_100_003],
  ['films/extras/making-of.mkv', 777_777],
  ['films/extras/stills/frame.png', 150_001],
  ['subs/en.srt', 12_345],
  ['subs/fr.srt', 45_678],
];
const TOTAL = TREE.reduce((n, [, length]) => n + length, 0);

type Transport = 'http' | 'udp';
const TRANSPORTS: readonly Transport[] = ['http', 'udp'];

/** One torrent per case: its own name, so its own info-hash and swarm. */
interface Prepared {
  /** The torrent's name: the top folder. */
  readonly name: string;
  /** The folder that holds `name`, with the data as it must arrive. */
  readonly source: string;
  readonly torrent: string;
  readonly infoHash: string;
}

let tmp: string;
let httpPort: number;
let udpPort: number;
const prepared = new Map<string, Prepared>();
const prep = (id: string): Prepared => {
  const p = prepared.get(id);
  assert.ok(p !== undefined, `no torrent prepared for ${id}`);
  return p;
};

/** A fresh folder per test, so that no test sees another's output. */
const scratch = async (...parts: string[]): Promise<string> => {
  const dir = join(tmp, 'runs', ...parts);
  await mkdir(dir, { recursive: true });
  return dir;
};

/** A copy of the source for a seeder, so that a seeder that writes cannot damage the source. */
const seederCopy = async (p: Prepared, ...parts: string[]): Promise<string> => {
  const data = await scratch(...parts);
  await cp(join(p.source, p.name), join(data, p.name), { recursive: true });
  return data;
};

const procs = new Processes();

const fanseed = (...args: string[]): Running =>
  procs.start(`fanseed ${args[0] ?? ''}`, process.execPath, [
    FANSEED_BIN,
    ...args,
    // Tests never reach the public DHT routers or the LAN.
    ...(args[0] === 'download' || args[0] === 'seed' ? ['--no-dht', '--no-lsd'] : []),
  ]);

const fanseedCli = async (...args: string[]): Promise<string> => {
  try {
    const { stdout } = await execFileAsync(process.execPath, [FANSEED_BIN, ...args], {
      timeout: 30_000,
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    assert.fail(`fanseed ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
};

/** The CLI contract: with --json, every stdout line is one JSON object naming its event. */
const assertJsonEvents = (p: Running): void => {
  for (const line of p.lines.filter((l) => l.trim() !== '')) {
    const event = parseJsonObject(line);
    assert.ok(typeof event?.event === 'string', `not a JSON event line: ${line}\n${p.label}`);
  }
};

/** `fanseed seed`, until it has checked its data and says it is seeding. */
const startFanseedSeed = async (p: Prepared, data: string, ...extra: string[]) => {
  const seed = fanseed('seed', p.torrent, '-p', data, '--port', '0', ...extra, '--json');
  await waitForJson(seed, (v) => v.event === 'seeding', READY_TIMEOUT_MS, 'the "seeding" event');
  return seed;
};

/** Stops a fanseed seeder (SIGTERM: it must exit 0) and checks it sent the whole torrent. */
const stopFanseedSeed = async (seed: Running): Promise<void> => {
  const exit = await terminate(seed, EXIT_TIMEOUT_MS);
  assert.deepEqual(exit, { code: 0, signal: null }, describeRun(seed));
  assertJsonEvents(seed);
  const stopped = jsonLines(seed)
    .reverse()
    .find((v) => v.event === 'stopped');
  assert.ok(typeof stopped?.uploaded === 'number', `no "stopped" event\n${describeRun(seed)}`);
  assert.ok(stopped.uploaded >= TOTAL, `fanseed uploaded ${stopped.uploaded} of ${TOTAL} bytes`);
};

/** fanseed's "peer-connect" events: the addresses it exchanged handshakes with. */
const connectedPeers = (p: Running): string[] =>
  jsonLines(p)
    .filter((v) => v.event === 'peer-connect')
    .map((v) => String(v.address));

before(
  async () => {
    tmp = await mkdtemp(join(tmpdir(), 'fanseed-interop-clients-'));
    httpPort = await freeTcpPort();
    udpPort = await freeUdpPort();
    const ids: [string, string | undefined][] = [
      ...TRANSPORTS.flatMap((t): [string, string][] => {
        const url =
          t === 'http'
            ? `http://${HOST}:${httpPort}/announce`
            : `udp://${HOST}:${udpPort}/announce`;
        return [
          [`aria2-leeches-${t}`, url],
          [`aria2-seeds-${t}`, url],
        ];
      }),
      ['transmission-leeches', undefined],
      ['transmission-seeds', undefined],
    ];
    for (const [i, [id, announce]] of ids.entries()) {
      const name = `festival-${id}`;
      const source = join(tmp, 'source', id);
      await writeTree(join(source, name), TREE, i + 1);
      const torrent = join(tmp, 'torrents', `${id}.torrent`);
      await mkdir(join(tmp, 'torrents'), { recursive: true });
      const trackerArgs = announce === undefined ? [] : ['-a', announce];
      await fanseedCli(
        'create',
        join(source, name),
        '-o',
        torrent,
        '-f',
        'v1',
        '-l',
        '32K',
        ...trackerArgs,
        '--no-date',
      );
      const info = JSON.parse(await fanseedCli('info', torrent, '--json')) as {
        infoHashV1?: unknown;
        pieceLength?: unknown;
        files?: unknown;
      };
      assert.equal(info.pieceLength, PIECE_LENGTH);
      assert.ok(Array.isArray(info.files) && info.files.length === TREE.length);
      assert.ok(typeof info.infoHashV1 === 'string' && /^[0-9a-f]{40}$/.test(info.infoHashV1));
      prepared.set(id, { name, source, torrent, infoHash: info.infoHashV1 });
    }
  },
  { timeout: 60_000 },
);
afterEach(() => procs.killAll());
after(async () => {
  await procs.killAll();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// opentracker and aria2.

const daemons = new Processes();
let opentracker: Running | undefined;

const opentrackerOutput = (): string =>
  opentracker === undefined ? '(opentracker not started)' : describeRun(opentracker);

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** One HTTP GET on a fresh connection (opentracker closes each after one reply). */
const httpGet = (url: string): Promise<{ status: number; body: Buffer }> =>
  new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url}: timed out`)));
    request.on('error', reject);
  });

/** Seeders opentracker counts in a swarm, from an HTTP scrape. */
const seedersAtTracker = async (infoHash: string): Promise<number> => {
  const escaped = (infoHash.match(/../g) ?? []).map((byte) => `%${byte}`).join('');
  const { status, body } = await httpGet(`http://${HOST}:${httpPort}/scrape?info_hash=${escaped}`);
  const text = body.toString('latin1');
  assert.equal(status, 200, `opentracker scrape: HTTP ${status}: ${text}`);
  const complete = /8:completei(\d+)e/.exec(text);
  return complete === null ? 0 : Number(complete[1]);
};

/** Until opentracker lists a seeder in the swarm: the other side can then find it. */
const waitForSeederAtTracker = (p: Prepared, seeder: Running): Promise<true> =>
  waitUntil(
    `opentracker to list ${seeder.label} as a seeder`,
    READY_TIMEOUT_MS,
    async () => ((await seedersAtTracker(p.infoHash)) >= 1 ? true : undefined),
    { watch: [seeder], explain: opentrackerOutput },
  );

/**
 * aria2c with every other source of peers off (no LPD, no PEX; no DHT, or over UDP trackers a
 * DHT with no node to start from), logging at info level to stdout for failure messages.
 */
const aria2 = async (
  label: string,
  transport: Transport,
  p: Prepared,
  dir: string,
  listenPort: number,
  extra: readonly string[],
): Promise<Running> => {
  const state = await scratch(`${label}-aria2-state`);
  const dht =
    transport === 'udp'
      ? [
          '--enable-dht=true',
          `--dht-listen-port=${await freeUdpPort()}`,
          `--dht-file-path=${join(state, 'dht.dat')}`,
        ]
      : ['--enable-dht=false'];
  const args = [
    '--no-conf=true',
    `--dir=${dir}`,
    `--listen-port=${listenPort}`,
    ...dht,
    '--enable-dht6=false',
    '--disable-ipv6=true',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--file-allocation=none',
    '--console-log-level=info',
    '--show-console-readout=false',
    '--summary-interval=0',
    ...extra,
    p.torrent,
  ];
  return procs.start(`aria2c (${label}, port ${listenPort})`, ARIA2C, args, { cwd: state });
};

describe('aria2 and fanseed, meeting through opentracker', () => {
  before(async () => {
    requireProgram(OPENTRACKER, 'opentracker');
    requireProgram(ARIA2C, 'aria2');
    // opentracker chroots here and drops to nobody: the folder must be readable by others.
    const dir = join(tmp, 'opentracker');
    await mkdir(dir);
    await chmod(dir, 0o755);
    const allowed = [...prepared.values()].map((p) => p.infoHash);
    await writeFile(join(dir, 'whitelist'), `${allowed.join('\n')}\n`, { mode: 0o644 });
    const args = ['-i', HOST, '-p', String(httpPort), '-P', String(udpPort)];
    const proc = daemons.start('opentracker', OPENTRACKER, [
      ...args,
      '-d',
      dir,
      '-w',
      '/whitelist',
    ]);
    opentracker = proc;
    await waitUntil(
      `opentracker to listen on ${HOST}:${httpPort}`,
      READY_TIMEOUT_MS,
      async () => ((await canConnect(httpPort)) ? true : undefined),
      { watch: [proc] },
    );
    // The allow-list is in force and holds our hashes: a scrape of one must work.
    assert.equal(await seedersAtTracker(prep('aria2-leeches-http').infoHash), 0);
  });
  after(() => daemons.killAll());

  for (const transport of TRANSPORTS) {
    it(`aria2 downloads from a fanseed seeder (tracker over ${transport})`, {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const p = prep(`aria2-leeches-${transport}`);
      const data = await seederCopy(p, `aria2-leeches-${transport}`, 'seeder');
      const out = await scratch(`aria2-leeches-${transport}`, 'out');
      try {
        const seed = await startFanseedSeed(p, data);
        await waitForSeederAtTracker(p, seed);
        const leech = await aria2('leecher', transport, p, out, await freeTcpPort(), [
          '--seed-time=0',
        ]);
        const why = (): string =>
          `${describeRun(leech, 30)}\n\nthe seeder: ${describeRun(seed)}\n\n${opentrackerOutput()}`;
        const exit = await waitForExit(leech, TRANSFER_TIMEOUT_MS, () =>
          [describeRun(seed), opentrackerOutput()].join('\n\n'),
        );
        assert.equal(exit.code, 0, `aria2c did not finish\n${why()}`);
        await assertSameTree(join(p.source, p.name), join(out, p.name), why);
        await stopFanseedSeed(seed);
        await assertSameTree(join(p.source, p.name), join(data, p.name)); // left as it was
      } finally {
        await procs.killAll();
      }
    });

    it(`fanseed downloads from an aria2 seeder (tracker over ${transport})`, {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const p = prep(`aria2-seeds-${transport}`);
      const data = await seederCopy(p, `aria2-seeds-${transport}`, 'seeder');
      const out = await scratch(`aria2-seeds-${transport}`, 'out');
      try {
        const ariaPort = await freeTcpPort();
        const seed = await aria2('seeder', transport, p, data, ariaPort, [
          '--check-integrity=true',
          '--seed-ratio=0.0',
          '--seed-time=60', // minutes: it is killed by PID once the test is done
        ]);
        await waitForSeederAtTracker(p, seed);
        // No --peer: the tracker is its only way to find aria2.
        const download = fanseed('download', p.torrent, '-o', out, '--json');
        const why = (): string =>
          `${describeRun(download)}\n\nthe seeder: ${describeRun(seed, 30)}\n\n${opentrackerOutput()}`;
        const exit = await waitForExit(download, TRANSFER_TIMEOUT_MS, () =>
          [describeRun(seed, 30), opentrackerOutput()].join('\n\n'),
        );
        assert.equal(exit.code, 0, `fanseed did not finish\n${why()}`);
        assertJsonEvents(download);
        assert.ok(
          connectedPeers(download).includes(`${HOST}:${ariaPort}`),
          `fanseed never connected to aria2 at ${HOST}:${ariaPort}\n${why()}`,
        );
        await assertSameTree(join(p.source, p.name), join(out, p.name), why);
      } finally {
        await procs.killAll();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Transmission.

/** A transmission-daemon of its own (config folder, ports), answering RPC, and its peer port. */
const startTransmission = async (
  label: string,
  downloadDir: string,
): Promise<Transmission & { readonly peerPort: number }> => {
  requireProgram(TRANSMISSION_DAEMON, 'transmission-daemon');
  const config = await scratch(`${label}-transmission-config`);
  const rpcPort = await freeTcpPort();
  const peerPort = await freeTcpAndUdpPort();
  // Encryption 0: prefer plain connections (2 would refuse fanseed's plain dials).
  const settings = transmissionSettings({
    rpcPort,
    peerPort,
    downloadDir,
    bindIpv4: HOST,
    encryption: 0,
  });
  await writeFile(join(config, 'settings.json'), JSON.stringify(settings, null, 2));
  const proc = procs.start(
    `transmission-daemon (${label}, peer port ${peerPort})`,
    TRANSMISSION_DAEMON,
    ['-f', '-g', config, '--log-info'],
    { cwd: config },
  );
  const daemon = new Transmission(proc, localPost(`http://${HOST}:${rpcPort}/transmission/rpc`));
  await daemon.ready(READY_TIMEOUT_MS);
  return Object.assign(daemon, { peerPort });
};

const complete = (s: TorrentState): boolean =>
  s.percentDone === 1 && s.leftUntilDone === 0 && s.haveValid === TOTAL;

describe('Transmission and fanseed (fanseed dials Transmission)', () => {
  before(() => requireProgram(TRANSMISSION_DAEMON, 'transmission-daemon'));

  it('Transmission downloads from a fanseed seeder', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = prep('transmission-leeches');
    const data = await seederCopy(p, 'transmission-leeches', 'seeder');
    const out = await scratch('transmission-leeches', 'out');
    try {
      const transmission = await startTransmission('leecher', out);
      await transmission.add(await readFile(p.torrent));
      // It checks for data already there first; it must know the torrent before fanseed dials.
      await transmission.waitFor(
        'downloading',
        READY_TIMEOUT_MS,
        (s) => s.status === STATUS.downloading,
      );
      const seed = await startFanseedSeed(p, data, '--peer', `${HOST}:${transmission.peerPort}`);
      const why = (): string => `${transmission.why()}\n\nthe seeder: ${describeRun(seed)}`;
      const done = await transmission.waitFor(
        'every piece downloaded and checked',
        TRANSFER_TIMEOUT_MS,
        complete,
        [seed],
      );
      assert.equal(done.corruptEver, 0, `Transmission received corrupt data\n${why()}`);
      // Stopping the torrent makes Transmission write out its cache and close the files.
      await transmission.call('torrent-stop');
      await transmission.waitFor('stopped', EXIT_TIMEOUT_MS, (s) => s.status === STATUS.stopped);
      await assertSameTree(join(p.source, p.name), join(out, p.name), why);
      await stopFanseedSeed(seed);
      await assertSameTree(join(p.source, p.name), join(data, p.name)); // left as it was
    } finally {
      await procs.killAll();
    }
  });

  it('fanseed downloads from a Transmission seeder', { timeout: TEST_TIMEOUT_MS }, async () => {
    const p = prep('transmission-seeds');
    const data = await seederCopy(p, 'transmission-seeds', 'seeder');
    const out = await scratch('transmission-seeds', 'out');
    try {
      const transmission = await startTransmission('seeder', data);
      await transmission.add(await readFile(p.torrent));
      // With the data present, Transmission checks it when the torrent is added, then seeds.
      await transmission.waitFor(
        'seeding after checking its data',
        READY_TIMEOUT_MS,
        (s) => s.status === STATUS.seeding && complete(s),
      );
      const download = fanseed(
        'download',
        p.torrent,
        '-o',
        out,
        '--peer',
        `${HOST}:${transmission.peerPort}`,
        '--json',
      );
      const why = (): string => `${describeRun(download)}\n\n${transmission.why()}`;
      const exit = await waitForExit(download, TRANSFER_TIMEOUT_MS, transmission.why);
      assert.equal(exit.code, 0, `fanseed did not finish\n${why()}`);
      assertJsonEvents(download);
      assert.deepEqual(connectedPeers(download), [`${HOST}:${transmission.peerPort}`], why());
      await assertSameTree(join(p.source, p.name), join(out, p.name), why);
      const state = await transmission.torrent();
      assert.ok(
        state.uploadedEver >= TOTAL,
        `Transmission uploaded ${state.uploadedEver}\n${why()}`,
      );
    } finally {
      await procs.killAll();
    }
  });
});
