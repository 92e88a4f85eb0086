/**
 * Reads pieces from files and hashes them: SHA-1 of the whole piece (v1) and the SHA-256
 * merkle root of its 16 KiB blocks (v2). Runs inside hash workers and, for the CLI, on the main
 * thread too, one piece at a time with one reusable buffer: memory stays at one piece whatever
 * the torrent's size. Kept light on imports so that workers start fast.
 */
import { createHash, hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { type Layout, pieceSpans } from '../../core/geometry/layout.js';
import { BLOCK_SIZE, merkleRoot, pieceTreeWidth } from '../../core/merkle/merkle.js';
import type { ErrorValue } from '../../lib/errors.js';

export interface HashJobSpec {
  readonly paths: readonly string[];
  readonly layout: Layout;
  readonly needV1: boolean;
  readonly needV2: boolean;
}

export class PieceReadError extends Error {
  constructor(readonly value: ErrorValue) {
    super(value.message);
  }
}

const sha256 = (data: Uint8Array): Uint8Array => hash('sha256', data, 'buffer');

/**
 * A piece buffer that does not start 16 bytes past a page boundary. Large allocations come
 * from mmap with a 16-byte malloc header, and the kernel's copy from the (page-aligned) page
 * cache into a destination at exactly that offset runs at half speed here; 64 bytes past the
 * boundary is cache-line aligned and fast.
 */
const pieceBuffer = (length: number): Buffer =>
  Buffer.allocUnsafeSlow(length + 64).subarray(48, 48 + length);

export class PieceHasher {
  private readonly buffer: Buffer;
  private zeros: Buffer | undefined;
  private openFile: { index: number; fd: number } | undefined;

  constructor(private readonly spec: HashJobSpec) {
    this.buffer = pieceBuffer(spec.layout.pieceLength);
  }

  /** Hashes pieces [first, end) into the output arrays, at offsets counted from `first`. */
  hashRange(
    first: number,
    end: number,
    v1Out: Uint8Array | undefined,
    v2Out: Uint8Array | undefined,
  ): number {
    const { layout } = this.spec;
    let bytes = 0;
    for (let index = first; index < end; index++) {
      const { spans, dataLength, zeroPad } = pieceSpans(layout, index);
      let at = 0;
      for (const span of spans) {
        this.readExactly(span.file, span.fileOffset, span.length, at);
        at += span.length;
      }
      const data = this.buffer.subarray(0, dataLength);
      const k = index - first;
      if (v1Out !== undefined) {
        if (zeroPad === 0) {
          v1Out.set(hash('sha1', data, 'buffer'), k * 20);
        } else {
          v1Out.set(
            createHash('sha1').update(data).update(this.zeroBuffer().subarray(0, zeroPad)).digest(),
            k * 20,
          );
        }
      }
      if (v2Out !== undefined) {
        const fileLength = layout.files[spans[0]?.file ?? 0]?.length ?? 0;
        v2Out.set(this.v2PieceRoot(data, pieceTreeWidth(layout.pieceLength, fileLength)), k * 32);
      }
      bytes += dataLength;
    }
    return bytes;
  }

  close(): void {
    if (this.openFile !== undefined) closeSync(this.openFile.fd);
    this.openFile = undefined;
  }

  private v2PieceRoot(data: Uint8Array, width: number): Uint8Array {
    const leaves: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += BLOCK_SIZE)
      leaves.push(sha256(data.subarray(at, at + BLOCK_SIZE)));
    return merkleRoot(sha256, leaves, width);
  }

  private zeroBuffer(): Buffer {
    this.zeros ??= Buffer.alloc(this.spec.layout.pieceLength);
    return this.zeros;
  }

  private fd(index: number): number {
    if (this.openFile?.index === index) return this.openFile.fd;
    this.close();
    const path = this.spec.paths[index] as string;
    try {
      this.openFile = { index, fd: openSync(path, 'r') };
    } catch (e) {
      throw new PieceReadError({
        code: 'IO_FAILED',
        message: `cannot open ${path}: ${(e as Error).message}`,
      });
    }
    return this.openFile.fd;
  }

  private readExactly(file: number, position: number, length: number, into: number): void {
    const fd = this.fd(file);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, this.buffer, into + done, length - done, position + done);
      if (n === 0) {
        const path = this.spec.paths[file] as string;
        throw new PieceReadError({
          code: 'IO_CHANGED',
          message: `${path} became shorter while it was being read`,
        });
      }
      done += n;
    }
  }
}
