/**
 * `fanseed mirror` as a web seed (BEP 19) for other clients, on 127.0.0.1: aria2, libtorrent and
 * Transmission (Debian's packages) each download a multi-file torrent whose url-list names the mirror, with
 * no peer and no tracker at all, byte-identical. And fanseed's own web-seed client fetches from
 * the same mirror through the CLI (`fanseed download --web-seed`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  assertSameTree,
  describeRun,
  FANSEED_BIN,
  freeTcpPort,
  Processes,
  PY,
  parseJsonObject,
  requireLibtorrent,
  requireProgram,
  SYSTEM_PYTHON,
  type Tree,
  waitForExit,
  waitForJson,
  writeTree,
} from './support.js';
import {
  localPost,
  STATUS,
  TRANSMISSION_DAEMON,
  Transmission,
  transmissionSettings,
} from './transmission.js';

const execFileAsync = promisify(execFile);
const HOST = '127.0.0.1';
const ARIA2C = '/usr/bin/aria2c';
const NAME = 'web-seeded';
/** No size a multiple of the 32 KiB piece: pieces cross files and the last one is short. */
const TREE: Tree = [
  ['feature.mkv', 1_500_007],
  ['extras/trailer one.webm', 333_333],
  ['extras/subs/en.srt', 12_345],
];

let tmp: string;
let torrent: string;
let mirrorUrl: string;
const procs = new Processes();

const cli = async (...args: string[]): Promise<string> => {
  const { stdout } = await execFileAsync(process.execPath, [FANSEED_BIN, ...args], {
    timeout: 30_000,
  });
  return stdout;
};

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fanseed-webseed-interop-'));
  await writeTree(join(tmp, 'source', NAME), TREE, 41);
  const port = await freeTcpPort();
  mirrorUrl = `http://${HOST}:${port}/`;
  torrent = join(tmp, `${NAME}.torrent`);
  await cli(
    'create',
    join(tmp, 'source', NAME),
    '-o',
    torrent,
    '--piece-length',
    '32768',
    '--web-seed',
    mirrorUrl,
  );
  const mirror = procs.start('fanseed mirror', process.execPath, [
    FANSEED_BIN,
    'mirror',
    torrent,
    '-p',
    join(tmp, 'source'),
    '--host',
    HOST,
    '--port',
    String(port),
    '--json',
  ]);
  await waitForJson(mirror, (v) => v.event === 'listening', 15_000, 'the mirror listening');
});

after(async () => {
  await procs.killAll();
  await rm(tmp, { recursive: true, force: true });
});

describe('fanseed mirror as a web seed', { timeout: 60_000 }, () => {
  it('aria2 downloads the torrent from the mirror alone', async () => {
    requireProgram(ARIA2C, 'aria2');
    const out = join(tmp, 'aria2');
    await mkdir(out);
    const aria2 = procs.start('aria2c', ARIA2C, [
      '--no-conf=true',
      `--dir=${out}`,
      '--enable-dht=false',
      '--enable-dht6=false',
      '--disable-ipv6=true',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      `--listen-port=${await freeTcpPort()}`,
      '--seed-time=0',
      '--file-allocation=none',
      '--console-log-level=warn',
      '--summary-interval=0',
      torrent,
    ]);
    const exit = await waitForExit(aria2, 45_000);
    assert.equal(exit.code, 0, describeRun(aria2));
    // aria2 does not know BEP 47: it fetches the padding files (the mirror serves zeros) and
    // writes them out as real files under .pad/.
    await rm(join(out, NAME, '.pad'), { recursive: true, force: true });
    await assertSameTree(join(tmp, 'source', NAME), join(out, NAME), () => describeRun(aria2));
  });

  it('libtorrent downloads the torrent from the mirror alone', async () => {
    await requireLibtorrent();
    const out = join(tmp, 'libtorrent');
    await mkdir(out);
    const lt = procs.start('lt_leech.py', SYSTEM_PYTHON, [
      join(PY, 'lt_leech.py'),
      torrent,
      out,
      '--timeout',
      '40',
    ]);
    const exit = await waitForExit(lt, 45_000);
    const result = lt.lines.map(parseJsonObject).find((v) => v !== undefined);
    assert.equal(exit.code, 0, describeRun(lt));
    assert.equal(result?.done, true, describeRun(lt));
    await assertSameTree(join(tmp, 'source', NAME), join(out, NAME), () => describeRun(lt));
  });

  it('Transmission downloads the torrent from the mirror alone', async () => {
    requireProgram(TRANSMISSION_DAEMON, 'transmission-daemon');
    const out = join(tmp, 'transmission');
    const config = join(tmp, 'transmission-config');
    await mkdir(out);
    await mkdir(config);
    const rpcPort = await freeTcpPort();
    const settings = transmissionSettings({
      rpcPort,
      peerPort: await freeTcpPort(),
      downloadDir: out,
      bindIpv4: HOST,
      encryption: 0,
    });
    await writeFile(join(config, 'settings.json'), JSON.stringify(settings));
    const proc = procs.start('transmission-daemon', TRANSMISSION_DAEMON, [
      '-f',
      '-g',
      config,
      '--log-info',
    ]);
    const daemon = new Transmission(proc, localPost(`http://${HOST}:${rpcPort}/transmission/rpc`));
    await daemon.ready(15_000);
    // Transmission 3 refuses hybrid torrents: a v1 one of the same files, on the same mirror.
    const v1 = join(tmp, `${NAME}-v1.torrent`);
    await cli(
      'create',
      join(tmp, 'source', NAME),
      '-o',
      v1,
      '-f',
      'v1',
      '--piece-length',
      '32768',
      '--web-seed',
      mirrorUrl,
    );
    await daemon.add(await readFile(v1));
    const total = TREE.reduce((n, [, length]) => n + length, 0);
    const done = await daemon.waitFor(
      'the whole torrent from the mirror',
      40_000,
      (s) => s.percentDone === 1 && s.haveValid >= total,
    );
    assert.equal(done.corruptEver, 0, daemon.why());
    // Stopping makes it write out its cache and close its files.
    await daemon.call('torrent-stop');
    await daemon.waitFor('stopped', 10_000, (s) => s.status === STATUS.stopped);
    await assertSameTree(join(tmp, 'source', NAME), join(out, NAME), daemon.why);
  });

  it('fanseed download --web-seed fetches from the mirror with no peers', async () => {
    const out = join(tmp, 'fanseed');
    const stripped = join(tmp, 'no-url-list.torrent');
    // A torrent without url-list: the mirror comes from the command line only.
    await cli('create', join(tmp, 'source', NAME), '-o', stripped, '--piece-length', '32768');
    const dl = procs.start('fanseed download', process.execPath, [
      FANSEED_BIN,
      'download',
      stripped,
      '-o',
      out,
      '--web-seed',
      mirrorUrl,
      '--no-dht',
      '--no-lsd',
      '--json',
    ]);
    const exit = await waitForExit(dl, 45_000);
    assert.equal(exit.code, 0, describeRun(dl));
    await waitForJson(
      dl,
      (v) => v.event === 'peer-connect' && v.address === mirrorUrl,
      1,
      'the mirror in use',
    );
    await assertSameTree(join(tmp, 'source', NAME), join(out, NAME), () => describeRun(dl));
  });
});
