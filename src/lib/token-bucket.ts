/**
 * A rate limit: tokens (bytes) refill at `rate` per second up to `burst`. Pure: the caller
 * passes the time. A limit of Infinity never says no.
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    readonly rate: number,
    readonly burst: number = Math.max(rate, 64 * 1024),
  ) {
    this.tokens = burst;
  }

  private refill(now: number): void {
    if (this.last !== undefined)
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Takes `n` tokens if there are enough (a request larger than the burst needs a full bucket). */
  take(n: number, now: number): boolean {
    if (this.rate === Number.POSITIVE_INFINITY) return true;
    this.refill(now);
    const need = Math.min(n, this.burst);
    if (this.tokens < need) return false;
    this.tokens -= n;
    return true;
  }

  /**
   * Takes `n` tokens whether or not they are there (bytes already received cannot be refused),
   * and returns the milliseconds until the bucket is back above zero: how long to stop reading.
   */
  spend(n: number, now: number): number {
    if (this.rate === Number.POSITIVE_INFINITY) return 0;
    this.refill(now);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }

  /** Milliseconds until `n` tokens are there. */
  waitMs(n: number, now: number): number {
    if (this.rate === Number.POSITIVE_INFINITY) return 0;
    this.refill(now);
    const need = Math.min(n, this.burst) - this.tokens;
    return need <= 0 ? 0 : Math.ceil((need / this.rate) * 1000);
  }
}
