/**
 * The report of `bench:tracker`: one row per tracker and phase, memory per tracker, fanseed's
 * ratios to opentracker against the targets, and the correctness counts that make the
 * figures trustworthy (no refusals, no lost replies, sampled replies decoded and their peers in
 * the right swarm).
 */
import { fmt, MB, mb, table } from './cli.js';
import type { PhaseName, PhaseRecord, ServerRecord } from './tracker-run.js';

export const TARGET_RATIO = 0.5;
export const RSS_LIMIT_BYTES = 1e9;

const PHASE_LABEL: Record<PhaseName, string> = {
  populate: 'populate (UDP, started)',
  udp: 'UDP announce',
  'http-keep-alive': 'HTTP keep-alive',
  'http-close': 'HTTP new conn./request',
};

const ms = (micros: number | undefined): string =>
  micros === undefined ? '-' : fmt(micros / 1000, micros < 10_000 ? 2 : 1);
const pct = (share: number | undefined): string =>
  share === undefined ? '-' : `${fmt(share * 100, 0)} %`;

/** The best round (most announces per second) of a tracker's phase. */
export const phaseOf = (
  servers: readonly ServerRecord[],
  name: ServerRecord['name'],
  phase: PhaseName,
): PhaseRecord | undefined =>
  servers
    .find((s) => s.name === name)
    ?.phases.filter((p) => p.phase === phase)
    .reduce<PhaseRecord | undefined>(
      (best, p) => (best === undefined || p.load.perSecond > best.load.perSecond ? p : best),
      undefined,
    );

const PHASES: readonly PhaseName[] = ['populate', 'udp', 'http-keep-alive', 'http-close'];

export interface Ratios {
  readonly udp: number | undefined;
  /** Both with a new connection per request. */
  readonly httpSameMode: number | undefined;
  /** fanseed keep-alive against opentracker's only mode (new connection per request). */
  readonly httpBestModes: number | undefined;
  readonly udpPerCpu: number | undefined;
  readonly httpSameModePerCpu: number | undefined;
  readonly peakRss: number | undefined;
}

const over = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

export const ratios = (servers: readonly ServerRecord[]): Ratios => {
  const rate = (name: ServerRecord['name'], phase: PhaseName) =>
    phaseOf(servers, name, phase)?.load.perSecond;
  const perCpu = (name: ServerRecord['name'], phase: PhaseName) =>
    phaseOf(servers, name, phase)?.perServerCpuSecond;
  const peak = (name: ServerRecord['name']) =>
    servers.find((s) => s.name === name)?.final?.peakRssBytes;
  return {
    udp: over(rate('fanseed', 'udp'), rate('opentracker', 'udp')),
    httpSameMode: over(rate('fanseed', 'http-close'), rate('opentracker', 'http-close')),
    httpBestModes: over(rate('fanseed', 'http-keep-alive'), rate('opentracker', 'http-close')),
    udpPerCpu: over(perCpu('fanseed', 'udp'), perCpu('opentracker', 'udp')),
    httpSameModePerCpu: over(perCpu('fanseed', 'http-close'), perCpu('opentracker', 'http-close')),
    peakRss: over(peak('fanseed'), peak('opentracker')),
  };
};

export type Verdict = 'PASS' | 'FAIL' | 'n/a';
const verdict = (v: number | undefined, ok: (n: number) => boolean): Verdict =>
  v === undefined ? 'n/a' : ok(v) ? 'PASS' : 'FAIL';

export const targets = (servers: readonly ServerRecord[], r: Ratios) => ({
  udp: verdict(r.udp, (n) => n >= TARGET_RATIO),
  http: verdict(r.httpSameMode, (n) => n >= TARGET_RATIO),
  udpPerCpu: verdict(r.udpPerCpu, (n) => n >= TARGET_RATIO),
  httpPerCpu: verdict(r.httpSameModePerCpu, (n) => n >= TARGET_RATIO),
  fanseedRss: verdict(
    servers.find((s) => s.name === 'fanseed')?.final?.peakRssBytes,
    (n) => n <= RSS_LIMIT_BYTES,
  ),
});

/** A tracker below this share of a core in a counted window was not what limited the rate. */
export const BOUND_SHARE = 0.85;

/** Steady phases (best rounds) in which a tracker was not CPU-bound. */
export const notServerBound = (servers: readonly ServerRecord[]): string[] =>
  servers.flatMap((s) =>
    PHASES.filter((phase) => phase !== 'populate').flatMap((phase) => {
      const p = phaseOf(servers, s.name, phase);
      return p === undefined || (p.serverCpuShare ?? 0) >= BOUND_SHARE
        ? []
        : [`${s.name} ${PHASE_LABEL[phase]} (${pct(p.serverCpuShare)})`];
    }),
  );

/** Problems that make figures untrustworthy: refusals, lost replies, failed checks. */
export const problems = (servers: readonly ServerRecord[]): string[] => {
  const out: string[] = [];
  for (const s of servers) {
    if (!s.populationComplete) out.push(`${s.name}: the population was not fully announced`);
    for (const p of s.phases) {
      const c = p.load.counts;
      const where = `${s.name} ${PHASE_LABEL[p.phase]}`;
      if (c.errors > 0)
        out.push(`${where}: ${c.errors} error replies (${c.errorSamples.join(' | ')})`);
      if (c.malformed > 0) out.push(`${where}: ${c.malformed} unreadable replies`);
      if (c.checkFailures > 0)
        out.push(`${where}: ${c.checkFailures} of ${c.checked} checked replies failed`);
      if (c.foreignPeers > 0) out.push(`${where}: ${c.foreignPeers} peers from another swarm`);
      if (p.phase !== 'populate' && c.emptyReplies > 0) {
        out.push(`${where}: ${c.emptyReplies} replies listed no peer in a populated swarm`);
      }
      if (c.timeouts > c.sent / 1000)
        out.push(`${where}: ${c.timeouts} of ${c.sent} requests timed out`);
      if (c.connectionErrors > c.sent / 1000) {
        out.push(
          `${where}: ${c.connectionErrors} connection errors (${c.errorSamples.join(' | ')})`,
        );
      }
    }
  }
  return out;
};

