/**
 * One tracker's session in `bench:tracker`: wait until it serves, announce the whole
 * population over UDP (event started), then, round after round, measure steady-state
 * re-announces over UDP and over HTTP in each mode it is measured in, sampling its CPU time
 * and memory from /proc (and the machine's busy time from /proc/stat) at the edges of every
 * counted window; finally stop it (SIGTERM) and read GNU time's report.
 */
import { readFileSync } from 'node:fs';
import { fmt, progress } from './cli.js';
import type { Measurement } from './measure.js';
import type { ProcSample } from './timed-process.js';
import type { LoadPool, PhaseResult } from './tracker-load.js';
import type { HttpMode } from './tracker-load-http.js';
import type { Population } from './tracker-load-plan.js';
import type { WorkerJob } from './tracker-load-worker.js';
import { type TrackerServer, waitUntilServing } from './tracker-servers.js';

export type PhaseName = 'populate' | 'udp' | `http-${HttpMode}`;

export interface RunSettings {
  readonly pop: Population;
  readonly hashes: Uint8Array;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly workers: number;
  /** UDP requests in flight, all workers together. */
  readonly udpWindow: number;
  /** HTTP requests (lanes) in flight, all workers together. */
  readonly httpLanes: number;
  readonly timeoutMs: number;
  readonly checkEvery: number;
  readonly rounds: number;
  readonly protocols: readonly ('udp' | 'http')[];
}

export interface UdpStats {
  readonly inDatagrams: number;
  readonly inErrors: number;
  readonly rcvbufErrors: number;
  readonly sndbufErrors: number;
}

export interface PhaseRecord {
  readonly phase: PhaseName;
  /** 0 for the population, then 1, 2, ... */
  readonly round: number;
  readonly load: PhaseResult;
  /** Server CPU seconds in the counted window, and as a share of one core. */
  readonly serverCpuSeconds: number | undefined;
  readonly serverCpuShare: number | undefined;
  /** Ok announces per second of server CPU. */
  readonly perServerCpuSecond: number | undefined;
  readonly clientCpuShare: number;
  /** CPU used by every other process of the machine in the window (other work running). */
  readonly otherCpuShare: number | undefined;
  /** Kernel UDP counters over the phase (all sockets of the machine). */
  readonly udpDrops: { readonly rcvbufErrors: number; readonly inErrors: number };
  readonly serverAfter: ProcSample | undefined;
}

export interface ServerRecord {
  readonly name: TrackerServer['name'];
  readonly version: string;
  readonly command: string;
  readonly phases: readonly PhaseRecord[];
  readonly baseline: ProcSample | undefined;
  readonly afterPopulate: ProcSample | undefined;
  /** The last /proc sample before the stop (VmHWM is the peak RSS). */
  readonly final: ProcSample | undefined;
  readonly gnuTime: Measurement | undefined;
  readonly populationComplete: boolean;
}

/** Udp: counters of /proc/net/snmp. */
export const readUdpStats = (): UdpStats => {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp: '));
  const names = (lines[0] ?? '').split(/\s+/).slice(1);
  const values = (lines[1] ?? '').split(/\s+/).slice(1).map(Number);
  const get = (key: string): number => values[names.indexOf(key)] ?? Number.NaN;
  return {
    inDatagrams: get('InDatagrams'),
    inErrors: get('InErrors'),
    rcvbufErrors: get('RcvbufErrors'),
    sndbufErrors: get('SndbufErrors'),
  };
};

const jobsFor = (
  server: TrackerServer,
  settings: RunSettings,
  phase: PhaseName,
  round: number,
): WorkerJob[] => {
  const { workers } = settings;
  const base = {
    host: server.host,
    port: server.port,
    pop: settings.pop,
    hashes: settings.hashes,
    workers,
    timeoutMs: settings.timeoutMs,
    checkEvery: settings.checkEvery,
  };
  return Array.from({ length: workers }, (_, worker): WorkerJob => {
    const seed = (round * 7919 + worker * 104729 + 1) >>> 0;
    if (phase === 'populate' || phase === 'udp') {
      return {
        ...base,
        protocol: 'udp',
        job: phase === 'populate' ? 'populate' : 'steady',
        worker,
        window: Math.max(1, Math.round(settings.udpWindow / workers)),
        seed,
      };
    }
    return {
      ...base,
      protocol: 'http',
      mode: phase === 'http-keep-alive' ? 'keep-alive' : 'close',
      worker,
      lanes: Math.max(1, Math.round(settings.httpLanes / workers)),
      seed,
    };
  });
};

/** Busy CPU seconds of the whole machine so far (all CPUs; /proc/stat). */
export const machineBusySeconds = (): number => {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (total - idle) / 100;
};

