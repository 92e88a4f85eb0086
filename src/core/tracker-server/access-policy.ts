/**
 * Who may announce what. Open mode serves any info-hash; allow-list mode only those listed in
 * the allow-list file or registered through the admin API (the two sets are kept apart, so
 * re-reading the file never forgets an API registration). Passkeys, when configured, gate
 * every announce and scrape: the announce URL carries one (/announce/<passkey>), and only
 * known ones pass. Passkeys are never logged and never reach the statistics.
 */
import type { TorrentKey } from './swarm-store.js';

/** Passkeys: 1 to 64 characters from the URL-safe set. */
export const PASSKEY_PATTERN = /^[A-Za-z0-9_.~-]{1,64}$/;

export const isPasskey = (text: string): boolean => PASSKEY_PATTERN.test(text);

export class AccessPolicy {
  private fromFile = new Set<TorrentKey>();
  private readonly registered = new Set<TorrentKey>();
  private passkeys: Set<string> | undefined;

  constructor(
    /** Allow-list mode: only listed info-hashes are served. */
    readonly allowListMode: boolean,
    private readonly maxEntries = 1_000_000,
  ) {}

  get requiresPasskey(): boolean {
    return this.passkeys !== undefined;
  }

  allows(key: TorrentKey): boolean {
    return !this.allowListMode || this.fromFile.has(key) || this.registered.has(key);
  }

  passkeyOk(passkey: string | undefined): boolean {
    if (this.passkeys === undefined) return true;
    return passkey !== undefined && this.passkeys.has(passkey);
  }

  /** Replaces the info-hashes that came from the allow-list file; returns how many. */
  setFileList(keys: Iterable<TorrentKey>): number {
    const next = new Set<TorrentKey>();
    for (const k of keys) {
      if (next.size >= this.maxEntries) break;
      next.add(k);
    }
    this.fromFile = next;
    return next.size;
  }

  /** Registers an info-hash (admin API); false when the list is full. */
  register(key: TorrentKey): boolean {
    if (this.registered.has(key)) return true;
    if (this.registered.size + this.fromFile.size >= this.maxEntries) return false;
    this.registered.add(key);
    return true;
  }

  /** Unregisters an API registration; an entry of the file stays until the file drops it. */
  unregister(key: TorrentKey): { removed: boolean; stillInFile: boolean } {
    return { removed: this.registered.delete(key), stillInFile: this.fromFile.has(key) };
  }

  /** Registered through the API (kept in the snapshot). */
  registeredKeys(): TorrentKey[] {
    return [...this.registered];
  }

  fileKeys(): TorrentKey[] {
    return [...this.fromFile];
  }

  /** Sets the passkeys; undefined turns the requirement off. */
  setPasskeys(passkeys: Iterable<string> | undefined): void {
    this.passkeys = passkeys === undefined ? undefined : new Set(passkeys);
  }
}
