/**
 * A per-address rate limit with bounded state: one token bucket per source address, at most
 * `maxAddresses` of them. When the table is full the oldest entry is forgotten, so a flood from
 * many (spoofed) addresses costs a fixed amount of memory; the worst it can do is reset the
 * bucket of an address that was quiet. Pure: the caller passes the time.
 */

export interface RateLimitOptions {
  /** Requests per second an address may send on average. */
  readonly perSecond: number;
  /** Requests an address may send at once after being quiet. */
  readonly burst: number;
  /** Addresses tracked at once. */
  readonly maxAddresses: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  perSecond: 20,
  burst: 60,
  maxAddresses: 65_536,
};

export class AddressRateLimiter {
  private readonly slots = new Map<string, number>();
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  private readonly free: number[] = [];
  private used = 0;
  /** Requests refused since the start. */
  refused = 0;

  constructor(private readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT) {
    const n = Math.max(1, Math.floor(options.maxAddresses));
    this.tokens = new Float64Array(n);
    this.last = new Float64Array(n);
  }

  get tracked(): number {
    return this.slots.size;
  }

  private slotFor(address: string, nowMs: number): number {
    const known = this.slots.get(address);
    if (known !== undefined) return known;
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used < this.tokens.length) slot = this.used++;
      else {
        // Full: forget the address that was added first (Map keeps insertion order).
        const [oldest, oldSlot] = this.slots.entries().next().value as [string, number];
        this.slots.delete(oldest);
        slot = oldSlot;
      }
    }
    this.slots.set(address, slot);
    this.tokens[slot] = this.options.burst;
    this.last[slot] = nowMs;
    return slot;
  }

  /** Takes one token for `address`; false when it has none left (drop the request). */
  allow(address: string, nowMs: number): boolean {
    const slot = this.slotFor(address, nowMs);
    const elapsed = Math.max(0, nowMs - (this.last[slot] as number));
    const tokens = Math.min(
      this.options.burst,
      (this.tokens[slot] as number) + (elapsed / 1000) * this.options.perSecond,
    );
    this.last[slot] = nowMs;
    if (tokens < 1) {
      this.tokens[slot] = tokens;
      this.refused++;
      return false;
    }
    this.tokens[slot] = tokens - 1;
    return true;
  }

  /** Forgets addresses whose bucket has been full again for a while (they are quiet). */
  sweep(nowMs: number): void {
    const refillMs = (this.options.burst / this.options.perSecond) * 1000;
    for (const [address, slot] of this.slots) {
      if (nowMs - (this.last[slot] as number) > refillMs) {
        this.slots.delete(address);
        this.free.push(slot);
      }
    }
  }
}
