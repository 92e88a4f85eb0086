/**
 * `npm run bench:dht`: the DHT in simulation and on 127.0.0.1, and a magnet link's first piece
 * found through the DHT alone, fanseed against libtorrent in the same run.
 *
 *   node dist/bench/dht.js [--nodes 500] [--lookups 1000] [--real-nodes 30] [--runs 3] [--json]
 *
 * 1. Simulation: --nodes DhtNode state machines on a virtual network (10-50 ms one way), node 0
 *    the router; 100 torrents announced, then --lookups get_peers lookups from random nodes, 20
 *    at a time. Reports wall-clock lookups per second (the CPU cost of the code), and the
 *    virtual median latency and hops, with every node up and with 20% switched off.
 * 2. Real sockets: --real-nodes DhtService nodes on 127.0.0.1 in this process, one the router;
 *    20 torrents announced; 200 lookups in turn from random nodes: lookups per second, median
 *    latency and hops.
 * 3. Magnet to first piece: a fanseed seeder announced on a 10-node fanseed DHT; a leecher with
 *    only a magnet link (no tracker, no peer) and the router's address: `fanseed download`
 *    against libtorrent (python3-libtorrent, lt_dht_peer.py), spawn to exit, for a one-piece
 *    torrent, best of --runs. Both times include starting the process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildMagnet } from '../src/core/metainfo/magnet.js';
import { parseTorrent } from '../src/core/metainfo/parse.js';
import { seededRng } from '../src/lib/ports.js';
import { pseudoRandomBytes } from '../src/lib/testing.js';
import { createTorrent } from '../src/runtime/create-torrent.js';
import { DhtService } from '../src/runtime/dht/dht-service.js';
import { nodeHash } from '../src/runtime/node-hash.js';
import { Session } from '../src/runtime/session.js';
import { DhtNet } from '../src/sim/dht-net.js';
import {
  fmt,
  inWorkFolder,
  log,
  progress,
  reportOnStderr,
  runBenchmark,
  table,
} from './lib/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FANSEED = join(ROOT, 'bin', 'fanseed.js');
const LT_PEER = join(ROOT, 'test', 'interop', 'py', 'lt_dht_peer.py');
const HOST = '127.0.0.1';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor(s.length / 2)] as number);
};

interface LookupFigures {
  readonly found: number;
  readonly total: number;
  readonly perSecond: number;
  readonly medianMs: number;
  readonly medianHops: number;
}

const simulate = (
  nodes: number,
  lookups: number,
): { up: LookupFigures; down: LookupFigures; bootstrapS: number } => {
  const net = new DhtNet({ nodes, seed: 1, hash: nodeHash });
  const t0 = performance.now();
  net.bootstrapAll();
  const bootstrapS = (performance.now() - t0) / 1000;
  const rng = seededRng(2);
  const pick = (): number => {
    for (;;) {
      const i = Math.floor(rng.next() * nodes);
      if (net.nodes[i]?.alive) return i;
    }
  };
  const torrents = Array.from({ length: 100 }, (_, n) => {
    const infoHash = new Uint8Array(20);
    rng.fill(infoHash);
    const seeder = pick();
    net.getPeers(seeder, infoHash, { port: 20_000 + n });
    return { infoHash, host: net.nodes[seeder]?.address.host, port: 20_000 + n };
  });
  net.runUntil(() => false, 5000);
  const round = (count: number): LookupFigures => {
    const ms: number[] = [];
    const hops: number[] = [];
    let found = 0;
    const started = performance.now();
    for (let done = 0; done < count; done += 20) {
      const batch = Array.from({ length: Math.min(20, count - done) }, () => {
        const t = torrents[Math.floor(rng.next() * torrents.length)] as (typeof torrents)[0];
        return { t, key: net.startGetPeers(pick(), t.infoHash) };
      });
      net.runUntil(() => batch.every((b) => net.result(b.key) !== undefined));
      for (const { t, key } of batch) {
        const r = net.result(key);
        if (r === undefined) continue;
        ms.push(r.ms);
        if (r.peers.some((p) => p.host === t.host && p.port === t.port)) {
          found++;
          if (r.stats.hops !== undefined) hops.push(r.stats.hops);
        }
      }
    }
    const wall = (performance.now() - started) / 1000;
    return {
      found,
      total: count,
      perSecond: count / wall,
      medianMs: median(ms),
      medianHops: median(hops),
    };
  };
  const up = round(lookups);
  for (const n of net.nodes.slice(1)) if (rng.next() < 0.2) net.kill(n.index);
  const down = round(lookups);
  return { up, down, bootstrapS };
};

const onLoopback = async (count: number): Promise<LookupFigures> => {
  const router = await DhtService.start({ host: HOST, bootstrap: [], rng: seededRng(5) });
  const nodes = [router];
  try {
    for (let i = 1; i < count; i++)
      nodes.push(
        await DhtService.start({
          host: HOST,
          bootstrap: [`${HOST}:${router.port}`],
          rng: seededRng(50 + i),
        }),
      );
    const deadline = Date.now() + 15_000;
    while (nodes.some((n) => n.stats().nodes < 8) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const rng = seededRng(6);
    const torrents = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const infoHash = new Uint8Array(20);
        rng.fill(infoHash);
        await (nodes[n % nodes.length] as DhtService).getPeers(infoHash, { port: 30_000 + n });
        return infoHash;
      }),
    );
    const ms: number[] = [];
    const hops: number[] = [];
    let found = 0;
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      const node = nodes[Math.floor(rng.next() * nodes.length)] as DhtService;
      const t0 = performance.now();
      const r = await node.getPeers(torrents[i % torrents.length] as Uint8Array);
      ms.push(performance.now() - t0);
      if (r.peers.length > 0) {
        found++;
        if (r.stats.hops !== undefined) hops.push(r.stats.hops);
      }
    }
    const wall = (performance.now() - started) / 1000;
    return {
      found,
      total: 200,
      perSecond: 200 / wall,
      medianMs: median(ms),
      medianHops: median(hops),
    };
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
};

/** Spawn to exit of a command, in seconds (it must exit 0). Asynchronous: the seeder and the
 * DHT nodes live in this process and must go on answering meanwhile. */
