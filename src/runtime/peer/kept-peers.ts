/**
 * Peers the user gave (`--peer`, `addPeer`): dialled again after a growing pause (2 s doubling
 * to 1 min) whenever the connection fails or ends, and the pause starts over once connected.
 */
export interface KeptPeer {
  readonly host: string;
  readonly port: number;
}

interface Entry extends KeptPeer {
  delayMs: number;
  timer: NodeJS.Timeout | undefined;
}

const FIRST_DELAY_MS = 2000;
const MAX_DELAY_MS = 60_000;

export class KeptPeers {
  private readonly peers = new Map<string, Entry>();

  /** Remembers a peer; true if it is new. */
  add(host: string, port: number): boolean {
    const address = `${host}:${port}`;
    if (this.peers.has(address)) return false;
    this.peers.set(address, { host, port, delayMs: FIRST_DELAY_MS, timer: undefined });
    return true;
  }

  all(): KeptPeer[] {
    return [...this.peers.values()].map(({ host, port }) => ({ host, port }));
  }

  connected(address: string): void {
    const peer = this.peers.get(address);
    if (peer !== undefined) peer.delayMs = FIRST_DELAY_MS;
  }

  /** A kept peer's connection failed or ended: `dial` it again after its pause. */
  dropped(address: string, dial: (host: string, port: number) => void): void {
    const peer = this.peers.get(address);
    if (peer === undefined || peer.timer !== undefined) return;
    peer.timer = setTimeout(() => {
      peer.timer = undefined;
      dial(peer.host, peer.port);
    }, peer.delayMs);
    peer.timer.unref();
    peer.delayMs = Math.min(MAX_DELAY_MS, peer.delayMs * 2);
  }

  /** Cancels every pending redial (pause, close). */
  stop(): void {
    for (const peer of this.peers.values()) {
      clearTimeout(peer.timer);
      peer.timer = undefined;
    }
  }
}
