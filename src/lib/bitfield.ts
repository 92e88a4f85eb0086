/**
 * A fixed-size set of piece indices, stored as the BEP 3 bitfield: the high bit of the first
 * byte is piece 0, spare bits at the end are zero.
 */
export class Bitfield {
  readonly bytes: Uint8Array;
  private ones = 0;

  constructor(
    readonly size: number,
    bytes?: Uint8Array,
  ) {
    const length = Math.ceil(size / 8);
    this.bytes = new Uint8Array(length);
    if (bytes !== undefined) {
      if (bytes.length !== length)
        throw new RangeError(`bitfield of ${bytes.length} bytes for ${size} bits`);
      this.bytes.set(bytes);
      for (const b of this.bytes) this.ones += popcount(b);
    }
  }

  /** A bitfield from wire bytes; undefined if the length is wrong or spare bits are set. */
  static fromWire(size: number, bytes: Uint8Array): Bitfield | undefined {
    if (bytes.length !== Math.ceil(size / 8)) return undefined;
    const spare = bytes.length * 8 - size;
    if (spare > 0 && ((bytes[bytes.length - 1] as number) & ((1 << spare) - 1)) !== 0)
      return undefined;
    return new Bitfield(size, bytes);
  }

  static full(size: number): Bitfield {
    const b = new Bitfield(size);
    for (let i = 0; i < size; i++) b.set(i);
    return b;
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.size) return false;
    return (((this.bytes[index >> 3] as number) >> (7 - (index & 7))) & 1) === 1;
  }

  /** Sets a bit; returns true when it was not set before. */
  set(index: number): boolean {
    if (index < 0 || index >= this.size) throw new RangeError(`bit ${index} of ${this.size}`);
    if (this.has(index)) return false;
    this.bytes[index >> 3] = (this.bytes[index >> 3] as number) | (0x80 >> (index & 7));
    this.ones++;
    return true;
  }

  /** Clears a bit; returns true when it was set before. */
  clear(index: number): boolean {
    if (!this.has(index)) return false;
    this.bytes[index >> 3] = (this.bytes[index >> 3] as number) & ~(0x80 >> (index & 7));
    this.ones--;
    return true;
  }

  get count(): number {
    return this.ones;
  }

  get complete(): boolean {
    return this.ones === this.size;
  }

  get empty(): boolean {
    return this.ones === 0;
  }
}

const popcount = (b: number): number => {
  let n = b - ((b >> 1) & 0x55);
  n = (n & 0x33) + ((n >> 2) & 0x33);
  return (n + (n >> 4)) & 0x0f;
};
