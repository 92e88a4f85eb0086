/**
 * What a load worker counts and the main thread adds up: replies by kind, peers returned,
 * checks of sampled replies, and a latency histogram (log-linear: 32 buckets per power of two
 * of microseconds, so a percentile is within 3 % of the true value).
 */

const SUB = 32;
/** Buckets up to 2^31 µs (35 min), far beyond any time-out here. */
export const LATENCY_BUCKETS = SUB + 27 * SUB;

export const latencyBucket = (micros: number): number => {
  const v = micros < 1 ? 0 : Math.min(Math.floor(micros), 0x7fffffff);
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  return Math.min(LATENCY_BUCKETS - 1, SUB + (e - 5) * SUB + ((v >>> (e - 5)) - SUB));
};

/** The middle of bucket `i`, µs. */
export const bucketMiddle = (i: number): number => {
  if (i < SUB) return i + 0.5;
  const shift = Math.floor(i / SUB) - 1;
  const low = ((i % SUB) + SUB) * 2 ** shift;
  return low + 2 ** shift / 2;
};

/** Counts of one worker (or of all, once merged). Plain data: posted between threads. */
export interface LoadCounts {
  /** Requests sent (retries included). */
  sent: number;
  /** Announce replies that are not errors, received inside the counting window. */
  okInWindow: number;
  /** Announce replies that are not errors, all of them. */
  ok: number;
  /** Error or refusal replies (UDP action 3, HTTP failure reason or status other than 200). */
  errors: number;
  /** Requests given up after the time-out (UDP: lost or dropped; HTTP: no full reply). */
  timeouts: number;
  /** UDP replies to a request already given up, or with an unknown transaction id. */
  stray: number;
  /** Replies that could not be read as an announce reply. */
  malformed: number;
  /** HTTP: connections closed or failed before a full reply. */
  connectionErrors: number;
  /** HTTP keep-alive: connections the server closed after a reply. */
  serverCloses: number;
  /** Connections opened (HTTP). */
  connects: number;
  /** Sum of the peers listed in ok replies, and ok replies listing none. */
  peersReturned: number;
  emptyReplies: number;
  /** Sampled replies fully decoded with the project's codec, and those that failed a check. */
  checked: number;
  checkFailures: number;
  /** Peers in checked replies that are not in the requested torrent's swarm. */
  foreignPeers: number;
  /** Peers in checked replies that are the requester itself. */
  selfPeers: number;
  /** Latency histogram of ok replies in the window. */
  latency: number[];
  /** A few error texts, for the report. */
  errorSamples: string[];
}

export const emptyCounts = (): LoadCounts => ({
  sent: 0,
  okInWindow: 0,
  ok: 0,
  errors: 0,
  timeouts: 0,
  stray: 0,
  malformed: 0,
  connectionErrors: 0,
  serverCloses: 0,
  connects: 0,
  peersReturned: 0,
  emptyReplies: 0,
  checked: 0,
  checkFailures: 0,
  foreignPeers: 0,
  selfPeers: 0,
  latency: new Array<number>(LATENCY_BUCKETS).fill(0),
  errorSamples: [],
});

const MAX_SAMPLES = 5;

export const noteError = (counts: LoadCounts, text: string): void => {
  if (counts.errorSamples.length < MAX_SAMPLES && !counts.errorSamples.includes(text)) {
    counts.errorSamples.push(text);
  }
};

export const recordLatency = (counts: LoadCounts, micros: number): void => {
  const i = latencyBucket(micros);
  counts.latency[i] = (counts.latency[i] ?? 0) + 1;
};

type NumericKey = Exclude<keyof LoadCounts, 'latency' | 'errorSamples'>;
const NUMERIC: readonly NumericKey[] = [
  'sent',
  'okInWindow',
  'ok',
  'errors',
  'timeouts',
  'stray',
  'malformed',
  'connectionErrors',
  'serverCloses',
  'connects',
  'peersReturned',
  'emptyReplies',
  'checked',
  'checkFailures',
  'foreignPeers',
  'selfPeers',
];

export const mergeCounts = (all: readonly LoadCounts[]): LoadCounts => {
  const out = emptyCounts();
  for (const c of all) {
    for (const key of NUMERIC) out[key] += c[key];
    c.latency.forEach((n, i) => {
      out.latency[i] = (out.latency[i] ?? 0) + n;
    });
    for (const text of c.errorSamples) noteError(out, text);
  }
  return out;
};

/** The q-quantile (0..1) of the histogram, µs; undefined when it is empty. */
export const percentile = (histogram: readonly number[], q: number): number | undefined => {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return bucketMiddle(i);
  }
  return undefined;
};
