/**
 * A memo of what a caller may shape (operation texts, their parses, the JSON written from
 * them), bounded by the number of entries and by their total weight, whatever unit the caller
 * weighs in (characters, usually). Past either bound the oldest entries go first: the oldest
 * inserted, or with `refreshOnRead` the least recently read. An entry heavier than the whole
 * bound is not kept at all, so one huge entry never empties the memo of everything else.
 * A count alone bounds nothing here: a caller's texts can be of any length.
 */
export class WeighedMemo<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private held = 0;

  constructor(private readonly bounds: { weight: number; entries?: number; refreshOnRead?: boolean }) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.bounds.refreshOnRead) {
      // Most recently read last: the map's order is the order of going.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Keeps `value` under `key` (replacing what was there); false when it weighs more than the whole bound and is not kept. */
  set(key: K, value: V, weight: number): boolean {
    this.delete(key);
    if (weight > this.bounds.weight) return false;
    this.entries.set(key, { value, weight });
    this.held += weight;
    const most = this.bounds.entries ?? Number.POSITIVE_INFINITY;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= most && this.held <= this.bounds.weight) break;
      this.entries.delete(oldest);
      this.held -= entry.weight;
    }
    return true;
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.held -= entry.weight;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The weight of what is kept. */
  get weight(): number {
    return this.held;
  }
}
