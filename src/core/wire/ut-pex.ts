/**
 * Peer exchange (BEP 11, the `ut_pex` extension): peers tell each other whom they are
 * connected to. A message lists peers added and dropped since the last one (IPv4 in `added` /
 * `dropped`, IPv6 in `added6` / `dropped6`, compact), with a flags byte per added peer. At most
 * one message a minute to a peer and at most 50 added peers in it; never for private torrents
 * (BEP 27: the runtime does not offer the extension there).
 */
import { concatBytes } from '../../lib/bytes.js';
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { decode, encode } from '../bencode/index.js';
import { type BDict, isBytes, isDict } from '../bencode/types.js';
import {
  COMPACT_ENDPOINT_BYTES,
  decodeEndpoint,
  encodeEndpoint,
  familyOf,
} from '../dht/compact.js';
import type { NodeAddress } from '../dht/types.js';

export const UT_PEX = 'ut_pex';

export const PEX_FLAGS = {
  prefersEncryption: 0x01,
  seed: 0x02,
  utp: 0x04,
  holepunch: 0x08,
  /** We connected to it (so it accepts incoming connections). */
  reachable: 0x10,
} as const;

export interface PexPeer {
  readonly address: NodeAddress;
  readonly flags: number;
}

export interface PexMessage {
  readonly added: readonly PexPeer[];
  readonly dropped: readonly NodeAddress[];
}

const MAX_PAYLOAD = 16 * 1024;
/** Accepted per list and family; BEP 11 senders keep to 50 added peers a message. */
const MAX_ENTRIES = 200;
/** Added (and dropped) peers sent in one message at most. */
export const PEX_MAX_ADDED = 50;
export const PEX_INTERVAL_MS = 60_000;

const bad = (message: string): { ok: false; error: ErrorValue } =>
  err({ code: 'PEX_BAD_MESSAGE', message });

const readList = (
  dict: BDict,
  key: string,
  family: 'ipv4' | 'ipv6',
): Result<NodeAddress[], ErrorValue> => {
  const raw = dict.get(key);
  if (raw === undefined) return ok([]);
  if (!isBytes(raw)) return bad(`${key} is not a string`);
  const size = COMPACT_ENDPOINT_BYTES[family];
  if (raw.length % size !== 0)
    return bad(`${key} of ${raw.length} bytes is not a multiple of ${size}`);
  if (raw.length / size > MAX_ENTRIES) return bad(`more than ${MAX_ENTRIES} peers in ${key}`);
  const out: NodeAddress[] = [];
  for (let at = 0; at < raw.length; at += size) {
    const a = decodeEndpoint(raw.subarray(at, at + size));
    if (a !== undefined && a.port !== 0) out.push(a);
  }
  return ok(out);
};

export const decodePex = (payload: Uint8Array): Result<PexMessage, ErrorValue> => {
  if (payload.length > MAX_PAYLOAD) return bad(`a message of ${payload.length} bytes`);
  const d = decode(payload, { maxDepth: 2, maxInput: MAX_PAYLOAD, requireSortedKeys: false });
  if (!d.ok) return bad(`not bencode: ${d.error.message}`);
  if (!isDict(d.value)) return bad('not a dictionary');
  const dict = d.value;
  const added: PexPeer[] = [];
  const dropped: NodeAddress[] = [];
  for (const [suffix, family] of [
    ['', 'ipv4'],
    ['6', 'ipv6'],
  ] as const) {
    // Flags are read by position in the raw list, so entries with port 0 are skipped after.
    const raw = dict.get(`added${suffix}`);
    const flags = dict.get(`added${suffix}.f`);
    const list = readList(dict, `added${suffix}`, family);
    if (!list.ok) return list;
    const size = COMPACT_ENDPOINT_BYTES[family];
    if (isBytes(raw)) {
      for (let i = 0, at = 0; at < raw.length; i++, at += size) {
        const a = decodeEndpoint(raw.subarray(at, at + size));
        if (a === undefined || a.port === 0) continue;
        added.push({ address: a, flags: isBytes(flags) ? (flags[i] ?? 0) : 0 });
      }
    }
    const gone = readList(dict, `dropped${suffix}`, family);
    if (!gone.ok) return gone;
    dropped.push(...gone.value);
  }
  return ok({ added, dropped });
};

export const encodePex = (m: PexMessage): Uint8Array => {
  const dict = new Map<string, Uint8Array>();
  for (const [suffix, family] of [
    ['', 'ipv4'],
    ['6', 'ipv6'],
  ] as const) {
    const added = m.added.filter((p) => familyOf(p.address.host) === family);
    const addedBytes = added.flatMap((p) => {
      const e = encodeEndpoint(p.address);
      return e === undefined ? [] : [{ e, flags: p.flags }];
    });
    const dropped = m.dropped.flatMap((a) => {
      const e = familyOf(a.host) === family ? encodeEndpoint(a) : undefined;
      return e === undefined ? [] : [e];
    });
    dict.set(`added${suffix}`, concatBytes(addedBytes.map((x) => x.e)));
    dict.set(`added${suffix}.f`, new Uint8Array(addedBytes.map((x) => x.flags & 0xff)));
    dict.set(`dropped${suffix}`, concatBytes(dropped));
  }
  const bytes = encode(dict);
  if (!bytes.ok) throw new Error(`ut_pex message not encodable: ${bytes.error.message}`);
  return bytes.value;
};

const keyOf = (a: NodeAddress): string => `${a.host}:${a.port}`;

/**
 * What to tell one peer next: the peers connected now that it has not heard of, and those it
 * heard of that are gone. Pure: the caller passes the time, and sends what `next` returns.
 */
export class PexTracker {
  private readonly sent = new Map<string, NodeAddress>();
  private last: number | undefined;

  /** The next message, or undefined when it is too early (BEP 11: once a minute) or nothing
   * changed. `connected` is keyed by "host:port" and must leave out the peer itself. */
  next(connected: ReadonlyMap<string, PexPeer>, now: number): PexMessage | undefined {
    if (this.last !== undefined && now - this.last < PEX_INTERVAL_MS) return undefined;
    const added: PexPeer[] = [];
    for (const [key, peer] of connected) {
      if (added.length >= PEX_MAX_ADDED) break;
      if (!this.sent.has(key)) added.push(peer);
    }
    const dropped: NodeAddress[] = [];
    for (const [key, address] of this.sent) {
      if (dropped.length >= PEX_MAX_ADDED) break;
      if (!connected.has(key)) dropped.push(address);
    }
    if (added.length === 0 && dropped.length === 0) return undefined;
    for (const p of added) this.sent.set(keyOf(p.address), p.address);
    for (const a of dropped) this.sent.delete(keyOf(a));
    this.last = now;
    return { added, dropped };
  }
}
