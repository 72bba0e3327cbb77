/** One change of `incrementScores`: add `by` to `member`'s score in the sorted set `key`. */
export interface ScoreIncrement {
  key: string;
  member: string;
  by: number;
  /** Set when this call creates the sorted set, never on later increments (as `increment`). */
  ttlMs?: number;
}

/** A member of a sorted set with its score. */
export interface ScoredMember {
  member: string;
  score: number;
}

/**
 * The cache/locks/counters role. Every operation is atomic on its own; adapters must keep
 * that under concurrency (the contract suite checks it).
 */
export interface KeyValueStore {
  readonly engine: string;
  get(key: string): Promise<string | null>;
  getMany(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /** SET NX PX: true when this call created the key. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes only while the key still holds `expected` (lock release by its owner). */
  deleteIfEquals(key: string, expected: string): Promise<boolean>;
  /** Sets a new TTL only while the key still holds `expected` (a lock renewed by its owner); true when it did. */
  extendIfEquals(key: string, expected: string, ttlMs: number): Promise<boolean>;
  /**
   * Stores the integer `value` (with `ttlMs`) unless the key holds a larger integer already;
   * resolves what the key holds afterwards. Writers racing with different values leave the
   * largest whatever order they land in, where `set` would leave the last to arrive.
   */
  raiseTo(key: string, value: number, ttlMs: number): Promise<number>;
  /** Adds to an integer counter, creating it at 0; the TTL is set when it is created. */
  increment(key: string, by: number, ttlMs?: number): Promise<number>;
  /**
   * Applies every increment in one atomic step. With `once`, only the first call naming
   * `once.key` applies them (SET NX PX in the same step), so a consumer that is delivered an
   * event again counts it once, and no crash can leave the mark without the counts.
   * Resolves whether the increments were applied.
   */
  incrementScores(increments: readonly ScoreIncrement[], once?: { key: string; ttlMs: number }): Promise<boolean>;
  /**
   * The `count` members with the highest scores summed over the sorted sets `keys` (a missing
   * key is an empty set), highest first; equal scores come in descending member order, as
   * Redis' ZREVRANGE gives them.
   */
  topScores(keys: readonly string[], count: number): Promise<ScoredMember[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
