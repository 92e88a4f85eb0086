/**
 * The namespace harness itself (netns.ts): hosts reach each other over TCP and UDP and nothing
 * else, and every namespace and every process started inside goes away on close(), when the
 * process exits on a signal or an uncaught exception, and after SIGKILL on the next sweep.
 * Skipped with a reason when not root; as root (CI) a machine that cannot do it fails.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createNetwork,
  listNamespaces,
  netnsSkipReason,
  requireNetns,
  sweepStaleNamespaces,
} from './netns.js';
import { describeRun, Processes, waitForJson, waitUntil, within } from './support.js';

const execFileAsync = promisify(execFile);

/** Running, and not a zombie waiting for a parent (or init) to reap it. */
const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};

/** The interfaces of the namespace the tests run in, by name: the harness must not touch them. */
const rootLinks = async (): Promise<string[]> => {
  const { stdout } = await execFileAsync('ip', ['-o', 'link', 'show']);
  return stdout
    .split('\n')
    .map((line) => line.split(':')[1]?.trim() ?? '')
    .filter((name) => name !== '')
    .sort();
};
const rootAddresses = async (): Promise<string> =>
  (await execFileAsync('ip', ['-o', 'addr', 'show'])).stdout;
const rootRoutes = async (): Promise<string> =>
  (await execFileAsync('ip', ['route', 'show', 'table', 'all'])).stdout;

/** An echo server on TCP and UDP, port 7000 of ADDRESS; prints {"listening":true}. */
const ECHO_SERVER = `
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
const [address] = process.argv.slice(1);
const tcp = createServer((s) => s.pipe(s));
const udp = createSocket('udp4');
udp.on('message', (m, from) => udp.send(m, from.port, from.address));
let up = 0;
const ready = () => { if (++up === 2) console.log(JSON.stringify({ listening: true })); };
tcp.listen(7000, address, ready);
udp.bind(7000, address, ready);
`;

/**
 * Sends a line to ADDRESS:PORT over TCP and (unless told "tcp") over UDP; prints what came back,
 * or the error.
 */
const ECHO_CLIENT = `
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
const [address, port, only] = process.argv.slice(1);
const tcp = () => new Promise((resolve) => {
  const s = connect(Number(port), address);
  let got = '';
  s.setTimeout(3000, () => s.destroy(new Error('timeout')));
  s.on('connect', () => s.end('hello over tcp'));
  s.on('data', (d) => { got += d; });
  s.on('close', () => resolve(got));
  s.on('error', (e) => resolve('error ' + e.code + ' ' + e.message));
});
const udp = () => new Promise((resolve) => {
  const s = createSocket('udp4');
  const timer = setTimeout(() => { s.close(); resolve('timeout'); }, 3000);
  s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(String(m)); });
  s.on('error', (e) => { clearTimeout(timer); s.close(); resolve('error ' + e.code); });
  s.send('hello over udp', Number(port), address);
});
console.log(JSON.stringify({ tcp: await tcp(), udp: only === 'tcp' ? 'not tried' : await udp() }));
`;

