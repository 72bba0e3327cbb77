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
  /** Adds to an integer counter, creating it at 0; the TTL is set when it is created. */
  increment(key: string, by: number, ttlMs?: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