const timed = (command: string, args: readonly string[]): Promise<number> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve((performance.now() - t0) / 1000);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
    });
  });

const magnetToPiece = async (
  dir: string,
  runs: number,
): Promise<{ fanseed: number; libtorrent: number }> => {
  const router = await DhtService.start({ host: HOST, bootstrap: [], rng: seededRng(7) });
  const nodes = [router];
  const sessions: Session[] = [];
  try {
    for (let i = 1; i < 10; i++)
      nodes.push(
        await DhtService.start({
          host: HOST,
          bootstrap: [`${HOST}:${router.port}`],
          rng: seededRng(70 + i),
        }),
      );
    await new Promise((r) => setTimeout(r, 1500));
    mkdirSync(join(dir, 'seed'), { recursive: true });
    writeFileSync(join(dir, 'seed', 'trailer.mkv'), pseudoRandomBytes(256 * 1024, 8));
    const created = await createTorrent(join(dir, 'seed', 'trailer.mkv'), {
      pieceLength: 256 * 1024,
      format: 'v1',
    });
    const parsed = parseTorrent(created.torrent, nodeHash);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const seeder = await Session.open({ port: 0, host: HOST, dht: nodes[3] as DhtService });
    sessions.push(seeder);
    await seeder.add(parsed.value, { path: join(dir, 'seed'), skipCheck: true });
    const announced = await (nodes[3] as DhtService).getPeers(
      parsed.value.infoHashV1 as Uint8Array,
      { port: seeder.port },
    );
    progress(`  seeder announced to ${announced.announced} nodes`);
    const magnet = buildMagnet({ infoHashV1: parsed.value.infoHashV1 });
    const best = { fanseed: Number.POSITIVE_INFINITY, libtorrent: Number.POSITIVE_INFINITY };
    for (let run = 0; run < runs; run++) {
      const f = await timed(process.execPath, [
        FANSEED,
        'download',
        magnet,
        '-o',
        join(dir, `f${run}`),
        '--dht-bootstrap',
        `${HOST}:${router.port}`,
        '--no-lsd',
        '--json',
      ]);
      mkdirSync(join(dir, `l${run}`));
      const l = await timed('/usr/bin/python3', [
        LT_PEER,
        'leech',
        magnet,
        join(dir, `l${run}`),
        '--bootstrap',
        `${HOST}:${router.port}`,
        '--timeout',
        '60',
      ]);
      progress(`  run ${run + 1}: fanseed ${fmt(f, 2)} s, libtorrent ${fmt(l, 2)} s`);
      best.fanseed = Math.min(best.fanseed, f);
      best.libtorrent = Math.min(best.libtorrent, l);
    }
    return best;
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await Promise.all(nodes.map((n) => n.close()));
  }
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '500' },
      lookups: { type: 'string', default: '1000' },
      'real-nodes': { type: 'string', default: '30' },
      runs: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  reportOnStderr();
  const nodes = Number(values.nodes);
  const lookups = Number(values.lookups);
  progress(
    `simulating ${nodes} nodes, ${lookups} lookups with all up and ${lookups} with 20% gone ...`,
  );
  const sim = simulate(nodes, lookups);
  progress(`${values['real-nodes']} nodes on ${HOST} ...`);
  const real = await onLoopback(Number(values['real-nodes']));
  progress('magnet link to first piece through the DHT only ...');
  const first = await inWorkFolder(
    () => undefined,
    async (dir) => {
      const r = await magnetToPiece(dir, Number(values.runs));
      (globalThis as { firstPiece?: typeof r }).firstPiece = r;
      return 0;
    },
  ).then(() => (globalThis as { firstPiece?: { fanseed: number; libtorrent: number } }).firstPiece);
  if (values.json) {
    log(JSON.stringify({ sim, real, firstPiece: first }));
    return 0;
  }
  const row = (name: string, f: LookupFigures): string[] => [
    name,
    `${f.found}/${f.total}`,
    fmt(f.perSecond, 0),
    fmt(f.medianMs, 0),
    fmt(f.medianHops, 0),
  ];
  log(
    table(
      [
        ['lookups', 'found', 'lookups/s (wall)', 'median ms', 'median hops'],
        row(`simulated ${nodes} nodes, all up`, sim.up),
        row(`simulated ${nodes} nodes, 20% gone`, sim.down),
        row(`${values['real-nodes']} nodes on 127.0.0.1`, real),
      ],
      { left: new Set([0]) },
    ),
  );
  log(
    `simulated network joined in ${fmt(sim.bootstrapS, 1)} s of wall time (virtual latency 10-50 ms one way)`,
  );
  if (first !== undefined) {
    log(
      `magnet link -> first piece through the DHT only (spawn to exit, best of ${values.runs}): ` +
        `fanseed ${fmt(first.fanseed, 2)} s, libtorrent ${fmt(first.libtorrent, 2)} s, ratio (libtorrent / fanseed time) ${fmt(first.libtorrent / first.fanseed, 2)}x`,
    );
  }
  return 0;
};

await runBenchmark('dht', main);
