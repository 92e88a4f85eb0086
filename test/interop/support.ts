/**
 * Shared helpers for interop tests that run other programs: child processes tracked and killed
 * by PID, waits that fail with the tail of each process's output, free ports, deterministic
 * test data and byte-for-byte comparison of folders.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root, whether the test runs from test/ or from dist/test/. */
export const REPO = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'fanseed.js')) || !existsSync(join(dir, 'test', 'interop'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the repository (bin/fanseed.js) above this test');
    dir = parent;
  }
  return dir;
})();
/** Runs dist/: the build must be current (npm test builds first). */
export const FANSEED_BIN = join(REPO, 'bin', 'fanseed.js');

/** The libtorrent helpers, py/*.py, in the source tree (dist/ holds no Python). */
export const PY = join(REPO, 'test', 'interop', 'py');
/** libtorrent's bindings come with Debian's Python; the first python3 on PATH may lack them. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fails (never skips) when a program is absent: CI installs it, so absence is a bug. */
export const requireProgram = (path: string, debianPackage: string): void => {
  if (!existsSync(path)) {
    assert.fail(
      `${path} not found: install the Debian package "${debianPackage}" ` +
        `(apt-get install -y ${debianPackage})`,
    );
  }
};

const probes = new Map<string, Promise<void>>();
/**
 * Fails (never skips) when `command args` cannot run: `what` says what is wrong, before the
 * first line of the error. The probe runs once per command line; later calls share its result.
 */
export const requireCommand = (
  command: string,
  args: readonly string[],
  what: string,
  debianPackage: string,
): Promise<void> => {
  const key = [command, ...args].join('\0');
  const known =
    probes.get(key) ??
    execFileAsync(command, [...args]).then(
      () => undefined,
      (e: Error) =>
        assert.fail(
          `${what} (${e.message.split('\n')[0]}): install the Debian package ` +
            `${debianPackage} (apt-get install -y ${debianPackage})`,
        ),
    );
  probes.set(key, known);
  return known;
};

/** Fails (never skips) when SYSTEM_PYTHON cannot import libtorrent. */
export const requireLibtorrent = (): Promise<void> =>
  requireCommand(
    SYSTEM_PYTHON,
    ['-c', 'import libtorrent'],
    `${SYSTEM_PYTHON} cannot import libtorrent`,
    'python3-libtorrent',
  );

// ---------------------------------------------------------------------------------------------
// Child processes.

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Running {
  /** A short name for failure messages. */
  readonly label: string;
  readonly commandLine: string;
  readonly child: ChildProcess;
  /** Complete stdout lines so far. */
  readonly lines: string[];
  readonly exited: Promise<Exit>;
  /** True once it has exited and its stdout and stderr are read to the end. */
  readonly closed: () => boolean;
  /** The last 8,000 characters of stderr. */
  readonly stderr: () => string;
}

/**
 * The command line, the last stdout lines and the stderr tail of a process, for failure
 * messages. fanseed's periodic "progress" events are left out but for the last one, so that
 * the events that explain a failure (peers connecting, leaving) stay in view.
 */
export const describeRun = (p: Running, lines = 20): string => {
  const state = p.closed()
    ? `exited (code ${p.child.exitCode}, signal ${p.child.signalCode})`
    : `running (pid ${p.child.pid})`;
  const isProgress = (line: string): boolean => parseJsonObject(line)?.event === 'progress';
  let lastProgress = p.lines.length - 1;
  while (lastProgress >= 0 && !isProgress(p.lines[lastProgress] ?? '')) lastProgress--;
  const shown = p.lines
    .filter((line, i) => line.trim() !== '' && (i === lastProgress || !isProgress(line)))
    .slice(-lines);
  return (
    `${p.label} [${state}]\n$ ${p.commandLine}\n--- stdout (last lines):\n${shown.join('\n')}` +
    `\n--- stderr (tail):\n${p.stderr().slice(-3_000)}\n---`
  );
};

