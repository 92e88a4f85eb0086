/**
 * Our external address, as other nodes see it (BEP 42: the `ip` field of their answers).
 * An address counts once several distinct nodes report it and it leads the count, so a lone
 * liar cannot move us. Voters are distinct hosts (distinct sockets on loopback, where every
 * node shares one host); the latest MAX_VOTES votes are kept.
 */
const MAX_VOTES = 50;
/** Distinct voters an address needs before it is believed. */
export const VOTES_NEEDED = 3;

export class ExternalAddressVotes {
  /** Voter -> the address it reported, oldest first. */
  private readonly votes = new Map<string, string>();
  private agreed: string | undefined;

  get address(): string | undefined {
    return this.agreed;
  }

  /** A node at `voter` ("host:port") saw us as `seen`. Returns the address when the agreed
   * one changes (or is first agreed), else undefined. */
  vote(voter: { host: string; port: number }, seen: string): string | undefined {
    const loopback = voter.host.startsWith('127.') || voter.host === '::1';
    const key = loopback ? `${voter.host}:${voter.port}` : voter.host;
    this.votes.delete(key);
    this.votes.set(key, seen);
    if (this.votes.size > MAX_VOTES) {
      const oldest = this.votes.keys().next();
      if (!oldest.done) this.votes.delete(oldest.value);
    }
    const counts = new Map<string, number>();
    for (const a of this.votes.values()) counts.set(a, (counts.get(a) ?? 0) + 1);
    let leader: string | undefined;
    let best = 0;
    for (const [a, n] of counts) {
      if (n > best) {
        leader = a;
        best = n;
      }
    }
    if (leader === undefined || best < VOTES_NEEDED || leader === this.agreed) return undefined;
    this.agreed = leader;
    return leader;
  }
}
