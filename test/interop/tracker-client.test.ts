/**
 * The tracker client against a real tracker: Debian's opentracker on 127.0.0.1, HTTP and UDP.
 * Two Announcers (two peer ids, two ports) announce the same info-hash and each must receive
 * the other as a peer; a hash outside opentracker's allow-list must give TRACKER_FAILURE.
 * opentracker has no daemon mode: it runs as a child process for the whole file, chrooted to a
 * fresh folder holding the allow-list (see docs: INTEROP notes), and is killed in after().
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex, utf8 } from '../../src/lib/bytes.js';
import { FanseedError } from '../../src/lib/errors.js';
import { type InfoHashV1, infoHashV1 } from '../../src/lib/ids.js';
import { seededRng } from '../../src/lib/ports.js';
import { type AnnouncedPeer, Announcer } from '../../src/runtime/tracker/announcer.js';
import { httpAnnounce, httpScrape } from '../../src/runtime/tracker/http-tracker.js';
import { UdpTrackerClient } from '../../src/runtime/tracker/udp-tracker.js';

const OPENTRACKER = '/usr/bin/opentracker';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const WAIT_TIMEOUT_MS = 10_000;

const hash = (byte: number): InfoHashV1 => infoHashV1(new Uint8Array(20).fill(byte)) as InfoHashV1;
/** On the allow-list: one per transport, so the two tests share no swarm. */
const HTTP_HASH = hash(0x11);
const UDP_HASH = hash(0x22);
/** Not on it. */
const REFUSED_HASH = hash(0x33);

const freeTcpPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const freeUdpPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, HOST, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async (what: string, condition: () => boolean): Promise<void> => {
  const deadline = performance.now() + WAIT_TIMEOUT_MS;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

/** An Announcer that records what it hears. */
class Peer {
  readonly peers: AnnouncedPeer[] = [];
  readonly errors: FanseedError[] = [];
  readonly announcer: Announcer;

  constructor(
    url: string,
    infoHash: InfoHashV1,
    readonly port: number,
  ) {
    this.announcer = new Announcer({
      tiers: [[url]],
      infoHash,
      peerId: utf8(`-FS0001-interop${port}`.padEnd(20, 'x').slice(0, 20)),
      port,
      rng: seededRng(port),
      stats: () => ({ uploaded: 0, downloaded: 0, left: 1024 }),
      onPeers: (peers) => this.peers.push(...peers),
      onError: (_url, error) => this.errors.push(error),
      // opentracker asks for a 15-minute min interval; the test cannot wait that long.
      schedule: { minIntervalBoundsMs: [0, 0] },
      udp: { baseTimeoutMs: 1000, maxTries: 3 },
    });
  }

  has(other: Peer): boolean {
    return this.peers.some((p) => p.host === HOST && p.port === other.port);
  }

  answered(): boolean {
    return this.announcer.trackers()[0]?.startSent === true;
  }
}

describe('tracker client against opentracker', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let httpPort: number;
  let udpPort: number;
  let output = '';

  before(async () => {
    if (!existsSync(OPENTRACKER)) {
      assert.fail(
        `${OPENTRACKER} not found: install Debian's "opentracker" package (apt-get install -y opentracker)`,
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'fanseed-opentracker-'));
    // opentracker chroots here and drops to nobody: the folder must be readable by others.
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'whitelist'), `${toHex(HTTP_HASH)}\n${toHex(UDP_HASH)}\n`, {
      mode: 0o644,
    });
    httpPort = await freeTcpPort();
    udpPort = await freeUdpPort();
    const args = ['-i', HOST, '-p', String(httpPort), '-P', String(udpPort)];
    const proc = spawn(OPENTRACKER, [...args, '-d', dir, '-w', '/whitelist'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (!(await canConnect(httpPort))) {
      if (proc.exitCode !== null || performance.now() > deadline) {
        assert.fail(`opentracker did not start (exit ${proc.exitCode}): ${output}`);
      }
      await sleep(50);
    }
  });

  after(async () => {
    const proc = child;
    if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['http', 'udp'] as const) {
    it(`two announcers find each other over ${kind}`, async () => {
      const url =
        kind === 'http'
          ? `http://${HOST}:${httpPort}/announce`
          : `udp://${HOST}:${udpPort}/announce`;
      const infoHash = kind === 'http' ? HTTP_HASH : UDP_HASH;
      const base = kind === 'http' ? 41_000 : 42_000;
      const a = new Peer(url, infoHash, base + 1);
      const b = new Peer(url, infoHash, base + 2);
      try {
        a.announcer.start();
        await waitFor('opentracker to answer a', () => a.answered() || a.errors.length > 0);
        b.announcer.start();
        await waitFor('b to hear of a', () => b.has(a) || b.errors.length > 0);
        a.announcer.reannounceSoon();
        await waitFor('a to hear of b', () => a.has(b) || a.errors.length > 0);
        assert.deepEqual([...a.errors, ...b.errors], []);
        assert.ok(b.has(a) && a.has(b));
      } finally {
        await Promise.all([a.announcer.stop(), b.announcer.stop()]);
      }
      assert.deepEqual([...a.errors, ...b.errors], [], 'stopped was accepted');
    });
  }

  it('scrapes over http and udp', async () => {
    const udp = new UdpTrackerClient({ rng: seededRng(7), baseTimeoutMs: 1000 });
    try {
      const peerId = utf8('-FS0001-scrapescrape');
      const announce = { infoHash: HTTP_HASH, peerId, port: 43_001, uploaded: 0, downloaded: 0 };
      await httpAnnounce(`http://${HOST}:${httpPort}/announce`, {
        ...announce,
        left: 0,
        event: 'started',
      });
      const h = await httpScrape(`http://${HOST}:${httpPort}/announce`, [HTTP_HASH]);
      assert.equal(h.files.length, 1);
      assert.ok((h.files[0]?.complete ?? 0) >= 1, JSON.stringify(h.files));
      const u = await udp.scrape(`udp://${HOST}:${udpPort}`, [HTTP_HASH, REFUSED_HASH]);
      assert.equal(u.files.length, 2);
      assert.ok((u.files[0]?.complete ?? 0) >= 1);
      assert.equal(u.files[1]?.complete, 0);
    } finally {
      await udp.close();
    }
  });

  it('gets TRACKER_FAILURE for a hash that is not on the allow-list', async () => {
    const peerId = utf8('-FS0001-notallowed00');
    const params = {
      infoHash: REFUSED_HASH,
      peerId,
      port: 44_001,
      uploaded: 0,
      downloaded: 0,
      left: 1,
      event: 'started' as const,
    };
    await assert.rejects(httpAnnounce(`http://${HOST}:${httpPort}/announce`, params), (e) => {
      assert.ok(e instanceof FanseedError);
      assert.equal(e.code, 'TRACKER_FAILURE');
      assert.match(e.message, /not authorized/);
      return true;
    });
    const udp = new UdpTrackerClient({ rng: seededRng(8), baseTimeoutMs: 1000 });
    try {
      await assert.rejects(
        udp.announce(`udp://${HOST}:${udpPort}`, { ...params, key: 1, numWant: 50 }),
        (e) => {
          assert.ok(e instanceof FanseedError);
          assert.equal(e.code, 'TRACKER_FAILURE', e.message);
          return true;
        },
      );
    } finally {
      await udp.close();
    }
    // Through an Announcer: reported to onError, and stop() is quick with nothing to stop.
    const p = new Peer(`http://${HOST}:${httpPort}/announce`, REFUSED_HASH, 44_002);
    p.announcer.start();
    await waitFor('the refusal', () => p.errors.length > 0);
    assert.equal(p.errors[0]?.code, 'TRACKER_FAILURE');
    await p.announcer.stop();
  });
});
