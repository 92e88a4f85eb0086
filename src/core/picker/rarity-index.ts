/**
 * Pieces not yet started, grouped by (priority, availability) so that the picker finds the
 * rarest wanted piece a peer has without scanning the whole torrent. Availability above 255
 * copies counts as 255: beyond that, rarity no longer tells pieces apart.
 */
const AVAIL_STEPS = 256;
export const MAX_PRIORITY = 7;
const KEYS = (MAX_PRIORITY + 1) * AVAIL_STEPS;

export class RarityIndex {
  private readonly buckets: number[][] = Array.from({ length: KEYS }, () => []);
  private readonly keyOf: Int32Array;
  private readonly slotOf: Int32Array;
  private count = 0;

  constructor(pieceCount: number) {
    this.keyOf = new Int32Array(pieceCount).fill(-1);
    this.slotOf = new Int32Array(pieceCount).fill(-1);
  }

  static key(priority: number, availability: number): number {
    return (MAX_PRIORITY - priority) * AVAIL_STEPS + Math.min(availability, AVAIL_STEPS - 1);
  }

  has(piece: number): boolean {
    return (this.keyOf[piece] ?? -1) >= 0;
  }

  insert(piece: number, key: number): void {
    this.remove(piece);
    const bucket = this.buckets[key] as number[];
    this.keyOf[piece] = key;
    this.slotOf[piece] = bucket.length;
    bucket.push(piece);
    this.count++;
  }

  remove(piece: number): void {
    const key = this.keyOf[piece] ?? -1;
    if (key < 0) return;
    const bucket = this.buckets[key] as number[];
    const slot = this.slotOf[piece] as number;
    const last = bucket.pop() as number;
    if (last !== piece) {
      bucket[slot] = last;
      this.slotOf[last] = slot;
    }
    this.keyOf[piece] = -1;
    this.slotOf[piece] = -1;
    this.count--;
  }

  /** Moves a piece to a new key if it is indexed. */
  rekey(piece: number, key: number): void {
    if (this.has(piece) && this.keyOf[piece] !== key) this.insert(piece, key);
  }

  /**
   * The first piece, in key order, that `accept` takes; within a bucket the scan starts at a
   * random slot (`random` in [0, 1)) so that peers spread over equally rare pieces.
   */
  find(
    accept: (piece: number) => boolean,
    random: () => number,
    maxKey = KEYS,
  ): number | undefined {
    // Stop once every indexed piece has been looked at: most keys are empty buckets.
    let unseen = this.count;
    for (let key = 0; key < Math.min(maxKey, KEYS) && unseen > 0; key++) {
      const bucket = this.buckets[key] as number[];
      const n = bucket.length;
      if (n === 0) continue;
      unseen -= n;
      const start = Math.floor(random() * n);
      for (let i = 0; i < n; i++) {
        const piece = bucket[(start + i) % n] as number;
        if (accept(piece)) return piece;
      }
    }
    return undefined;
  }

  get size(): number {
    return this.count;
  }
}