/** Processes started through one group, killed by PID together. */
export class Processes {
  private readonly running = new Set<Running>();

  start(
    label: string,
    command: string,
    args: readonly string[],
    options: {
      readonly cwd?: string;
      /** A pipe to its stdin (closed with `child.stdin.end()`) rather than none. */
      readonly stdin?: boolean;
      /** Keep every stdout line, not only the last 1,000 to 2,000. */
      readonly allLines?: boolean;
      /** Its environment (default: this process's). */
      readonly env?: NodeJS.ProcessEnv;
    } = {},
  ): Running {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => {}); // EPIPE when closing the stdin of a child already gone
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let closed = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      if (options.allLines !== true && lines.length > 2_000) lines.splice(0, lines.length - 1_000);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8_000); // the tail is what explains a failure
    });
    const exited = new Promise<Exit>((resolve) => {
      child.on('error', (e) => {
        stderr += `\n${e.message}`;
        closed = true;
        resolve({ code: null, signal: null });
      });
      child.on('close', (code, signal) => {
        if (partial !== '') lines.push(partial);
        closed = true;
        resolve({ code, signal });
      });
    });
    const proc: Running = {
      label,
      commandLine: [command, ...args].join(' '),
      child,
      lines,
      exited,
      closed: () => closed,
      stderr: () => stderr,
    };
    this.running.add(proc);
    void exited.then(() => this.running.delete(proc));
    return proc;
  }

  /** SIGKILL, by PID, to every process of the group still running; waits for them to end. */
  async killAll(): Promise<void> {
    const left = [...this.running];
    for (const p of left) killByPid(p);
    await Promise.all(left.map((p) => within(5_000, p.exited)));
  }
}

export const signalByPid = (p: Running, signal: NodeJS.Signals): void => {
  const pid = p.child.pid;
  if (pid === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone between the check and the kill.
  }
};
export const killByPid = (p: Running): void => signalByPid(p, 'SIGKILL');

export const within = <T>(ms: number, promise: Promise<T>): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/** Waits for a process to end by itself; on timeout kills it and fails. */
export const waitForExit = async (
  p: Running,
  ms: number,
  context: () => string = () => '',
): Promise<Exit> => {
  const exit = await within(ms, p.exited);
  if (exit === 'timeout') {
    killByPid(p);
    assert.fail(`${p.label} still running after ${ms} ms\n${describeRun(p)}\n${context()}`);
  }
  return exit;
};

/** SIGTERM by PID, then waits for the process to end (SIGKILL and failure after `ms`). */
export const terminate = (p: Running, ms: number): Promise<Exit> => {
  signalByPid(p, 'SIGTERM');
  return waitForExit(p, ms);
};

export const parseJsonObject = (line: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/** Every stdout line of `p` that is a JSON object, parsed. */
export const jsonLines = (p: Running): Record<string, unknown>[] =>
  p.lines.flatMap((line) => {
    const value = parseJsonObject(line);
    return value === undefined ? [] : [value];
  });

/** The first stdout JSON object `accept` takes: already printed, or to come. */
export const waitForJson = async (
  p: Running,
  accept: (value: Record<string, unknown>) => boolean,
  ms: number,
  what: string,
): Promise<Record<string, unknown>> => {
  const deadline = Date.now() + ms;
  let seen = 0;
  for (;;) {
    for (; seen < p.lines.length; seen++) {
      const value = parseJsonObject(p.lines[seen] ?? '');
      if (value !== undefined && accept(value)) return value;
    }
    if (p.closed()) assert.fail(`${p.label} exited before printing ${what}\n${describeRun(p)}`);
    if (Date.now() > deadline) assert.fail(`no ${what} after ${ms} ms\n${describeRun(p)}`);
    await sleep(50);
  }
};

/**
 * Polls `probe` until it returns something other than undefined. On timeout, or when one of
 * `watch` exits first, fails with `what`, `explain()` and the output of every watched process.
 */
export const waitUntil = async <T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
  options: { readonly watch?: readonly Running[]; readonly explain?: () => string } = {},
): Promise<T> => {
  const deadline = Date.now() + ms;
  const watch = options.watch ?? [];
  const why = (): string =>
    [options.explain?.() ?? '', ...watch.map((p) => describeRun(p))].join('\n\n');
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const gone = watch.find((p) => p.closed());
    if (gone !== undefined) assert.fail(`${gone.label} exited while waiting for ${what}\n${why()}`);
    if (Date.now() > deadline)
      assert.fail(`timed out after ${ms} ms waiting for ${what}\n${why()}`);
    await sleep(200);
  }
};

