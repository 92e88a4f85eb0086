/**
 * Write tokens (BEP 5): a get_peers answer carries a token that the querier must hand back in
 * its announce_peer, proving it owns the address it announces from. The token is a hash of the
 * querier's IP and a secret that changes every five minutes; tokens of the current and the
 * previous secret are accepted, so a token lives five to ten minutes. Nothing is stored per
 * querier.
 */
import { equalBytes, utf8 } from '../../lib/bytes.js';
import type { HashPort } from '../../lib/hash-port.js';
import type { Rng } from '../../lib/ports.js';

export const TOKEN_ROTATION_MS = 5 * 60 * 1000;
const TOKEN_BYTES = 8;
const SECRET_BYTES = 16;

export class TokenIssuer {
  private current: Uint8Array = new Uint8Array(SECRET_BYTES);
  private previous: Uint8Array = new Uint8Array(SECRET_BYTES);
  private rotatedAt: number;

  constructor(
    private readonly hash: HashPort,
    private readonly rng: Rng,
    now: number,
  ) {
    rng.fill(this.current);
    rng.fill(this.previous);
    this.rotatedAt = now;
  }

  issue(host: string, now: number): Uint8Array {
    this.rotate(now);
    return this.token(this.current, host);
  }

  valid(token: Uint8Array, host: string, now: number): boolean {
    this.rotate(now);
    if (token.length !== TOKEN_BYTES) return false;
    return (
      equalBytes(token, this.token(this.current, host)) ||
      equalBytes(token, this.token(this.previous, host))
    );
  }

  private rotate(now: number): void {
    if (now - this.rotatedAt < TOKEN_ROTATION_MS) return;
    // After a long silence both secrets are stale: every old token goes.
    const steps = Math.floor((now - this.rotatedAt) / TOKEN_ROTATION_MS);
    this.previous = steps === 1 ? this.current : this.fresh();
    this.current = this.fresh();
    this.rotatedAt += steps * TOKEN_ROTATION_MS;
  }

  private fresh(): Uint8Array {
    const s = new Uint8Array(SECRET_BYTES);
    this.rng.fill(s);
    return s;
  }

  private token(secret: Uint8Array, host: string): Uint8Array {
    const ip = utf8(host);
    const input = new Uint8Array(secret.length + ip.length);
    input.set(secret);
    input.set(ip, secret.length);
    return this.hash.sha1(input).subarray(0, TOKEN_BYTES);
  }
}
