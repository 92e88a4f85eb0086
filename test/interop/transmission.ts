/**
 * transmission-daemon for interop tests: its settings (every other source of peers off, RPC
 * on loopback), its JSON-RPC (with the anti-CSRF session id: a 409, then again with the id),
 * and waits on its one torrent. The RPC goes through a `post` function, so that a daemon inside
 * a network namespace can be driven from inside it (see netns.ts).
 */
import assert from 'node:assert/strict';
import { describeRun, type Running, waitUntil } from './support.js';

export const TRANSMISSION_DAEMON = '/usr/bin/transmission-daemon';

export interface TorrentState {
  readonly status: number;
  readonly percentDone: number;
  readonly leftUntilDone: number;
  readonly haveValid: number;
  readonly corruptEver: number;
  readonly uploadedEver: number;
  readonly error: number;
  readonly errorString: string;
  readonly peersConnected: number;
  readonly trackerStats: unknown;
}

/** tr_torrent_activity in Transmission's RPC. */
export const STATUS = { stopped: 0, downloading: 4, seeding: 6 } as const;

const FIELDS = [
  'status',
  'percentDone',
  'leftUntilDone',
  'haveValid',
  'corruptEver',
  'uploadedEver',
  'error',
  'errorString',
  'peersConnected',
  'trackerStats',
];

export interface RpcAnswer {
  readonly status: number;
  readonly sessionId: string | undefined;
  readonly text: string;
}

/** One POST of the RPC body with these headers. */
export type RpcPost = (headers: Record<string, string>, body: string) => Promise<RpcAnswer>;

/** A POST from this process. */
export const localPost =
  (url: string): RpcPost =>
  async (headers, body) => {
    const response = await fetch(url, { method: 'POST', headers, body });
    return {
      status: response.status,
      sessionId: response.headers.get('X-Transmission-Session-Id') ?? undefined,
      text: await response.text(),
    };
  };

export interface SettingsOptions {
  readonly rpcPort: number;
  readonly peerPort: number;
  readonly downloadDir: string;
  /** Address its peers' sockets bind to (a network-namespace host's own). */
  readonly bindIpv4: string;
  /** 0 prefers plain connections, 1 prefers encrypted ones (2 would refuse plain peers). */
  readonly encryption: 0 | 1;
}

export const transmissionSettings = (o: SettingsOptions): Record<string, unknown> => ({
  'rpc-enabled': true,
  'rpc-bind-address': '127.0.0.1',
  'rpc-port': o.rpcPort,
  'rpc-authentication-required': false,
  'rpc-whitelist-enabled': true,
  'rpc-whitelist': '127.0.0.1',
  'rpc-host-whitelist-enabled': false,
  'peer-port': o.peerPort,
  'peer-port-random-on-start': false,
  'bind-address-ipv4': o.bindIpv4,
  'bind-address-ipv6': '::1',
  'port-forwarding-enabled': false,
  'dht-enabled': false,
  'lpd-enabled': false,
  'pex-enabled': false,
  'utp-enabled': false,
  encryption: o.encryption,
  'blocklist-enabled': false,
  'download-dir': o.downloadDir,
  'incomplete-dir-enabled': false,
  'rename-partial-files': false,
  'watch-dir-enabled': false,
  'start-added-torrents': true,
  'ratio-limit-enabled': false,
  'idle-seeding-limit-enabled': false,
  'speed-limit-down-enabled': false,
  'speed-limit-up-enabled': false,
  'alt-speed-enabled': false,
  'script-torrent-done-enabled': false,
  'message-level': 2,
});

/** A running transmission-daemon with one torrent at a time. */
export class Transmission {
  private session = '';
  /** Its last torrent state seen, for failure messages. */
  last: TorrentState | undefined;

  constructor(
    readonly proc: Running,
    private readonly post: RpcPost,
    /** More to say when a wait fails (a tracker's output, say). */
    private readonly explain: () => string = () => '',
  ) {}

  async call(method: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await this.post(
        { 'X-Transmission-Session-Id': this.session, 'Content-Type': 'application/json' },
        JSON.stringify({ method, arguments: args }),
      );
      if (answer.status === 409) {
        this.session = answer.sessionId ?? '';
        continue;
      }
      assert.equal(answer.status, 200, `Transmission RPC ${method}: HTTP ${answer.status}`);
      const body = JSON.parse(answer.text) as {
        result?: unknown;
        arguments?: Record<string, unknown>;
      };
      assert.equal(body.result, 'success', `Transmission RPC ${method}: ${answer.text}`);
      return body.arguments ?? {};
    }
    assert.fail(`Transmission RPC ${method}: no session id accepted`);
  }

  /** Resolves once the daemon answers RPC. */
  ready(ms: number): Promise<true> {
    return waitUntil(
      'transmission-daemon to answer RPC',
      ms,
      () =>
        this.call('session-get').then(
          () => true as const,
          () => undefined,
        ),
      { watch: [this.proc] },
    );
  }

  /** Adds a torrent (its data, if any, in the daemon's download-dir). */
  async add(metainfo: Uint8Array): Promise<void> {
    const added = await this.call('torrent-add', {
      metainfo: Buffer.from(metainfo).toString('base64'),
      paused: false,
    });
    assert.ok(added['torrent-added'] !== undefined, `torrent-add: ${JSON.stringify(added)}`);
  }

  /** The state of its one torrent. */
  async torrent(): Promise<TorrentState> {
    const { torrents } = await this.call('torrent-get', { fields: FIELDS });
    assert.ok(Array.isArray(torrents) && torrents.length === 1, JSON.stringify(torrents));
    this.last = torrents[0] as TorrentState;
    return this.last;
  }

  why = (): string =>
    `Transmission's torrent: ${JSON.stringify(this.last)}\n${describeRun(this.proc, 30)}`;

  /** Until its torrent is in the state `accept` takes; fails on a torrent error. */
  waitFor(
    what: string,
    ms: number,
    accept: (s: TorrentState) => boolean,
    watch: readonly Running[] = [],
  ): Promise<TorrentState> {
    return waitUntil(
      `Transmission: ${what}`,
      ms,
      async () => {
        const state = await this.torrent();
        assert.equal(state.error, 0, `Transmission reports an error\n${this.why()}`);
        return accept(state) ? state : undefined;
      },
      { watch: [this.proc, ...watch], explain: () => `${this.why()}\n\n${this.explain()}` },
    );
  }
}