/** One row per tracker and phase: its best round, with every round's rate at the end. */
export const phaseTable = (servers: readonly ServerRecord[]): string => {
  const header = [
    'tracker',
    'phase',
    'announces/s',
    'p50 ms',
    'p99 ms',
    'srv CPU s',
    'srv CPU',
    'per srv CPU-s',
    'generator CPU',
    'other CPU',
    'ok',
    'err',
    'lost',
    'peers/reply',
    'checked',
    'all rounds /s',
  ];
  const rows = servers.flatMap((s) =>
    PHASES.flatMap((phase) => {
      const p = phaseOf(servers, s.name, phase);
      if (p === undefined) return [];
      const all = s.phases.filter((x) => x.phase === phase);
      const c = p.load.counts;
      return [
        [
          s.name,
          PHASE_LABEL[p.phase],
          fmt(p.load.perSecond, 0),
          ms(p.load.p50Micros),
          ms(p.load.p99Micros),
          fmt(p.serverCpuSeconds, 2),
          pct(p.serverCpuShare),
          fmt(p.perServerCpuSecond, 0),
          pct(p.clientCpuShare),
          pct(p.otherCpuShare),
          String(c.ok),
          String(c.errors),
          String(c.timeouts + c.connectionErrors),
          fmt(c.ok === 0 ? undefined : c.peersReturned / c.ok, 1),
          `${c.checked - c.checkFailures}/${c.checked}`,
          all.map((x) => fmt(x.load.perSecond, 0)).join(' '),
        ],
      ];
    }),
  );
  return table([header, ...rows], { left: new Set([0, 1, 15]) });
};

export const memoryTable = (servers: readonly ServerRecord[]): string => {
  const header = [
    'tracker',
    'RSS at start MB',
    'RSS after populate MB',
    'RSS at end MB',
    'peak RSS MB',
    'CPU s (whole run)',
    'version',
  ];
  const rows = servers.map((s) => [
    s.name,
    mb(s.baseline?.rssBytes),
    mb(s.afterPopulate?.rssBytes),
    mb(s.final?.rssBytes),
    mb(s.final?.peakRssBytes),
    fmt(s.gnuTime?.cpuSeconds ?? s.final?.cpuSeconds, 2),
    s.version,
  ]);
  return table([header, ...rows], { left: new Set([0, 6]) });
};

/**
 * What a ratio of rates is worth when one side was not CPU-bound: a rate held down by the load
 * generator (or other work) makes the ratio flatter the other side.
 */
const boundNote = (
  servers: readonly ServerRecord[],
  fanseedPhase: PhaseName,
  opentrackerPhase: PhaseName,
): string => {
  const f = phaseOf(servers, 'fanseed', fanseedPhase)?.serverCpuShare;
  const o = phaseOf(servers, 'opentracker', opentrackerPhase)?.serverCpuShare;
  if (f === undefined || o === undefined) return '';
  const fBound = f >= BOUND_SHARE;
  const oBound = o >= BOUND_SHARE;
  if (fBound && !oBound) {
    return `opentracker at ${pct(o)} CPU, not its limit: the rate ratio flatters fanseed`;
  }
  if (!fBound && oBound) {
    return `fanseed at ${pct(f)} CPU, not its limit: the rate ratio understates fanseed`;
  }
  if (!fBound && !oBound) {
    return `neither CPU-bound (fanseed ${pct(f)}, opentracker ${pct(o)}): both rates held down by the generator or other work`;
  }
  return '';
};

export const ratioLines = (servers: readonly ServerRecord[]): string[] => {
  const r = ratios(servers);
  const t = targets(servers, r);
  const fanseedPeak = servers.find((s) => s.name === 'fanseed')?.final?.peakRssBytes;
  const x = (n: number | undefined): string => (n === undefined ? '-' : `${fmt(n, 2)}x`);
  const rows = [
    ['fanseed / opentracker', 'announces/s', '', 'per tracker CPU-second', '', 'note'],
    ['UDP', x(r.udp), t.udp, x(r.udpPerCpu), t.udpPerCpu, boundNote(servers, 'udp', 'udp')],
    [
      'HTTP, new connection per request',
      x(r.httpSameMode),
      t.http,
      x(r.httpSameModePerCpu),
      t.httpPerCpu,
      boundNote(servers, 'http-close', 'http-close'),
    ],
    [
      'HTTP, fanseed keep-alive (each its best)',
      x(r.httpBestModes),
      '',
      '',
      '',
      boundNote(servers, 'http-keep-alive', 'http-close'),
    ],
  ];
  const notBound = notServerBound(servers);
  return [
    table(rows, { left: new Set([0, 2, 4, 5]) }),
    `targets: >= ${TARGET_RATIO}x on UDP and on HTTP; "per tracker CPU-second" is the rate each tracker would reach on one core of its own, from its CPU time in the window`,
    ...(notBound.length === 0
      ? []
      : [
          `not CPU-bound (below ${fmt(BOUND_SHARE * 100, 0)} % of a core, so the load generator or other work on the machine set the rate): ${notBound.join(', ')}`,
        ]),
    `fanseed peak RSS ${mb(fanseedPeak)} MB (limit ${RSS_LIMIT_BYTES / MB} MB): ${t.fanseedRss}; ${x(r.peakRss)} opentracker's`,
  ];
};
