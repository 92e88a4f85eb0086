/**
 * A swarm that finds itself only through `fanseed tracker`: a libtorrent seeder, a Transmission
 * 3.00 leecher and an aria2 leecher, each in a network namespace of its own with its own address
 * (netns.ts), and the tracker (bin/fanseed.js, in allow-list mode, with a stats file) on a
 * fourth. Transmission ignores 127.x peers that a tracker hands
 * out, so on loopback it could not take part; here every client is a host of its own, as on a
 * real network. No client has another source of peers: libtorrent and Transmission run with
 * DHT, LSD, PEX and UPnP off; aria2 with DHT off over HTTP trackers, and over UDP trackers
 * (which aria2 speaks only with its DHT on) with a DHT that has no node to start from; and the
 * namespaces have no route but their own network.
 *
 * Once over HTTP and once over UDP announce URLs, each with its own torrent (v1, multi-file,
 * ~5 MiB in 64 KiB pieces, the last one short): both leechers must finish byte for byte, and
 * the tracker's counts must read 2 seeders (libtorrent, Transmission), 0 leechers (aria2 seeds
 * for a few seconds, then exits announcing "stopped") and 2 completed downloads, alike in
 * GET /stats, GET /stats/<info-hash>, an HTTP scrape and a UDP scrape; once every client has
 * stopped, 0 seeders and still 2 completed. The tracker never hands a peer its own address
 * (libtorrent never dials itself). Last, the tracker restarts on its stats file and still counts
 * every completed download.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decode } from '../../src/core/bencode/index.js';
import { isBytes, isDict } from '../../src/core/bencode/types.js';
import {
  createNetwork,
  type NetnsHost,
  type Network,
  netnsSkipReason,
  requireNetns,
} from './netns.js';
import {
  assertSameTree,
  describeRun,
  FANSEED_BIN,
  PY,
  type Running,
  requireLibtorrent,
  requireProgram,
  SYSTEM_PYTHON,
  type Tree,
  terminate,
  waitForExit,
  waitForJson,
  waitUntil,
  writeTree,
} from './support.js';
import {
  STATUS,
  type TorrentState,
  TRANSMISSION_DAEMON,
  Transmission,
  transmissionSettings,
} from './transmission.js';

const execFileAsync = promisify(execFile);

const ARIA2C = '/usr/bin/aria2c';

/** Each host has its own ports: fixed numbers cannot clash with anything. */
const TRACKER_PORT = 8000;
const PEER_PORT = 6881;
const TRANSMISSION_RPC_PORT = 9091;

const PIECE_LENGTH = 64 * 1024;
const TEST_TIMEOUT_MS = 90_000;
/** Each wait inside a test is shorter than the test, so that a hang fails with its own reason. */
const READY_TIMEOUT_MS = 15_000;
const TRANSFER_TIMEOUT_MS = 50_000;
const STATS_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 10_000;

/** ~5 MiB; no size is a multiple of the piece length, nor is the total. */
const TREE: Tree = [
  ['README.txt', 1_234],
  ['film/part-1.mkv', 2_700_017],
  ['film/part-2.mkv', 2_300_003],
  ['film/extras/trailer.mkv', 333_333],
  ['subs/en.srt', 23_456],
];
const TOTAL = TREE.reduce((n, [, length]) => n + length, 0);

type Transport = 'http' | 'udp';
const TRANSPORTS: readonly Transport[] = ['http', 'udp'];

interface Prepared {
  readonly name: string;
  /** The folder that holds `name`, with the data as it must arrive. */
  readonly source: string;
  readonly torrent: string;
  readonly infoHash: string;
}

/** What a tracker says of one swarm. */
interface SwarmCounts {
  readonly seeders: number;
  readonly leechers: number;
  readonly completed: number;
}

let tmp: string;
let net: Network;
let trackerHost: NetnsHost;
let seederHost: NetnsHost;
let transmissionHost: NetnsHost;
let ariaHost: NetnsHost;
let tracker: Running | undefined;
const prepared = new Map<Transport, Prepared>();