describe('network namespaces for tests (netns.ts)', { skip: netnsSkipReason() }, () => {
  it('is usable here', async () => {
    await requireNetns();
  });

  it('lets hosts reach each other over TCP and UDP, and nothing outside', async () => {
    const links = await rootLinks();
    const addresses = await rootAddresses();
    const routes = await rootRoutes();
    const net = await createNetwork({ hosts: 3 });
    try {
      const [a, b, c] = net.hosts;
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      assert.equal(new Set(net.hosts.map((h) => h.address)).size, 3);
      assert.match(a.address, /^10\.77\.\d+\.1$/);
      const server = b.exec(process.execPath, [
        '--input-type=module',
        '-e',
        ECHO_SERVER,
        b.address,
      ]);
      await waitForJson(server, (v) => v.listening === true, 10_000, 'the echo server');

      for (const from of [a, c]) {
        const r = await from.node(ECHO_CLIENT, [b.address, '7000']);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
          JSON.parse(r.stdout),
          { tcp: 'hello over tcp', udp: 'hello over udp' },
          `${from.name} -> ${b.name}\n${describeRun(server)}`,
        );
      }
      // The server listens on b's address only: b's loopback is b's own, and a's is not b's.
      const loop = await a.node(ECHO_CLIENT, ['127.0.0.1', '7000', 'tcp']);
      assert.match(JSON.parse(loop.stdout).tcp, /ECONNREFUSED/);
      // No default route: an address outside the network is unreachable, nothing is sent.
      const outside = await a.node(ECHO_CLIENT, ['10.78.0.1', '7000', 'tcp']);
      assert.match(JSON.parse(outside.stdout).tcp, /ENETUNREACH/);
      const route = await a.run('ip', ['route', 'show', 'table', 'all']);
      assert.doesNotMatch(route.stdout, /default/);

      // The namespace the tests run in is as it was.
      assert.deepEqual(await rootLinks(), links);
      assert.equal(await rootAddresses(), addresses);
      assert.equal(await rootRoutes(), routes);
    } finally {
      await net.close();
    }
    assert.deepEqual(await rootLinks(), links);
  });

  it('close() kills what runs inside and removes every namespace', async () => {
    const links = await rootLinks();
    const net = await createNetwork({ hosts: 2 });
    const sleepers = net.hosts.map((h) => h.exec('sleep', ['1000']));
    // A child of a started process is not tracked by PID: close() finds it inside the namespace.
    const stray = net.hosts[0]?.exec('sh', ['-c', 'sleep 1000 & echo $!; wait']);
    assert.ok(stray !== undefined);
    const strayPid = Number(
      await waitUntil('the stray PID', 5_000, async () => stray.lines[0], { watch: [stray] }),
    );
    assert.ok(strayPid > 0);
    assert.deepEqual(
      (await listNamespaces()).filter((n) => net.namespaces.includes(n)).sort(),
      [...net.namespaces].sort(),
    );
    await net.close();
    for (const s of sleepers) assert.ok(s.closed(), `${s.label} still running`);
    await waitUntil('the stray sleep to die', 5_000, async () =>
      isAlive(strayPid) ? undefined : true,
    );
    const left = (await listNamespaces()).filter((n) => net.namespaces.includes(n));
    assert.deepEqual(left, []);
    assert.deepEqual(await rootLinks(), links);
    await net.close(); // idempotent
  });

  const netnsModule = new URL('./netns.js', import.meta.url).href;
  /** A process that makes a network, starts a sleep in it, says so, then meets its end. */
  const victim = (end: string): string => `
import { createNetwork } from ${JSON.stringify(netnsModule)};
const net = await createNetwork({ hosts: 2 });
const sleeper = net.hosts[1].exec('sleep', ['1000']);
await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify({ namespaces: net.namespaces, sleeper: sleeper.child.pid }));
${end}
`;
  const ends: readonly [string, string, (pid: number) => void][] = [
    ['SIGTERM', 'setInterval(() => {}, 1000);', (pid) => process.kill(pid, 'SIGTERM')],
    ['SIGINT', 'setInterval(() => {}, 1000);', (pid) => process.kill(pid, 'SIGINT')],
    ['SIGHUP', 'setInterval(() => {}, 1000);', (pid) => process.kill(pid, 'SIGHUP')],
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom'); }, 10);", () => {}],
    ['process.exit()', 'setTimeout(() => process.exit(3), 10);', () => {}],
  ];
  for (const [what, end, kill] of ends) {
    it(`leaves nothing behind when the process ends by ${what}`, async () => {
      const procs = new Processes();
      const child = procs.start(`victim (${what})`, process.execPath, [
        '--input-type=module',
        '-e',
        victim(end),
      ]);
      try {
        const made = await waitForJson(child, (v) => Array.isArray(v.namespaces), 10_000, 'net');
        const namespaces = made.namespaces as string[];
        const sleeper = made.sleeper as number;
        kill(child.child.pid ?? 0);
        const exit = await within(10_000, child.exited);
        assert.notEqual(exit, 'timeout', describeRun(child));
        const left = (await listNamespaces()).filter((n) => namespaces.includes(n));
        assert.deepEqual(left, [], describeRun(child));
        await waitUntil('the sleep inside to die', 5_000, async () =>
          isAlive(sleeper) ? undefined : true,
        );
      } finally {
        await procs.killAll();
      }
    });
  }

  it('removes what a run killed by SIGKILL left, on the next sweep', async () => {
    const procs = new Processes();
    const child = procs.start('victim (SIGKILL)', process.execPath, [
      '--input-type=module',
      '-e',
      victim('setInterval(() => {}, 1000);'),
    ]);
    try {
      const made = await waitForJson(child, (v) => Array.isArray(v.namespaces), 10_000, 'net');
      const namespaces = made.namespaces as string[];
      const sleeper = made.sleeper as number;
      process.kill(child.child.pid ?? 0, 'SIGKILL');
      await within(10_000, child.exited);
      // Nothing ran to clean up: the namespaces and the sleep inside are still there.
      assert.deepEqual(
        (await listNamespaces()).filter((n) => namespaces.includes(n)).sort(),
        [...namespaces].sort(),
      );
      assert.ok(isAlive(sleeper));
      const swept = await sweepStaleNamespaces();
      assert.deepEqual(swept.filter((n) => namespaces.includes(n)).sort(), [...namespaces].sort());
      assert.deepEqual(
        (await listNamespaces()).filter((n) => namespaces.includes(n)),
        [],
      );
      await waitUntil('the orphaned sleep to die', 5_000, async () =>
        isAlive(sleeper) ? undefined : true,
      );
    } finally {
      await procs.killAll();
    }
  });
});
