/**
 * Resume data: which pieces were verified, so a restart need not re-read them. A bencoded
 * dictionary, bounded and checked like any untrusted input (the file may be stale, truncated
 * or from another torrent); anything off and it is ignored, never trusted.
 */

import { Bitfield } from '../../lib/bitfield.js';
import { toHex } from '../../lib/bytes.js';
import { decode } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import { isBytes, isDict } from '../bencode/types.js';

export const RESUME_VERSION = 1;

export interface ResumeData {
  /** Hex v1 info-hash, or v2 when there is no v1. */
  readonly infoHash: string;
  readonly have: Bitfield;
}

export const encodeResume = (data: ResumeData): Uint8Array => {
  const r = encode({
    'fanseed resume': RESUME_VERSION,
    'info-hash': data.infoHash,
    pieces: data.have.bytes,
  });
  if (!r.ok) throw new Error(`internal: ${r.error.message}`);
  return r.value;
};

/** The resume data in `bytes` if it is well formed and for this torrent, else undefined. */
export const decodeResume = (
  bytes: Uint8Array,
  expect: { readonly infoHash: Uint8Array; readonly pieceCount: number },
): ResumeData | undefined => {
  const r = decode(bytes, { maxDepth: 4, maxInput: 64 * 1024 * 1024 });
  if (!r.ok || !isDict(r.value)) return undefined;
  const d = r.value;
  if (d.get('fanseed resume') !== RESUME_VERSION) return undefined;
  const hash = d.get('info-hash');
  if (!isBytes(hash) || new TextDecoder().decode(hash) !== toHex(expect.infoHash)) return undefined;
  const pieces = d.get('pieces');
  if (!isBytes(pieces)) return undefined;
  const have = Bitfield.fromWire(expect.pieceCount, pieces);
  if (have === undefined) return undefined;
  return { infoHash: toHex(expect.infoHash), have };
};