const runPhase = async (
  pool: LoadPool,
  server: TrackerServer,
  settings: RunSettings,
  phase: PhaseName,
  round: number,
): Promise<PhaseRecord> => {
  const samples: { server: ProcSample | undefined; busy: number }[] = [];
  const udpBefore = readUdpStats();
  const steady = phase !== 'populate';
  const load = await pool.runPhase(
    jobsFor(server, settings, phase, round),
    steady
      ? {
          warmupMs: settings.warmupSeconds * 1000,
          measureMs: settings.seconds * 1000,
          deadlineMs:
            (settings.warmupSeconds + settings.seconds) * 1000 + settings.timeoutMs + 30_000,
        }
      : { deadlineMs: Math.max(600_000, settings.pop.peers) },
    () => samples.push({ server: server.process.sample(), busy: machineBusySeconds() }),
  );
  const udpAfter = readUdpStats();
  const [first, last] = [samples[0]?.server, samples[1]?.server];
  const serverCpuSeconds =
    first !== undefined && last !== undefined ? last.cpuSeconds - first.cpuSeconds : undefined;
  const busy = (samples[1]?.busy ?? Number.NaN) - (samples[0]?.busy ?? Number.NaN);
  const okCounted = steady ? load.counts.okInWindow : load.counts.ok;
  return {
    phase,
    round,
    load,
    serverCpuSeconds,
    serverCpuShare: serverCpuSeconds === undefined ? undefined : serverCpuSeconds / load.seconds,
    perServerCpuSecond:
      serverCpuSeconds === undefined || serverCpuSeconds <= 0
        ? undefined
        : okCounted / serverCpuSeconds,
    clientCpuShare: load.clientCpuSeconds / load.seconds,
    otherCpuShare: Number.isFinite(busy)
      ? Math.max(0, busy - (serverCpuSeconds ?? 0) - load.clientCpuSeconds) / load.seconds
      : undefined,
    udpDrops: {
      rcvbufErrors: udpAfter.rcvbufErrors - udpBefore.rcvbufErrors,
      inErrors: udpAfter.inErrors - udpBefore.inErrors,
    },
    serverAfter: server.process.sample(),
  };
};

export const describePhase = (name: string, r: PhaseRecord): string => {
  const c = r.load.counts;
  return (
    `  ${name} ${r.phase}${r.round > 0 ? ` (round ${r.round})` : ''}: ${fmt(r.load.perSecond, 0)}/s over ${fmt(r.load.seconds, 1)} s, ` +
    `p99 ${fmt((r.load.p99Micros ?? Number.NaN) / 1000, 2)} ms; ok ${c.ok}, errors ${c.errors}, ` +
    `lost ${c.timeouts + c.connectionErrors}, malformed ${c.malformed}, checked ${c.checked} ` +
    `(${c.checkFailures} failed); CPU: server ${fmt((r.serverCpuShare ?? Number.NaN) * 100, 0)} %, ` +
    `generator ${fmt(r.clientCpuShare * 100, 0)} %, other processes ${fmt((r.otherCpuShare ?? Number.NaN) * 100, 0)} %`
  );
};

/** A started tracker, populated and measured in rounds, then stopped. */
export class ServerSession {
  readonly phases: PhaseRecord[] = [];
  private baseline: ProcSample | undefined;
  private afterPopulate: ProcSample | undefined;
  private populationComplete = false;

  constructor(
    readonly server: TrackerServer,
    private readonly settings: RunSettings,
    private readonly pool: LoadPool,
  ) {}

  /** Waits until it serves, then announces the whole population. */
  async populate(): Promise<void> {
    const { server, settings } = this;
    await waitUntilServing(server, settings.hashes);
    this.baseline = server.process.sample();
    progress(`  ${server.name}: announcing ${settings.pop.peers} peers over UDP ...`);
    const r = await runPhase(this.pool, server, settings, 'populate', 0);
    this.phases.push(r);
    progress(describePhase(server.name, r));
    this.populationComplete = r.load.counts.ok === settings.pop.peers && r.load.counts.errors === 0;
    this.afterPopulate = server.process.sample();
  }

  /** One round of steady-state measurements: UDP, then HTTP in each of its modes. */
  async measureRound(round: number): Promise<void> {
    const { server, settings } = this;
    const steady: PhaseName[] = [
      ...(settings.protocols.includes('udp') ? (['udp'] as const) : []),
      ...(settings.protocols.includes('http')
        ? server.httpModes.map((m): PhaseName => `http-${m}`)
        : []),
    ];
    for (const phase of steady) {
      const r = await runPhase(this.pool, server, settings, phase, round);
      this.phases.push(r);
      progress(describePhase(server.name, r));
    }
  }

  /** Stops it (SIGTERM) and returns its record. */
  async stop(): Promise<ServerRecord> {
    const { server } = this;
    try {
      const final = server.process.sample();
      if (!server.process.signal('SIGTERM')) {
        throw new Error(`${server.name} was gone before the stop`);
      }
      const stopped = await server.process.waitExit(30_000, 'exit after SIGTERM');
      return {
        name: server.name,
        version: server.version,
        command: server.command,
        phases: this.phases,
        baseline: this.baseline,
        afterPopulate: this.afterPopulate,
        final,
        gnuTime: stopped.measurement,
        populationComplete: this.populationComplete,
      };
    } finally {
      server.process.kill();
    }
  }
}