// ---------------------------------------------------------------------------------------------
// Ports: free a moment ago, for programs that take a fixed port.

export const freeTcpPort = (host = '127.0.0.1'): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });

export const freeUdpPort = (host = '127.0.0.1'): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });

/** A port free for both TCP and UDP a moment ago (opentracker, aria2 and Transmission). */
export const freeTcpAndUdpPort = async (host = '127.0.0.1'): Promise<number> => {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort(host);
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP');
};

// ---------------------------------------------------------------------------------------------
// Data.

/** `length` pseudo-random bytes, the same for the same seed (AES-128-CTR over zeros). */
export const deterministicBytes = (length: number, seed: number): Buffer => {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  key.write('fanseed-interop', 4, 'latin1');
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
};

/** Relative '/'-separated path and length of each file of a tree. */
export type Tree = readonly (readonly [string, number])[];

/**
 * Writes the files of `tree` under `root`, each with its own deterministic content: from
 * `deterministicBytes` for a numeric seed, or from `bytes(length, index in tree)`. A file at
 * relative path '' is `root` itself (a single-file torrent's data).
 */
export const writeTree = async (
  root: string,
  tree: Tree,
  seed: number | ((length: number, index: number) => Uint8Array),
): Promise<void> => {
  const bytes =
    typeof seed === 'number'
      ? (length: number, i: number) => deterministicBytes(length, seed * 1_000 + i)
      : seed;
  for (const [i, [relative, length]] of tree.entries()) {
    const path = join(root, ...relative.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes(length, i));
  }
};

/** Every regular file below root, as sorted '/'-joined relative paths. */
export const listFiles = async (root: string, below = ''): Promise<string[]> => {
  const found: string[] = [];
  for (const entry of await readdir(join(root, below), { withFileTypes: true })) {
    const relative = below === '' ? entry.name : `${below}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await listFiles(root, relative)));
    else found.push(relative);
  }
  return found.sort();
};

/**
 * The tree under `actual` is the one under `expected`, byte for byte, with no file missing or
 * extra; a difference is reported with its first offset (and piece, given `pieceLength`).
 * When `expected` is a file, `actual` is that file alone.
 */
export const assertSameTree = async (
  expected: string,
  actual: string,
  context: () => string = () => '',
  options: { readonly pieceLength?: number } = {},
): Promise<void> => {
  const single = (await stat(expected)).isFile();
  let want: string[] = [''];
  if (!single) {
    want = await listFiles(expected);
    const got = existsSync(actual) ? await listFiles(actual) : [];
    assert.deepEqual(got, want, `the files under ${actual}\n${context()}`);
  }
  for (const relative of want) {
    const name = relative === '' ? actual : relative;
    const a = await readFile(join(expected, ...relative.split('/')));
    const b = await readFile(join(actual, ...relative.split('/'))).catch(() => undefined);
    assert.ok(b !== undefined, `${name} is missing\n${context()}`);
    assert.equal(b.length, a.length, `${name}: length\n${context()}`);
    if (!a.equals(b)) {
      const at = a.findIndex((byte, i) => b[i] !== byte);
      const piece =
        options.pieceLength === undefined ? '' : ` (piece ${(at / options.pieceLength) | 0})`;
      assert.fail(
        `${name}: ${b.length} bytes, first differing byte at offset ${at}${piece}\n${context()}`,
      );
    }
  }
};
