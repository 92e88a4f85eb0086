/**
 * Reads pieces from files and hashes them: SHA-1 of the whole piece (v1) and the SHA-256
 * merkle root of its 16 KiB blocks (v2). Used inside hash workers, one piece at a time, with
 * one reusable buffer: memory stays at one piece whatever the torrent's size.
 */

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { type Layout, pieceSpans } from '../../core/geometry/layout.js';
import { BLOCK_SIZE, merkleRoot } from '../../core/merkle/merkle.js';
import { v2LeafWidth } from '../../core/metainfo/create.js';
import type { ErrorValue } from '../../lib/errors.js';
import { nodeHash } from '../node-hash.js';

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

export class PieceHasher {
  private readonly buffer: Buffer;
  private zeros: Buffer | undefined;
  private openFile: { index: number; fd: number } | undefined;

  constructor(private readonly spec: HashJobSpec) {
    this.buffer = Buffer.allocUnsafe(spec.layout.pieceLength);
  }

  /** Hashes pieces [first, end) into the given output arrays (at piece offsets). */
  hashRange(
    first: number,
    end: number,
    v1Out: Uint8Array | undefined,
    v2Out: Uint8Array | undefined,
  ): number {
    let bytes = 0;
    for (let index = first; index < end; index++) {
      const { spans, dataLength, zeroPad } = pieceSpans(this.spec.layout, index);
      let at = 0;
      for (const span of spans) {
        this.readExactly(span.file, span.fileOffset, span.length, at);
        at += span.length;
      }
      const data = this.buffer.subarray(0, dataLength);
      const k = index - first;
      if (v1Out !== undefined) {
        const h = createHash('sha1').update(data);
        if (zeroPad > 0) h.update(this.zeroBuffer().subarray(0, zeroPad));
        v1Out.set(h.digest(), k * 20);
      }
      if (v2Out !== undefined) {
        const file = spans[0]?.file ?? 0;
        const width = v2LeafWidth(this.spec.layout, this.spec.layout.files[file]?.length ?? 0);
        v2Out.set(this.v2PieceRoot(data, width), k * 32);
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
    for (let at = 0; at < data.length; at += BLOCK_SIZE) {
      leaves.push(
        createHash('sha256')
          .update(data.subarray(at, at + BLOCK_SIZE))
          .digest(),
      );
    }
    return merkleRoot(nodeHash.sha256, leaves, width);
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
