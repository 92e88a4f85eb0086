/**
 * What MSE derives from the shared secret S and the stream key SKEY (the 20-byte info-hash):
 * the sync hash HASH('req1', S), the obfuscated SKEY HASH('req2', SKEY) xor HASH('req3', S),
 * and the two RC4 streams keyed with HASH('keyA', S, SKEY) (initiator to responder) and
 * HASH('keyB', S, SKEY) (responder to initiator), each past its first 1024 bytes. HASH is SHA-1.
 */
import { bytesToBinary as binary } from '../../../lib/bytes.js';
import type { HashPort } from '../../../lib/hash-port.js';
import { Rc4 } from './rc4.js';

/** The info-hash as MSE uses it (a v2 info-hash truncated to 20 bytes, as in BEP 52). */
export const SKEY_LENGTH = 20;
/** MSE drops this many keystream bytes of each RC4 stream before use. */
export const RC4_DISCARD = 1024;

const label = (text: string): Uint8Array => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const REQ1 = label('req1');
const REQ2 = label('req2');
const REQ3 = label('req3');
const KEY_A = label('keyA');
const KEY_B = label('keyB');

const sha1Of = (hash: HashPort, ...parts: Uint8Array[]): Uint8Array => {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return hash.sha1(all);
};

/** HASH('req1', S): where the responder finds the end of PadA. */
export const req1Hash = (hash: HashPort, secret: Uint8Array): Uint8Array =>
  sha1Of(hash, REQ1, secret);

/** HASH('req2', SKEY): a torrent's obfuscated info-hash, what a responder looks torrents up by. */
export const req2Hash = (hash: HashPort, skey: Uint8Array): Uint8Array =>
  sha1Of(hash, REQ2, skey.subarray(0, SKEY_LENGTH));

/** HASH('req3', S): the mask over HASH('req2', SKEY) on the wire. */
export const req3Hash = (hash: HashPort, secret: Uint8Array): Uint8Array =>
  sha1Of(hash, REQ3, secret);

export const xor20 = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
};

/** The two RC4 streams of a connection, seen from one side. */
export interface MseCipher {
  /** What we send: keyA's stream for the initiator, keyB's for the responder. */
  readonly encrypt: Rc4;
  /** What we receive. */
  readonly decrypt: Rc4;
}

const stream = (hash: HashPort, name: Uint8Array, secret: Uint8Array, skey: Uint8Array): Rc4 => {
  const rc4 = new Rc4(sha1Of(hash, name, secret, skey.subarray(0, SKEY_LENGTH)));
  rc4.discard(RC4_DISCARD);
  return rc4;
};

export const deriveCipher = (
  hash: HashPort,
  role: 'initiator' | 'responder',
  secret: Uint8Array,
  skey: Uint8Array,
): MseCipher => {
  const a = stream(hash, KEY_A, secret, skey);
  const b = stream(hash, KEY_B, secret, skey);
  return role === 'initiator' ? { encrypt: a, decrypt: b } : { encrypt: b, decrypt: a };
};

/**
 * A lookup from HASH('req2', SKEY) to the info-hash, over a fixed set of info-hashes (each
 * used as its first 20 bytes). A session that adds and removes torrents keeps its own map of
 * `req2Hash` values instead.
 */
export const skeyLookup = (
  hash: HashPort,
  infoHashes: Iterable<Uint8Array>,
): ((obfuscated: Uint8Array) => Uint8Array | undefined) => {
  const byHash = new Map<string, Uint8Array>();
  for (const infoHash of infoHashes) {
    byHash.set(binary(req2Hash(hash, infoHash)), infoHash.slice(0, SKEY_LENGTH));
  }
  return (obfuscated) => byHash.get(binary(obfuscated));
};
