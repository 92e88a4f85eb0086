/**
 * The bytes of a handshake received but not yet consumed: a growable buffer, compacted as it is
 * consumed, so that a handshake trickling in one byte at a time costs linear time. The MSE state
 * machines bound what they wait for; this only stores it.
 */
export class ByteQueue {
  private buffer: Uint8Array;
  private start = 0;
  private end = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.length;
      if (live + chunk.length <= this.buffer.length) {
        this.buffer.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(live + chunk.length, this.buffer.length * 2));
        grown.set(this.buffer.subarray(this.start, this.end));
        this.buffer = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * A view of the first `n` bytes (all, by default), valid until the next `push`. The caller
   * may change them in place (decrypting), since it consumes them next.
   */
  view(n = this.length): Uint8Array {
    return this.buffer.subarray(this.start, this.start + Math.min(n, this.length));
  }

  consume(n: number): void {
    this.start = Math.min(this.start + n, this.end);
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  /** Everything left, as a copy the caller owns; the queue is emptied. */
  drain(): Uint8Array {
    const out = this.buffer.slice(this.start, this.end);
    this.start = 0;
    this.end = 0;
    return out;
  }
}
