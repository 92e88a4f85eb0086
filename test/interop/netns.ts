/**
 * A private network of Linux network namespaces for interop and swarm tests: each host gets a
 * namespace of its own with one interface (eth0, one end of a veth pair) and its own address in
 * 10.77.X.0/24; the other ends of the pairs hang on a bridge in a namespace of its own (the hub).
 *
 * Nothing is created in or changed about the namespace the tests run in: every `ip` command
 * names its namespace (`ip -n NAME`), veth pairs are created inside a host's namespace with the
 * peer end moved straight into the hub, and no namespace gets a default route. So a process
 * inside a host can reach the other hosts and its own loopback, and nothing else (any other
 * address is "network unreachable": no packet leaves). As the networks share no interface, two
 * runs at once cannot clash on addresses; namespace names carry the PID and a random tag.
 *
 *     const net = await createNetwork({ hosts: 3 });
 *     const server = net.hosts[0].exec('node', ['server.js', net.hosts[0].address]);
 *     const { stdout } = await net.hosts[1].run('node', ['client.js', net.hosts[0].address]);
 *     await net.close(); // kills what ran inside, removes every namespace
 *
 * Processes started in a host are killed by PID, then anything else still inside its namespace
 * (`ip netns pids`), then the namespaces are removed: by close(), on process exit (also after an
 * uncaught exception), on SIGINT, SIGTERM and SIGHUP; namespaces left by a run that was killed
 * with SIGKILL are removed by the next createNetwork (their owner PID is gone).
 *
 * Needs Linux, root and iproute2's `ip`, with kernel support for network namespaces, veth and
 * bridges (CONFIG_NET_NS, CONFIG_VETH, CONFIG_BRIDGE). netnsUnavailable() says why not.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Processes, type Running, within } from './support.js';

const execFileAsync = promisify(execFile);

const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];
/** Every namespace of this harness: `fsn-<owner pid>-<tag>-<role>`. */
const NAME_PREFIX = 'fsn-';
const NAME_PATTERN = /^fsn-(\d+)-([0-9a-f]+)-(hub|h\d+|probe)$/;
const MAX_HOSTS = 250;
const IP_TIMEOUT_MS = 10_000;

const ipPath = (): string | undefined => IP_CANDIDATES.find((p) => existsSync(p));

/** Runs `ip ARGS`; throws with the command and its stderr on failure. */
const ip = async (...args: string[]): Promise<string> => {
  const bin = ipPath();
  if (bin === undefined) throw new Error('no `ip` command (install the Debian package iproute2)');
  try {
    const { stdout } = await execFileAsync(bin, args, { timeout: IP_TIMEOUT_MS });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
};

/** The same, synchronously, ignoring failure: for clean-up in exit and signal handlers. */
const ipSync = (...args: string[]): string => {
  const bin = ipPath();
  if (bin === undefined) return '';
  const result = spawnSync(bin, args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  return result.status === 0 ? result.stdout : '';
};

const randomTag = (): string => randomBytes(3).toString('hex');

/** Running, and not a zombie waiting to be reaped. */
const isAlive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const killPid = (pid: number): void => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
};

/** The names of every network namespace (`ip netns list` prints "NAME (id: N)" or "NAME"). */
export const listNamespaces = async (): Promise<string[]> =>
  (await ip('netns', 'list'))
    .split('\n')
    .map((line) => line.trim().split(' ')[0] ?? '')
    .filter((name) => name !== '');

/** PIDs of the processes inside a namespace. */
const pidsIn = (name: string): number[] =>
  ipSync('netns', 'pids', name)
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);

/** Kills every process inside the namespace, then removes it (its interfaces go with it). */
const removeNamespaceSync = (name: string): void => {
  for (const pid of pidsIn(name)) killPid(pid);
  ipSync('netns', 'delete', name);
};

// ---------------------------------------------------------------------------------------------
// Can it work here?

let probe: Promise<string | undefined> | undefined;

/**
 * Why namespaces cannot be used here (not Linux, not root, no `ip`, or the kernel refuses a
 * namespace, a bridge or a veth pair), as one sentence; undefined when they can. Probed once,
 * with a namespace of its own that it removes.
 */
