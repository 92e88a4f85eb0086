/**
 * Stateless BEP 15 connection ids: the id handed out in a connect response is a SipHash-2-4 MAC
 * of the client's address, its port and the current time window, under a key the runtime draws
 * at start. A later announce or scrape is accepted when its id matches the MAC for the current
 * or the previous window, so nothing is stored per client and a spoofed source address (which
 * never sees the connect response) cannot announce. BEP 15: "Trackers should accept the
 * connection ID until two minutes after it has been sent"; with two-minute windows an id lives
 * between two and four minutes.
 */
import type { IpAddress } from '../tracker-protocol/address.js';
import { SipHash24 } from './siphash.js';

export const DEFAULT_CONNECTION_WINDOW_MS = 120_000;

const MESSAGE_BYTES = 16 + 2 + 4 + 1;

export class ConnectionIds {
  private readonly mac: SipHash24;
  private readonly message = new Uint8Array(MESSAGE_BYTES);
  private readonly out = new Uint32Array(2);

  /** `key`: 16 secret random bytes (a restart with a new key invalidates issued ids). */
  constructor(
    key: Uint8Array,
    private readonly windowMs: number = DEFAULT_CONNECTION_WINDOW_MS,
  ) {
    this.mac = new SipHash24(key);
  }

  private compute(ip: IpAddress, port: number, window: number): void {
    const m = this.message;
    m.fill(0);
    m.set(ip.bytes.subarray(0, 16));
    m[16] = port >>> 8;
    m[17] = port & 0xff;
    m[18] = window >>> 24;
    m[19] = window >>> 16;
    m[20] = window >>> 8;
    m[21] = window & 0xff;
    m[22] = ip.family === 'ipv4' ? 4 : 6;
    this.mac.hash(m, this.out);
  }

  private windowAt(nowMs: number): number {
    return Math.floor(nowMs / this.windowMs) >>> 0;
  }

  /** The id for a connect request from ip:port at `nowMs`. */
  issue(ip: IpAddress, port: number, nowMs: number): bigint {
    this.compute(ip, port, this.windowAt(nowMs));
    return (BigInt(this.out[0] as number) << 32n) | BigInt(this.out[1] as number);
  }

  /** True if `id` was issued to ip:port in this window or the previous one. */
  check(id: bigint, ip: IpAddress, port: number, nowMs: number): boolean {
    const hi = Number(id >> 32n);
    const lo = Number(id & 0xffffffffn);
    const window = this.windowAt(nowMs);
    for (const w of [window, window - 1]) {
      this.compute(ip, port, w >>> 0);
      if (this.out[0] === hi && this.out[1] === lo) return true;
    }
    return false;
  }
}
