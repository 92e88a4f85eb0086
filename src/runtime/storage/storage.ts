/**
 * Where piece data lives. Addresses are (piece, offset within the piece); the storage maps them
 * onto files through the torrent's layout. Padding (BEP 47) is never stored.
 */
export interface Storage {
  /** Writes bytes at (piece, offset); they may cross file boundaries (v1). */
  write(piece: number, offset: number, data: Uint8Array): Promise<void>;
  /** Reads bytes at (piece, offset); fails with IO_FAILED if they were never written. */
  read(piece: number, offset: number, length: number): Promise<Uint8Array>;
  /** Flushes and closes every open file. The storage can be used again after. */
  close(): Promise<void>;
}
