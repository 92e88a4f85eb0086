/**
 * What the pure core asks of the world, passed in rather than reached for: the time and random
 * numbers. The runtime gives real ones; tests and the simulator give deterministic ones.
 */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** Fills `bytes` with random bytes. */
  fill(bytes: Uint8Array): void;
}

/** A seeded generator for tests and simulations (xorshift128+, good enough, not for secrets). */
export const seededRng = (seed: number): Rng => {
  let s0 = (seed >>> 0) ^ 0x9e3779b9 || 1;
  let s1 = Math.imul(seed >>> 0, 0x85ebca6b) ^ 0xc2b2ae35 || 2;
  const step = (): number => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x;
    return (s0 + s1) >>> 0;
  };
  return {
    next: () => step() / 2 ** 32,
    fill: (bytes) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = step() & 0xff;
    },
  };
};
