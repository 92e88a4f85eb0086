/**
 * What GET /stats, /stats/<info-hash> and /metrics show: counts per torrent and in total, the
 * minute series, and Prometheus text (exposition format 0.0.4). Counts only: no peer address
 * or id appears in any of them.
 */
import {
  MINUTE_MS,
  minuteOf,
  SERIES_KEEP_MINUTES,
  type SeriesColumns,
  type SwarmCounts,
  type TorrentKey,
  type TrackerCore,
  torrentKeyHex,
} from '../core/tracker-server/index.js';

/** Figures only the runtime knows. */
export interface RuntimeFigures {
  readonly startedAtMs: number;
  readonly udpRateLimited: number;
  readonly sseSubscribers: number;
  readonly rssBytes: number;
}

export interface SeriesJson {
  /** Start of each minute, Unix seconds. */
  readonly time: number[];
  readonly announces: number[];
  readonly completions: number[];
  readonly peers: number[];
}

const seriesJson = (c: SeriesColumns): SeriesJson => ({
  time: c.minutes.map((m) => (m * MINUTE_MS) / 1000),
  announces: c.announces,
  completions: c.completions,
  peers: c.peers,
});

const torrentRow = (key: TorrentKey, c: SwarmCounts) => ({
  infoHash: torrentKeyHex(key),
  seeders: c.seeders,
  leechers: c.leechers,
  completed: c.completed,
});

/** A whole number in [min, max] from a query parameter, or the default. */
export const queryInt = (
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number => {
  const text = query.get(name);
  const n = text === null || !/^\d{1,9}$/.test(text) ? fallback : Number(text);
  return Math.max(min, Math.min(max, n));
};

/** GET /stats: totals, counters, the tracker's series and a page of torrents. */
export const statsJson = (core: TrackerCore, figures: RuntimeFigures, query: URLSearchParams) => {
  const totals = core.totals();
  const limit = queryInt(query, 'limit', 1000, 0, 10_000);
  const offset = queryInt(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const minutes = queryInt(query, 'minutes', 60, 0, SERIES_KEEP_MINUTES);
  const now = minuteOf(core.now());
  const torrents: ReturnType<typeof torrentRow>[] = [];
  let index = 0;
  core.store.forEachTorrent((key, c) => {
    if (index++ >= offset && torrents.length < limit) torrents.push(torrentRow(key, c));
  });
  return {
    totals: {
      torrents: totals.torrents,
      peers: totals.peers,
      seeders: totals.seeders,
      leechers: totals.leechers,
      completed: totals.completed,
    },
    lifetime: { ...core.stats.lifetime },
    session: {
      startedAt: new Date(figures.startedAtMs).toISOString(),
      ...core.stats.session,
      udpRateLimited: figures.udpRateLimited,
    },
    mode: { allowList: core.policy.allowListMode, passkeys: core.policy.requiresPasskey },
    series: seriesJson(core.stats.global.columns(now - minutes + 1, now)),
    torrents,
    offset,
    limit,
  };
};

/** GET /stats/<info-hash>; undefined when the tracker knows nothing of it. */
export const torrentJson = (core: TrackerCore, key: TorrentKey, query: URLSearchParams) => {
  const counts = core.counts(key);
  const series = core.stats.seriesOf(key);
  if (counts === undefined && series === undefined) return undefined;
  const minutes = queryInt(query, 'minutes', SERIES_KEEP_MINUTES, 0, SERIES_KEEP_MINUTES);
  const from = minuteOf(core.now()) - minutes + 1;
  const c = counts ?? { seeders: 0, leechers: 0, completed: 0 };
  return {
    ...torrentRow(key, c),
    allowed: core.policy.allows(key),
    series: seriesJson(
      series?.columns(from) ?? { minutes: [], announces: [], completions: [], peers: [] },
    ),
  };
};

class MetricsWriter {
  text = '';
  family(name: string, type: 'gauge' | 'counter', help: string): void {
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }
  sample(name: string, value: number, labels = ''): void {
    this.text += `${name}${labels === '' ? '' : `{${labels}}`} ${value}\n`;
  }
}

/** GET /metrics. Per-torrent gauges only while there are at most `maxTorrents` torrents. */
export const metricsText = (
  core: TrackerCore,
  figures: RuntimeFigures,
  maxTorrents: number,
): string => {
  const t = core.totals();
  const s = core.stats.session;
  const m = new MetricsWriter();
  const p = 'fanseed_tracker_';
  m.family(`${p}torrents`, 'gauge', 'Torrents the tracker holds.');
  m.sample(`${p}torrents`, t.torrents);
  m.family(`${p}peers`, 'gauge', 'Peers in all swarms, by state.');
  m.sample(`${p}peers`, t.seeders, 'state="seeder"');
  m.sample(`${p}peers`, t.leechers, 'state="leecher"');
  m.family(`${p}completed_total`, 'counter', 'Completed downloads of the torrents held, all time.');
  m.sample(`${p}completed_total`, t.completed);
  m.family(`${p}announces_total`, 'counter', 'Announces received since start, by transport.');
  m.sample(`${p}announces_total`, s.httpAnnounces, 'transport="http"');
  m.sample(`${p}announces_total`, s.udpAnnounces, 'transport="udp"');
  m.family(`${p}scrapes_total`, 'counter', 'Scrapes received since start, by transport.');
  m.sample(`${p}scrapes_total`, s.httpScrapes, 'transport="http"');
  m.sample(`${p}scrapes_total`, s.udpScrapes, 'transport="udp"');
  m.family(`${p}udp_connects_total`, 'counter', 'UDP connect requests answered since start.');
  m.sample(`${p}udp_connects_total`, s.udpConnects);
  m.family(`${p}refused_total`, 'counter', 'Announces and scrapes refused since start.');
  m.sample(`${p}refused_total`, s.refused);
  m.family(
    `${p}udp_rate_limited_total`,
    'counter',
    'UDP packets dropped by the per-address rate limit.',
  );
  m.sample(`${p}udp_rate_limited_total`, figures.udpRateLimited);
  m.family(`${p}expired_peers_total`, 'counter', 'Peers removed after missing two announces.');
  m.sample(`${p}expired_peers_total`, s.expiredPeers);
  m.family(`${p}event_subscribers`, 'gauge', 'Clients of GET /events.');
  m.sample(`${p}event_subscribers`, figures.sseSubscribers);
  m.family(
    `${p}lifetime_announces_total`,
    'counter',
    'Announces, all time (kept across restarts).',
  );
  m.sample(`${p}lifetime_announces_total`, core.stats.lifetime.announces);
  m.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
  m.sample('process_resident_memory_bytes', figures.rssBytes);
  if (t.torrents <= maxTorrents) {
    const rows: [string, SwarmCounts][] = [];
    core.store.forEachTorrent((key, c) => rows.push([torrentKeyHex(key), c]));
    for (const [name, pick, help] of [
      ['seeders', (c: SwarmCounts) => c.seeders, 'Seeders of one torrent.'],
      ['leechers', (c: SwarmCounts) => c.leechers, 'Leechers of one torrent.'],
      [
        'completed',
        (c: SwarmCounts) => c.completed,
        'Completed downloads of one torrent, all time.',
      ],
    ] as const) {
      const metric = `${p}torrent_${name}`;
      m.family(metric, name === 'completed' ? 'counter' : 'gauge', help);
      for (const [hex, c] of rows) m.sample(metric, pick(c), `info_hash="${hex}"`);
    }
  }
  return m.text;
};
