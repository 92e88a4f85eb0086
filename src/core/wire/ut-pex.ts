/**
 * Peer exchange (BEP 11, the `ut_pex` extension): peers tell each other whom they are
 * connected to. A message lists peers added and dropped since the last one (IPv4 in `added` /
 * `dropped`, IPv6 in `added6` / `dropped6`, compact as BEP 23 and BEP 7 peers), with a flags
 * byte per added peer. At most one message a minute to a peer and at most 50 added peers in it.
 * Never for private torrents (BEP 27): the runtime does not offer the extension there, so
 * nothing here is ever used for one.
 */
import type { ErrorValue } from '../../lib/errors.js';
import { err, ok, type Result } from '../../lib/result.js';
import { decode, encode } from '../bencode/index.js';
import { type BDict, isBytes, isDict } from '../bencode/types.js';
import type { NodeAddress } from '../dht/types.js';
import { formatIp, type IpFamily, type PeerAddress, parseIp } from '../tracker-protocol/address.js';
import {
  compactPeerBytes,
  decodeCompactPeers,
  encodeCompactPeers,
} from '../tracker-protocol/compact.js';

export const UT_PEX = 'ut_pex';

/** The flags byte of an added peer (BEP 11 "Flags"); other bits are reserved. */
export const PEX_FLAGS = {
  /** Prefers encryption (the `e` field of its extension handshake). */
  prefersEncryption: 0x01,
  /** A seed, or upload only. */
  seed: 0x02,
  utp: 0x04,
  /** Said it supports `ut_holepunch` in its extension handshake. */
  holepunch: 0x08,
  /** We connected to it (an outgoing connection), so it accepts incoming ones. */
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

/** Largest payload read: 200 IPv6 entries in each of three lists, with room to spare. */
export const PEX_MAX_PAYLOAD = 16 * 1024;
/** Entries accepted per list and family; BEP 11 senders keep to 50 a message after the first. */
export const PEX_MAX_ENTRIES = 200;
/** Added (and dropped) peers sent in one message at most (BEP 11). */
export const PEX_MAX_ADDED = 50;
/** BEP 11: "no more than 1 PEX message per minute". */
export const PEX_INTERVAL_MS = 60_000;

/** A flat dictionary of byte strings: one level is all a ut_pex message has. */
const DECODE_LIMITS = {
  maxDepth: 2,
  maxInput: PEX_MAX_PAYLOAD,
  maxString: PEX_MAX_PAYLOAD,
  maxIntegerDigits: 20,
  requireSortedKeys: false,
} as const;

const FAMILIES = [
  ['', 'ipv4'],
  ['6', 'ipv6'],
] as const;

const bad = (message: string): { ok: false; error: ErrorValue } =>
  err({ code: 'PEX_BAD_MESSAGE', message });

const keyOf = (a: NodeAddress): string => `${a.host}:${a.port}`;

/** One compact list, length and count checked; absent is empty. Port 0 entries stay (the
 * caller skips them, after reading their flags byte by position). */
const readList = (
  dict: BDict,
  key: string,
  family: IpFamily,
): Result<readonly PeerAddress[], ErrorValue> => {
  const raw = dict.get(key);
  if (raw === undefined) return ok([]);
  if (!isBytes(raw)) return bad(`${key} is not a string`);
  const size = compactPeerBytes(family);
  if (raw.length % size !== 0)
    return bad(`${key} of ${raw.length} bytes is not a multiple of ${size}`);
  if (raw.length / size > PEX_MAX_ENTRIES)
    return bad(`more than ${PEX_MAX_ENTRIES} peers in ${key}`);
  const peers = decodeCompactPeers(raw, family, PEX_MAX_ENTRIES);
  return peers.ok ? peers : bad(`${key}: ${peers.error.message}`);
};

const readFlags = (dict: BDict, key: string): Result<Uint8Array, ErrorValue> => {
  const raw = dict.get(key);
  if (raw === undefined) return ok(new Uint8Array(0));
  return isBytes(raw) ? ok(raw) : bad(`${key} is not a string`);
};

/** Reads one family's lists into `added` and `dropped`, skipping port 0 and repeats. */
const readFamily = (
  dict: BDict,
  suffix: '' | '6',
  family: IpFamily,
  out: { added: PexPeer[]; dropped: NodeAddress[]; seen: Set<string> },
): ErrorValue | undefined => {
  const added = readList(dict, `added${suffix}`, family);
  if (!added.ok) return added.error;
  // A flags string shorter than the list leaves the rest at 0; a longer one is not an error.
  const flags = readFlags(dict, `added${suffix}.f`);
  if (!flags.ok) return flags.error;
  const dropped = readList(dict, `dropped${suffix}`, family);
  if (!dropped.ok) return dropped.error;
  for (const [i, p] of added.value.entries()) {
    const address = { host: formatIp(p.ip), port: p.port };
    const key = `+${keyOf(address)}`;
    // BEP 11: "Added or removed contacts must not contain duplicates"; keep the first.
    if (p.port === 0 || out.seen.has(key)) continue;
    out.seen.add(key);
    out.added.push({ address, flags: flags.value[i] ?? 0 });
  }
  for (const p of dropped.value) {
    const address = { host: formatIp(p.ip), port: p.port };
    const key = `-${keyOf(address)}`;
    if (p.port === 0 || out.seen.has(key)) continue;
    out.seen.add(key);
    out.dropped.push(address);
  }
  return undefined;
};

/**
 * Reads a ut_pex payload (BEP 11). Keys may come in any order; unknown keys are ignored.
 * Refused with PEX_BAD_MESSAGE: more than 16 KiB, not a flat dictionary, a list or flags value
 * that is not a string, a list length that is not a whole number of 6 (IPv4) or 18 (IPv6)
 * byte entries, or more than 200 entries in one list.
 */
export const decodePex = (payload: Uint8Array): Result<PexMessage, ErrorValue> => {
  if (payload.length > PEX_MAX_PAYLOAD) return bad(`a message of ${payload.length} bytes`);
  const d = decode(payload, DECODE_LIMITS);
  if (!d.ok) return bad(`not bencode: ${d.error.message}`);
  if (!isDict(d.value)) return bad('not a dictionary');
  const out = { added: [] as PexPeer[], dropped: [] as NodeAddress[], seen: new Set<string>() };
  for (const [suffix, family] of FAMILIES) {
    const e = readFamily(d.value, suffix, family, out);
    if (e !== undefined) return err(e);
  }
  return ok({ added: out.added, dropped: out.dropped });
};

/** A peer address that can go on the wire: an IP literal and a port 1..65535. */
const toPeerAddress = (a: NodeAddress): PeerAddress | undefined => {
  const ip = parseIp(a.host);
  if (ip === undefined || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535)
    return undefined;
  return { ip, port: a.port };
};

/**
 * A ut_pex payload, canonical bencode (sorted keys), with every list present even when empty
 * (BEP 11: a message must hold at least one of them). Peers go to `added`/`dropped` or
 * `added6`/`dropped6` by the family of their address; hosts that are not IP literals, and
 * ports outside 1..65535, are left out.
 */
export const encodePex = (m: PexMessage): Uint8Array => {
  const added = m.added.flatMap((p) => {
    const a = toPeerAddress(p.address);
    return a === undefined ? [] : [{ a, flags: p.flags & 0xff }];
  });
  const dropped = m.dropped.flatMap((d) => {
    const a = toPeerAddress(d);
    return a === undefined ? [] : [a];
  });
  const dict = new Map<string, Uint8Array>();
  for (const [suffix, family] of FAMILIES) {
    const mine = added.filter((p) => p.a.ip.family === family);
    dict.set(
      `added${suffix}`,
      encodeCompactPeers(
        mine.map((p) => p.a),
        family,
      ),
    );
    dict.set(`added${suffix}.f`, new Uint8Array(mine.map((p) => p.flags)));
    dict.set(`dropped${suffix}`, encodeCompactPeers(dropped, family));
  }
  const bytes = encode(dict);
  // A map of byte strings with ASCII keys always encodes; this cannot happen.
  if (!bytes.ok) throw new Error(`ut_pex message not encodable: ${bytes.error.message}`);
  return bytes.value;
};

/**
 * What to tell one peer next (BEP 11): the peers connected now that it has not heard of, and
 * those it heard of that are gone. Pure: the caller passes the time in ms, and sends what
 * `next` returns. One tracker per peer connection that negotiated `ut_pex`; the caller never
 * creates one for a private torrent (BEP 27).
 *
 * Only connect and disconnect are reported: a peer whose flags change is not sent again.
 * A peer that leaves and comes back between two messages is elided (BEP 11 allows it).
 */
export class PexTracker {
  /** What the peer has heard from us, by the caller's key. */
  private readonly sent = new Map<string, NodeAddress>();
  private last: number | undefined;

  /**
   * The next message, or undefined when it is too early (less than a minute since the last
   * message returned) or nothing changed. The first message may go at once. `connected` is
   * keyed by "host:port" (any stable text per address will do) and must leave out the peer
   * itself. At most 50 added and 50 dropped a message; the rest wait for the next one.
   */
  next(connected: ReadonlyMap<string, PexPeer>, now: number): PexMessage | undefined {
    if (this.last !== undefined && now - this.last < PEX_INTERVAL_MS) return undefined;
    const added: Array<[string, PexPeer]> = [];
    for (const [key, peer] of connected) {
      if (added.length >= PEX_MAX_ADDED) break;
      if (!this.sent.has(key)) added.push([key, peer]);
    }
    const dropped: Array<[string, NodeAddress]> = [];
    for (const [key, address] of this.sent) {
      if (dropped.length >= PEX_MAX_ADDED) break;
      if (!connected.has(key)) dropped.push([key, address]);
    }
    if (added.length === 0 && dropped.length === 0) return undefined;
    for (const [key, peer] of added) this.sent.set(key, peer.address);
    for (const [key] of dropped) this.sent.delete(key);
    this.last = now;
    return { added: added.map(([, p]) => p), dropped: dropped.map(([, a]) => a) };
  }
}
