import type { KeyValueStore, ScoreIncrement, ScoredMember } from "./key-value-store.js";

interface Entry {
  value: string;
  expiresAt: number;
}

interface SortedSet {
  scores: Map<string, number>;
  expiresAt: number;
}

/**
 * In-memory store for the zero-setup mode. Node runs each call to completion before the
 * next, so every operation here is atomic without locks, as a Redis command is.
 */
export class EmbeddedKeyValueStore implements KeyValueStore {
  readonly engine = "embedded";
  private readonly entries = new Map<string, Entry>();
  /** Sorted sets live apart from strings, as Redis keeps types apart; keys share one namespace. */
  private readonly sets = new Map<string, SortedSet>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  async get(key: string) {
    return this.read(key);
  }

  async getMany(keys: string[]) {
    return keys.map((key) => this.read(key));
  }

  async set(key: string, value: string, ttlMs?: number) {
    this.sets.delete(key);
    this.entries.set(key, { value, expiresAt: ttlMs ? this.now() + ttlMs : Infinity });
  }

  async delete(...keys: string[]) {
    for (const key of keys) {
      this.entries.delete(key);
      this.sets.delete(key);
    }
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.read(key) !== null) return false;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    return true;
  }

  async deleteIfEquals(key: string, expected: string) {
    if (this.read(key) !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async extendIfEquals(key: string, expected: string, ttlMs: number) {
    if (this.read(key) !== expected) return false;
    this.entries.set(key, { value: expected, expiresAt: this.now() + ttlMs });
    return true;
  }

  async raiseTo(key: string, value: number, ttlMs: number) {
    const current = Number(this.read(key) ?? NaN);
    if (current >= value) return current;
    this.sets.delete(key);
    this.entries.set(key, { value: String(value), expiresAt: this.now() + ttlMs });
    return value;
  }

  async increment(key: string, by: number, ttlMs?: number) {
    const current = this.read(key);
    if (current !== null && !/^-?\d+$/.test(current)) throw new Error(`Value at ${key} is not an integer`);
    const next = (current === null ? 0 : Number(current)) + by;
    const expiresAt = current === null ? (ttlMs ? this.now() + ttlMs : Infinity) : this.entries.get(key)!.expiresAt;
    this.entries.set(key, { value: String(next), expiresAt });
    return next;
  }

  async incrementScores(increments: readonly ScoreIncrement[], once?: { key: string; ttlMs: number }) {
    for (const { key } of increments) if (this.read(key) !== null) throw new Error(`Value at ${key} is not a sorted set`);
    if (once && !(await this.setIfAbsent(once.key, "1", once.ttlMs))) return false;
    for (const { key, member, by, ttlMs } of increments) {
      let set = this.readSet(key);
      if (!set) {
        set = { scores: new Map(), expiresAt: ttlMs ? this.now() + ttlMs : Infinity };
        this.sets.set(key, set);
      }
      set.scores.set(member, (set.scores.get(member) ?? 0) + by);
    }
    return true;
  }

  async topScores(keys: readonly string[], count: number): Promise<ScoredMember[]> {
    if (count <= 0) return [];
    const sums = new Map<string, number>();
    for (const key of new Set(keys)) {
      for (const [member, score] of this.readSet(key)?.scores ?? []) sums.set(member, (sums.get(member) ?? 0) + score);
    }
    return [...sums]
      .map(([member, score]) => ({ member, score }))
      .sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : a.member > b.member ? -1 : 0))
      .slice(0, count);
  }

  /** A live string entry as it stands, with its expiry (Infinity: none), for a journal to copy. */
  entry(key: string): { value: string; expiresAt: number } | null {
    const value = this.read(key);
    return value === null ? null : { value, expiresAt: this.entries.get(key)!.expiresAt };
  }

  async ping() {}

  async close() {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.sets.clear();
  }

  private readSet(key: string): SortedSet | undefined {
    const set = this.sets.get(key);
    if (!set) return undefined;
    if (set.expiresAt <= this.now()) {
      this.sets.delete(key);
      return undefined;
    }
    return set;
  }

  private read(key: string): string | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  private sweep() {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const [key, set] of this.sets) if (set.expiresAt <= now) this.sets.delete(key);
  }
}