export const netnsUnavailable = (): Promise<string | undefined> => {
  probe ??= (async () => {
    if (process.platform !== 'linux')
      return `network namespaces need Linux (this is ${process.platform})`;
    const uid = process.getuid?.();
    if (uid !== 0) return `network namespaces need root (running as uid ${uid})`;
    if (ipPath() === undefined)
      return `no \`ip\` command (looked for ${IP_CANDIDATES.join(', ')}): install the Debian package iproute2`;
    const name = `${NAME_PREFIX}${process.pid}-${randomTag()}-probe`;
    try {
      await ip('netns', 'add', name);
      await ip('-n', name, 'link', 'add', 'br0', 'type', 'bridge');
      await ip('-n', name, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
      await ip('-n', name, 'link', 'set', 'va', 'master', 'br0');
      return undefined;
    } catch (e) {
      return (
        `cannot build a network of namespaces here (${(e as Error).message}): the kernel needs ` +
        'network namespaces, veth and bridge support (CONFIG_NET_NS, CONFIG_VETH, CONFIG_BRIDGE)'
      );
    } finally {
      removeNamespaceSync(name);
    }
  })();
  return probe;
};

/**
 * For `describe(name, { skip: netnsSkipReason() }, ...)`: a reason to skip when not root, and
 * false as root, where a test that cannot build its network must fail (CI runs as root), as
 * missing Debian packages fail rather than skip there.
 */
export const netnsSkipReason = (): string | false => {
  const uid = process.getuid?.();
  return uid === 0
    ? false
    : `network namespaces need root (running as uid ${uid}); CI runs these tests as root`;
};

/** Fails with the reason when namespaces cannot be used here. */
export const requireNetns = async (): Promise<void> => {
  const why = await netnsUnavailable();
  if (why !== undefined) assert.fail(why);
};

// ---------------------------------------------------------------------------------------------
// Networks.

export interface ExecOptions {
  /** A name for failure messages (default: the command and the host). */
  readonly label?: string;
  readonly cwd?: string;
  /** Extra environment variables (set through `env`, which keeps the PID). */
  readonly env?: Readonly<Record<string, string>>;
  /** A pipe to its stdin rather than none. */
  readonly stdin?: boolean;
  /** Keep every stdout line. */
  readonly allLines?: boolean;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface FetchResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface NetnsHost {
  /** Its namespace, as `ip netns` knows it. */
  readonly name: string;
  /** Its IPv4 address on the network (eth0). */
  readonly address: string;
  readonly index: number;
  /** Starts a process inside (`ip netns exec`); killed by PID at close() at the latest. */
  exec(command: string, args: readonly string[], options?: ExecOptions): Running;
  /** Runs a command inside to its end; never throws for a non-zero exit (see `code`). */
  run(
    command: string,
    args: readonly string[],
    options?: { readonly timeoutMs?: number; readonly cwd?: string },
  ): Promise<RunResult>;
  /** Runs an ES module source with this Node.js inside; `args` are its process.argv.slice(1). */
  node(
    source: string,
    args: readonly string[],
    options?: { readonly timeoutMs?: number },
  ): Promise<RunResult>;
  /**
   * Kills every process started in this host and anything else still inside its namespace
   * (SIGKILL, by PID), and waits for the started ones to end. The host stays up.
   */
  killAll(): Promise<void>;
  /** One HTTP request made from inside this host (fetch in a Node.js process there). */
  fetch(
    url: string,
    init?: {
      readonly method?: string;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string | Uint8Array;
      readonly timeoutMs?: number;
    },
  ): Promise<FetchResult>;
}

export interface Network {
  readonly hosts: readonly NetnsHost[];
  /** The hub's namespace (the bridge). */
  readonly hub: string;
  /** Every namespace of this network, hub included. */
  readonly namespaces: readonly string[];
  /** 10.77.X.0/24 */
  readonly subnet: string;
  /** Kills every process started inside, then removes every namespace. Idempotent. */
  close(): Promise<void>;
}

interface OpenNetwork {
  readonly namespaces: readonly string[];
  readonly started: Set<Running>;
}

const open = new Set<OpenNetwork>();

/** Synchronous clean-up of one network: for exit and signal handlers. */
const tearDownSync = (net: OpenNetwork): void => {
  for (const p of net.started) if (p.child.pid !== undefined) killPid(p.child.pid);
  // Hosts first: a host's namespace takes its veth pair with it, then the hub's bridge goes.
  for (const name of [...net.namespaces].reverse()) removeNamespaceSync(name);
  open.delete(net);
};

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const onExit = (): void => {
  for (const net of [...open]) tearDownSync(net);
};
const onSignal = (signal: NodeJS.Signals): void => {
  onExit();
  uninstallHandlers();
  // Alone, this handler stood in for the default action: take it now. Others (the test
  // runner's) decide themselves.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
};
let handlersInstalled = false;
const installHandlers = (): void => {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
};
const uninstallHandlers = (): void => {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
};

/**
 * Removes namespaces of this harness whose owner process is gone (a run killed with SIGKILL,
 * which no handler sees), with whatever still runs inside them. Returns their names.
 */
export const sweepStaleNamespaces = async (): Promise<string[]> => {
  const stale = (await listNamespaces()).filter((name) => {
    const owner = NAME_PATTERN.exec(name)?.[1];
    return owner !== undefined && Number(owner) !== process.pid && !isAlive(Number(owner));
  });
  for (const name of stale) removeNamespaceSync(name);
  return stale;
};

const FETCH_SOURCE = `
const [url, method, headers, body, timeout] = process.argv.slice(1);
const response = await fetch(url, {
  method,
  headers: JSON.parse(headers),
  body: body === '' ? undefined : Buffer.from(body, 'base64'),
  signal: AbortSignal.timeout(Number(timeout)),
});
const bytes = Buffer.from(await response.arrayBuffer());
const out = JSON.stringify({
  status: response.status,
  headers: Object.fromEntries(response.headers),
  body: bytes.toString('base64'),
});
process.stdout.write(out, () => process.exit(0)); // a kept-alive socket must not hold it open
`;

const makeHost = (
  name: string,
  address: string,
  index: number,
  procs: Processes,
  started: Set<Running>,
  bin: string,
): NetnsHost => {
  const mine = new Set<Running>();
  const host: NetnsHost = {
    name,
    address,
    index,
    exec(command, args, options = {}) {
      const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const argv = env.length > 0 ? ['env', ...env, command, ...args] : [command, ...args];
      const label = options.label ?? `${command} (${name}, ${address})`;
      const p = procs.start(label, bin, ['netns', 'exec', name, ...argv], {
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(options.allLines === undefined ? {} : { allLines: options.allLines }),
      });
      started.add(p);
      mine.add(p);
      void p.exited.then(() => {
        started.delete(p);
        mine.delete(p);
      });
      return p;
    },
    async killAll() {
      const left = [...mine];
      for (const pid of pidsIn(name)) killPid(pid);
      for (const p of left) if (p.child.pid !== undefined) killPid(p.child.pid);
      await Promise.all(left.map((p) => within(5_000, p.exited)));
    },
    async run(command, args, options = {}) {
      try {
        const { stdout, stderr } = await execFileAsync(
          bin,
          ['netns', 'exec', name, command, ...args],
          {
            timeout: options.timeoutMs ?? 30_000,
            maxBuffer: 64 * 1024 * 1024,
            ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
          },
        );
        return { code: 0, signal: null, stdout, stderr };
      } catch (e) {
        const err = e as Error & {
          code?: unknown;
          signal?: NodeJS.Signals | null;
          stdout?: string;
          stderr?: string;
        };
        return {
          code: typeof err.code === 'number' ? err.code : null,
          signal: err.signal ?? null,
          stdout: err.stdout ?? '',
          stderr: err.stderr ?? err.message,
        };
      }
    },
    node(source, args, options = {}) {
      return host.run(
        process.execPath,
        ['--input-type=module', '-e', source, ...args],
        options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
      );
    },
    async fetch(url, init = {}) {
      const timeoutMs = init.timeoutMs ?? 5_000;
      const body =
        init.body === undefined
          ? ''
          : Buffer.from(
              typeof init.body === 'string' ? Buffer.from(init.body) : init.body,
            ).toString('base64');
      const result = await host.node(
        FETCH_SOURCE,
        [url, init.method ?? 'GET', JSON.stringify(init.headers ?? {}), body, String(timeoutMs)],
        { timeoutMs: timeoutMs + 5_000 },
      );
      if (result.code !== 0) {
        const why = result.stderr.trim().split('\n').slice(-3).join(' | ');
        throw new Error(`${init.method ?? 'GET'} ${url} from ${name} (${address}): ${why}`);
      }
      const parsed = JSON.parse(result.stdout) as {
        status: number;
        headers: Record<string, string>;
        body: string;
      };
      return { ...parsed, body: Buffer.from(parsed.body, 'base64') };
    },
  };
  return host;
};

/**
 * A bridge in a hub namespace and `hosts` namespaces on it, each with its own address:
 * 10.77.X.1, 10.77.X.2, ... (X: `subnet`, random by default; the networks are isolated, so any
 * X works beside any other run). Fails with the reason when namespaces cannot be used here.
 */
export const createNetwork = async (options: {
  readonly hosts: number;
  readonly subnet?: number;
}): Promise<Network> => {
  const count = options.hosts;
  assert.ok(Number.isInteger(count) && count >= 1 && count <= MAX_HOSTS, `hosts: 1..${MAX_HOSTS}`);
  const x = options.subnet ?? randomBytes(1)[0] ?? 0;
  assert.ok(Number.isInteger(x) && x >= 0 && x <= 255, 'subnet: 0..255');
  await requireNetns();
  await sweepStaleNamespaces();
  const bin = ipPath() ?? assert.fail('no `ip`');

  const base = `${NAME_PREFIX}${process.pid}-${randomTag()}`;
  const hub = `${base}-hub`;
  const hostNames = Array.from({ length: count }, (_, i) => `${base}-h${i}`);
  const namespaces: string[] = [];
  const started = new Set<Running>();
  const state: OpenNetwork = { namespaces, started };
  open.add(state);
  installHandlers();
  try {
    await ip('netns', 'add', hub);
    namespaces.push(hub);
    await ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', hub, 'link', 'set', 'br0', 'up');
    for (const [i, name] of hostNames.entries()) {
      await ip('netns', 'add', name);
      namespaces.push(name);
      // Made inside the host, its peer end sent straight to the hub: the namespace the tests
      // run in never holds either end, even for a moment.
      await ip(
        '-n',
        name,
        'link',
        'add',
        'eth0',
        'type',
        'veth',
        'peer',
        'name',
        `p${i}`,
        'netns',
        hub,
      );
      await ip('-n', hub, 'link', 'set', `p${i}`, 'master', 'br0');
      await ip('-n', hub, 'link', 'set', `p${i}`, 'up');
      await ip('-n', name, 'link', 'set', 'lo', 'up');
      await ip('-n', name, 'addr', 'add', `10.77.${x}.${i + 1}/24`, 'dev', 'eth0');
      await ip('-n', name, 'link', 'set', 'eth0', 'up');
    }
  } catch (e) {
    tearDownSync(state);
    if (open.size === 0) uninstallHandlers();
    throw e;
  }

  const procs = new Processes();
  const hosts = hostNames.map((name, i) =>
    makeHost(name, `10.77.${x}.${i + 1}`, i, procs, started, bin),
  );
  let closing: Promise<void> | undefined;
  return {
    hosts,
    hub,
    namespaces: [...namespaces],
    subnet: `10.77.${x}.0/24`,
    close() {
      closing ??= (async () => {
        // Whatever runs inside, tracked or not, first: a stray child holding a tracked
        // process's stdout open would keep that process from being seen to close.
        for (const name of namespaces) for (const pid of pidsIn(name)) killPid(pid);
        await procs.killAll();
        tearDownSync(state);
        if (open.size === 0) uninstallHandlers();
        const left = (await listNamespaces()).filter((n) => namespaces.includes(n));
        assert.deepEqual(left, [], 'namespaces left after close()');
      })();
      return closing;
    },
  };
};