const prep = (t: Transport): Prepared => {
  const p = prepared.get(t);
  assert.ok(p !== undefined, `no torrent prepared for ${t}`);
  return p;
};

const scratch = async (...parts: string[]): Promise<string> => {
  const dir = join(tmp, 'runs', ...parts);
  await mkdir(dir, { recursive: true });
  return dir;
};

const announceUrl = (t: Transport): string =>
  t === 'http'
    ? `http://${trackerHost.address}:${TRACKER_PORT}/announce`
    : `udp://${trackerHost.address}:${TRACKER_PORT}/announce`;

const fanseedCli = async (...args: string[]): Promise<string> => {
  try {
    const { stdout } = await execFileAsync(process.execPath, [FANSEED_BIN, ...args], {
      timeout: 30_000,
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    assert.fail(`fanseed ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
};

const statsFile = (): string => join(tmp, 'tracker', 'stats.json');

const trackerOutput = (): string =>
  tracker === undefined ? '(tracker not started)' : describeRun(tracker, 40);

// ---------------------------------------------------------------------------------------------
// The tracker.

/**
 * `fanseed tracker` on its host, serving only our torrents (an allow-list file), keeping its
 * statistics in a file; once it says it listens (--json: a "listening" event).
 */
const startTracker = async (): Promise<Running> => {
  const dir = join(tmp, 'tracker');
  await mkdir(dir, { recursive: true });
  const allowList = join(dir, 'allow-list');
  const allowed = [...prepared.values()].map((p) => p.infoHash);
  await writeFile(allowList, `# the torrents of this test\n${allowed.join('\n')}\n`);
  const a = trackerHost.address;
  const port = String(TRACKER_PORT);
  const proc = trackerHost.exec(
    process.execPath,
    [
      FANSEED_BIN,
      'tracker',
      '--host',
      a,
      '--http-port',
      port,
      '--udp-port',
      port,
      '--allow-list',
      allowList,
      '--stats-file',
      statsFile(),
      '--json',
    ],
    { label: `fanseed tracker (${a})`, allLines: true },
  );
  const listening = await waitForJson(
    proc,
    (v) => v.event === 'listening',
    READY_TIMEOUT_MS,
    'the "listening" event',
  );
  assert.equal(listening.http, `http://${a}:${port}/announce`, describeRun(proc));
  assert.equal(listening.udp, `udp://${a}:${port}/announce`, describeRun(proc));
  return proc;
};

/** GET /stats from another host: totals and the row of one torrent. */
const trackerStats = async (
  from: NetnsHost,
  infoHash: string,
): Promise<{ totals: Record<string, unknown>; torrent: SwarmCounts; single: SwarmCounts }> => {
  const base = `http://${trackerHost.address}:${TRACKER_PORT}/stats`;
  const all = await from.fetch(base);
  assert.equal(all.status, 200, `GET ${base}: ${all.status} ${all.body.toString('utf8')}`);
  assert.match(all.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(all.body.toString('utf8')) as {
    totals?: Record<string, unknown>;
    torrents?: { infoHash?: unknown; seeders: number; leechers: number; completed: number }[];
  };
  assert.ok(body.totals !== undefined && Array.isArray(body.torrents), all.body.toString());
  const row = body.torrents.find((t) => t.infoHash === infoHash);
  const one = await from.fetch(`${base}/${infoHash}`);
  const single =
    one.status === 404
      ? { seeders: 0, leechers: 0, completed: 0 }
      : (JSON.parse(one.body.toString('utf8')) as SwarmCounts & { infoHash: string });
  assert.ok(one.status === 200 || one.status === 404, `GET ${base}/${infoHash}: ${one.status}`);
  const counts = (c: SwarmCounts | undefined): SwarmCounts => ({
    seeders: c?.seeders ?? 0,
    leechers: c?.leechers ?? 0,
    completed: c?.completed ?? 0,
  });
  return { totals: body.totals, torrent: counts(row), single: counts(single) };
};

// ---------------------------------------------------------------------------------------------
// Scrapes, made from the seeder's host: across the network, as a client would.

const percentEncoded = (hex: string): string =>
  (hex.match(/../g) ?? []).map((byte) => `%${byte}`).join('');

const intField = (dict: Map<string, unknown>, key: string): number => {
  const value = dict.get(key);
  assert.ok(typeof value === 'number', `scrape: "${key}" is not an integer`);
  return value;
};

/** BEP 48 over HTTP: complete, incomplete and downloaded of one info-hash. */
const httpScrape = async (from: NetnsHost, infoHash: string): Promise<SwarmCounts> => {
  const url = `http://${trackerHost.address}:${TRACKER_PORT}/scrape?info_hash=${percentEncoded(infoHash)}`;
  const { status, body } = await from.fetch(url);
  assert.equal(status, 200, `GET ${url}: HTTP ${status}: ${body.toString('latin1')}`);
  const decoded = decode(body);
  assert.ok(
    decoded.ok && isDict(decoded.value),
    `scrape: not a dictionary: ${body.toString('latin1')}`,
  );
  const files = decoded.value.get('files');
  assert.ok(isDict(files), `scrape: no "files": ${body.toString('latin1')}`);
  const entry = files.get(Buffer.from(infoHash, 'hex').toString('latin1'));
  if (entry === undefined) return { seeders: 0, leechers: 0, completed: 0 };
  assert.ok(isDict(entry) && !isBytes(entry), `scrape: bad entry: ${body.toString('latin1')}`);
  return {
    seeders: intField(entry, 'complete'),
    leechers: intField(entry, 'incomplete'),
    completed: intField(entry, 'downloaded'),
  };
};

/** BEP 15: connect, then scrape the info-hashes; prints [{ seeders, completed, leechers }]. */
const UDP_SCRAPE = `
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
const [host, port, ...hashes] = process.argv.slice(1);
const socket = createSocket('udp4');
const ask = (packet, tid) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3000);
  socket.on('message', function on(reply) {
    if (reply.length < 8 || !reply.subarray(4, 8).equals(tid)) return;
    clearTimeout(timer);
    socket.off('message', on);
    if (reply.readUInt32BE(0) === 3) reject(new Error('error reply: ' + reply.subarray(8)));
    else resolve(reply);
  });
  socket.send(packet, Number(port), host);
});
let tid = randomBytes(4);
const PROTOCOL_ID = Buffer.from('0000041727101980', 'hex');
const connected = await ask(Buffer.concat([PROTOCOL_ID, Buffer.alloc(4), tid]), tid);
if (connected.length < 16 || connected.readUInt32BE(0) !== 0) throw new Error('bad connect reply');
const connectionId = connected.subarray(8, 16);
tid = randomBytes(4);
const action = Buffer.from([0, 0, 0, 2]);
const hashBytes = hashes.map((h) => Buffer.from(h, 'hex'));
const reply = await ask(Buffer.concat([connectionId, action, tid, ...hashBytes]), tid);
if (reply.readUInt32BE(0) !== 2 || reply.length < 8 + 12 * hashes.length) {
  throw new Error('bad scrape reply: ' + reply.toString('hex'));
}
const counts = hashes.map((_, i) => ({
  seeders: reply.readUInt32BE(8 + 12 * i),
  completed: reply.readUInt32BE(12 + 12 * i),
  leechers: reply.readUInt32BE(16 + 12 * i),
}));
console.log(JSON.stringify(counts));
socket.close();
`;

const udpScrape = async (from: NetnsHost, infoHash: string): Promise<SwarmCounts> => {
  const r = await from.node(UDP_SCRAPE, [trackerHost.address, String(TRACKER_PORT), infoHash]);
  assert.equal(r.code, 0, `UDP scrape from ${from.name}: ${r.stderr}`);
  const [counts] = JSON.parse(r.stdout) as SwarmCounts[];
  assert.ok(counts !== undefined);
  return { seeders: counts.seeders, leechers: counts.leechers, completed: counts.completed };
};

/** Until /stats, /stats/<info-hash> and both scrapes read `want`; fails with what they read last. */
const waitForCounts = async (
  p: Prepared,
  want: SwarmCounts,
  what: string,
  watch: readonly Running[],
  explain: () => string = () => '',
): Promise<void> => {
  let last: unknown;
  await waitUntil(
    `the tracker to count ${what}: ${JSON.stringify(want)}`,
    STATS_TIMEOUT_MS,
    async () => {
      const stats = await trackerStats(seederHost, p.infoHash);
      const http = await httpScrape(seederHost, p.infoHash);
      const udp = await udpScrape(seederHost, p.infoHash);
      const read = { stats: stats.torrent, statsOfTorrent: stats.single, http, udp };
      last = read;
      return Object.values(read).every((c) => JSON.stringify(c) === JSON.stringify(want))
        ? true
        : undefined;
    },
    {
      watch,
      explain: () => `last read: ${JSON.stringify(last)}\n\n${explain()}\n\n${trackerOutput()}`,
    },
  );
};

// ---------------------------------------------------------------------------------------------
// The clients.

/** libtorrent, seeding a copy of the data from its own host, once it has checked it. */
const startSeeder = async (p: Prepared, label: string): Promise<Running> => {
  const data = await scratch(label, 'seeder');
  await cp(join(p.source, p.name), join(data, p.name), { recursive: true });
  const seeder = seederHost.exec(
    SYSTEM_PYTHON,
    [join(PY, 'lt_swarm_seed.py'), p.torrent, data, seederHost.address, String(PEER_PORT)],
    { label: `libtorrent seeder (${seederHost.address})`, allLines: true },
  );
  const ready = await waitForJson(
    seeder,
    (v) => 'ready' in v,
    READY_TIMEOUT_MS,
    'the seeder ready (data checked)',
  );
  assert.equal(ready.ready, true, describeRun(seeder));
  return seeder;
};

/** transmission-daemon in its host, driven over its JSON-RPC from inside that host. */
const startTransmission = async (label: string, downloadDir: string): Promise<Transmission> => {
  const config = await scratch(label, 'transmission-config');
  const settings = transmissionSettings({
    rpcPort: TRANSMISSION_RPC_PORT,
    peerPort: PEER_PORT,
    downloadDir,
    bindIpv4: transmissionHost.address,
    encryption: 1,
  });
  await writeFile(join(config, 'settings.json'), JSON.stringify(settings, null, 2));
  const proc = transmissionHost.exec(TRANSMISSION_DAEMON, ['-f', '-g', config, '--log-info'], {
    label: `transmission-daemon (${transmissionHost.address})`,
    cwd: config,
  });
  const url = `http://127.0.0.1:${TRANSMISSION_RPC_PORT}/transmission/rpc`;
  const t = new Transmission(
    proc,
    async (headers, body) => {
      const r = await transmissionHost.fetch(url, { method: 'POST', headers, body });
      return {
        status: r.status,
        sessionId: r.headers['x-transmission-session-id'],
        text: r.body.toString('utf8'),
      };
    },
    trackerOutput,
  );
  await t.ready(READY_TIMEOUT_MS);
  return t;
};

const complete = (s: TorrentState): boolean =>
  s.percentDone === 1 && s.leftUntilDone === 0 && s.haveValid === TOTAL;

/** aria2c leeching into `dir`, exiting 6 s after it is done; every other source off. */
const startAria2 = async (label: string, t: Transport, p: Prepared, dir: string) => {
  const state = await scratch(label, 'aria2-state');
  const dht =
    t === 'udp'
      ? [
          '--enable-dht=true',
          `--dht-listen-port=${PEER_PORT}`,
          `--dht-file-path=${join(state, 'dht.dat')}`,
        ]
      : ['--enable-dht=false'];
  return ariaHost.exec(
    ARIA2C,
    [
      '--no-conf=true',
      `--dir=${dir}`,
      `--listen-port=${PEER_PORT}`,
      ...dht,
      '--enable-dht6=false',
      '--disable-ipv6=true',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--file-allocation=none',
      // Seeds for 6 s, then exits: with --seed-time=0 it would announce "stopped" at once and
      // never "completed", and no tracker could count its download.
      '--seed-time=0.1',
      '--console-log-level=info',
      '--show-console-readout=false',
      '--summary-interval=0',
      p.torrent,
    ],
    { label: `aria2c (${ariaHost.address})`, cwd: state },
  );
};

// ---------------------------------------------------------------------------------------------

describe('a swarm meeting through the tracker, each client a host of its own', {
  skip: netnsSkipReason(),
}, () => {
  before(
    async () => {
      await requireNetns();
      await requireLibtorrent();
      requireProgram(TRANSMISSION_DAEMON, 'transmission-daemon');
      requireProgram(ARIA2C, 'aria2');
      tmp = await mkdtemp(join(tmpdir(), 'fanseed-interop-tracker-'));
      net = await createNetwork({ hosts: 4 });
      const [a, b, c, d] = net.hosts;
      assert.ok(a !== undefined && b !== undefined && c !== undefined && d !== undefined);
      [trackerHost, seederHost, transmissionHost, ariaHost] = [a, b, c, d];
      for (const [i, t] of TRANSPORTS.entries()) {
        const name = `swarm-${t}`;
        const source = join(tmp, 'source', t);
        await writeTree(join(source, name), TREE, 100 + i);
        await mkdir(join(tmp, 'torrents'), { recursive: true });
        const torrent = join(tmp, 'torrents', `${name}.torrent`);
        await fanseedCli(
          'create',
          join(source, name),
          '-o',
          torrent,
          '-f',
          'v1',
          '-l',
          '64K',
          '-a',
          announceUrl(t),
          '--no-date',
        );
        const info = JSON.parse(await fanseedCli('info', torrent, '--json')) as {
          infoHashV1?: unknown;
          pieceLength?: unknown;
        };
        assert.equal(info.pieceLength, PIECE_LENGTH);
        assert.ok(typeof info.infoHashV1 === 'string' && /^[0-9a-f]{40}$/.test(info.infoHashV1));
        prepared.set(t, { name, source, torrent, infoHash: info.infoHashV1 });
      }
      tracker = await startTracker();
      const started = tracker;
      // Up once a scrape over HTTP answers, from another host.
      await waitUntil(
        'the tracker to answer a scrape',
        READY_TIMEOUT_MS,
        () =>
          httpScrape(seederHost, prep('http').infoHash).then(
            () => true,
            () => undefined,
          ),
        { watch: [started] },
      );
    },
    { timeout: 60_000 },
  );
  // Every client of a case goes with it; the tracker stays for the file.
  afterEach(async () => {
    for (const host of [seederHost, transmissionHost, ariaHost]) await host?.killAll();
  });
  after(async () => {
    await net?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  for (const t of TRANSPORTS) {
    it(`libtorrent seeds Transmission and aria2, all found through the tracker over ${t}`, {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const p = prep(t);
      const started = performance.now();
      const phases: string[] = [];
      const mark = (what: string): void => {
        phases.push(`${what} ${((performance.now() - started) / 1000).toFixed(1)} s`);
      };
      const seeder = await startSeeder(p, t);
      mark('seeder ready');
      await waitForCounts(p, { seeders: 1, leechers: 0, completed: 0 }, 'the seeder', [seeder]);
      mark('listed');

      const transmissionOut = await scratch(t, 'transmission-out');
      const ariaOut = await scratch(t, 'aria2-out');
      const transmission = await startTransmission(t, transmissionOut);
      await transmission.add(await readFile(p.torrent));
      const aria = await startAria2(t, t, p, ariaOut);
      const why = (): string =>
        [
          transmission.why(),
          describeRun(aria, 30),
          `the seeder: ${describeRun(seeder, 30)}`,
          trackerOutput(),
        ].join('\n\n');

      // A tracker's refusal fails at once, with its reason, rather than at the time-out.
      await waitUntil(
        'aria2c to finish and exit',
        TRANSFER_TIMEOUT_MS,
        async () => {
          const refused = aria.lines.find((l) => l.includes('Tracker returned failure reason'));
          if (refused !== undefined) assert.fail(`the tracker refused aria2: ${refused}\n${why()}`);
          return aria.closed() ? true : undefined;
        },
        { watch: [seeder, transmission.proc], explain: why },
      );
      const ariaExit = await waitForExit(aria, EXIT_TIMEOUT_MS, why);
      assert.equal(ariaExit.code, 0, `aria2c did not finish\n${why()}`);
      mark('aria2 done and gone');
      await assertSameTree(join(p.source, p.name), join(ariaOut, p.name), why, {
        pieceLength: PIECE_LENGTH,
      });
      const done = await transmission.waitFor(
        'every piece downloaded and checked',
        TRANSFER_TIMEOUT_MS,
        complete,
        [seeder],
      );
      assert.equal(done.corruptEver, 0, `Transmission received corrupt data\n${why()}`);
      mark('Transmission done');

      // libtorrent and Transmission seed; aria2 left; two downloads completed.
      await waitForCounts(
        p,
        { seeders: 2, leechers: 0, completed: 2 },
        'the finished swarm',
        [seeder, transmission.proc],
        () => describeRun(aria, 60),
      );
      mark('counted');

      // Stopping the torrent makes Transmission write out its cache, close its files, and
      // announce "stopped".
      await transmission.call('torrent-stop');
      await transmission.waitFor('stopped', EXIT_TIMEOUT_MS, (s) => s.status === STATUS.stopped);
      await assertSameTree(join(p.source, p.name), join(transmissionOut, p.name), why, {
        pieceLength: PIECE_LENGTH,
      });
      // Never told of itself: libtorrent connected to the two leechers only.
      const dialled = seeder.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((v) => v.peer === 'connect')
        .map((v) => String(v.address).replace(/:\d+$/, ''));
      assert.ok(!dialled.includes(seederHost.address), `libtorrent met itself\n${why()}`);
      assert.deepEqual(
        [...new Set(dialled)].sort(),
        [transmissionHost.address, ariaHost.address].sort(),
        why(),
      );
      const seederExit = await terminate(seeder, EXIT_TIMEOUT_MS);
      assert.equal(seederExit.code, 0, describeRun(seeder));
      const stopped = seeder.lines.map((l) => JSON.parse(l) as Record<string, unknown>).at(-1);
      assert.equal(stopped?.stopped, true, describeRun(seeder));
      assert.ok(
        typeof stopped?.uploaded === 'number' && stopped.uploaded >= TOTAL,
        `libtorrent uploaded ${String(stopped?.uploaded)} of ${TOTAL} bytes\n${why()}`,
      );
      // Everyone said "stopped": no peer left, the completed count stays.
      mark('all stopped');
      await waitForCounts(p, { seeders: 0, leechers: 0, completed: 2 }, 'the stopped swarm', []);
      mark('counted');
      await terminate(transmission.proc, EXIT_TIMEOUT_MS);
      console.log(`tracker over ${t}, ${(TOTAL / 1e6).toFixed(1)} MB: ${phases.join(', ')}`);
    });
  }

  it('counts the same completed downloads after a restart on its stats file', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const before = new Map<Transport, SwarmCounts>();
    let totalsBefore: Record<string, unknown> = {};
    for (const t of TRANSPORTS) {
      const read = await trackerStats(seederHost, prep(t).infoHash);
      before.set(t, read.torrent);
      totalsBefore = read.totals;
    }
    const old = tracker;
    assert.ok(old !== undefined);
    const exit = await terminate(old, EXIT_TIMEOUT_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, describeRun(old));
    assert.ok((await stat(statsFile())).size > 0, `no stats file\n${describeRun(old)}`);
    tracker = await startTracker();
    for (const t of TRANSPORTS) {
      const p = prep(t);
      const counts = before.get(t) ?? assert.fail();
      // Peers live in memory only: none survive; the completed count does.
      await waitForCounts(
        p,
        { seeders: 0, leechers: 0, completed: counts.completed },
        `${t} after the restart`,
        [tracker],
      );
    }
    const { totals } = await trackerStats(seederHost, prep('http').infoHash);
    assert.equal(
      totals.completed,
      totalsBefore.completed,
      JSON.stringify({ totals, totalsBefore }),
    );
    assert.equal(totals.seeders, 0);
    assert.equal(totals.leechers, 0);
  });
});
