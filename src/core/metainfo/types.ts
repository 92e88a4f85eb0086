import type { InfoHashV1, InfoHashV2 } from '../../lib/ids.js';

export type TorrentVersion = 'v1' | 'v2' | 'hybrid';

export interface TorrentFile {
  /** Path components below the torrent's folder (for a single-file torrent: `[name]`). */
  readonly path: readonly string[];
  readonly length: number;
  /** Where the file starts in the v1 byte stream (pad files included); for v2-only, in the
   * stream where every file starts on a piece boundary. */
  readonly offset: number;
  /** A BEP 47 padding file: zeros that are never written to disk. */
  readonly pad: boolean;
  /** BEP 52 merkle root of the file; absent for v1-only torrents and empty files. */
  readonly piecesRoot: Uint8Array | undefined;
}

export interface Metainfo {
  readonly version: TorrentVersion;
  readonly name: string;
  readonly infoHashV1: InfoHashV1 | undefined;
  readonly infoHashV2: InfoHashV2 | undefined;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Sum of the real files' lengths (padding excluded). */
  readonly length: number;
  /** True when the torrent is a folder (v1 `files` list, or a v2 tree not of one top file). */
  readonly multiFile: boolean;
  /** Files in torrent order, padding files included for v1 and hybrid torrents. */
  readonly files: readonly TorrentFile[];
  /** v1 piece hashes, 20 bytes each, concatenated. */
  readonly pieces: Uint8Array | undefined;
  /** v2 piece layers by pieces root (binary-string key), only for files over one piece. */
  readonly pieceLayers: ReadonlyMap<string, Uint8Array>;
  /** Announce URLs in tiers (BEP 12); a lone `announce` becomes one tier. */
  readonly announce: readonly (readonly string[])[];
  /** Web seeds (BEP 19). */
  readonly urlList: readonly string[];
  readonly private: boolean;
  readonly comment: string | undefined;
  readonly createdBy: string | undefined;
  readonly creationDate: number | undefined;
  /** The exact bytes of the info dictionary (what the info-hashes are taken over). */
  readonly info: Uint8Array;
}

export interface MetainfoLimits {
  readonly maxFiles: number;
  readonly maxPathDepth: number;
  readonly maxTotalLength: number;
  readonly maxPieceLength: number;
  readonly maxTrackers: number;
}

export const DEFAULT_METAINFO_LIMITS: MetainfoLimits = {
  maxFiles: 100_000,
  maxPathDepth: 64,
  // 1 PiB: beyond any real release, well inside exact double arithmetic.
  maxTotalLength: 2 ** 50,
  // libtorrent refuses pieces over 128 MiB; so do we.
  maxPieceLength: 128 * 1024 * 1024,
  maxTrackers: 1000,
};

export const MIN_PIECE_LENGTH = 16 * 1024;

/** Real files only (no padding), in torrent order. */
export const realFiles = (m: Metainfo): TorrentFile[] => m.files.filter((f) => !f.pad);
