import { Journal } from "../persistence/journal.js";
import { EmbeddedKeyValueStore } from "./embedded-key-value-store.js";
import type { KeyValueStore, ScoreIncrement } from "./key-value-store.js";

/** A kept key as it stands: its value (null once deleted) and when it expires (null: never). */
interface KeptKeyRecord {
  key: string;
  value: string | null;
  expiresAt: number | null;
}

/**
 * The embedded key-value store of a one-process platform, with the keys under `keptPrefixes`
 * journaled in a directory so that they outlive a restart, as they would in Redis.
 *
 * Everything else (rate limits, throttles, locks, caches) stays in memory only: those are short
 * windows nothing refers to. A kept key is a promise made to someone else (an ended session
 * must stay ended for as long as its tokens could be shown), so each write of one returns only
 * once it is on disk, and a key found expired at start is dropped. Sorted sets are never kept.
 */
export class JournaledKeyValueStore implements KeyValueStore {
  readonly engine = "embedded";
  private readonly kept = new Map<string, { value: string; expiresAt: number }>();
  private journal?: Journal<KeptKeyRecord>;

  private constructor(
    private readonly inner: EmbeddedKeyValueStore,
    private readonly keptPrefixes: readonly string[],
    private readonly now: () => number,
  ) {}

  /** A store whose kept keys are read from and written to `dir` (one process at a time). */
  static async open(
    dir: string,
    options: { keptPrefixes: readonly string[]; now?: () => number; onWarning?: (message: string, detail: Record<string, unknown>) => void },
  ): Promise<JournaledKeyValueStore> {
    const now = options.now ?? Date.now;
    const store = new JournaledKeyValueStore(new EmbeddedKeyValueStore(now), options.keptPrefixes, now);
    store.journal = await Journal.open<KeptKeyRecord>({
      dir,
      apply: (record) => store.restore(record),
      snapshot: () => store.liveRecords(),
      // Each kept key is written a few times at most: a small journal, compacted often.
      compactAfter: 10_000,
      onWarning: options.onWarning,
    });
    return store;
  }

  get(key: string) {
    return this.inner.get(key);
  }

  getMany(keys: string[]) {
    return this.inner.getMany(keys);
  }

  async set(key: string, value: string, ttlMs?: number) {
    await this.inner.set(key, value, ttlMs);
    await this.keep([key]);
  }

  async delete(...keys: string[]) {
    await this.inner.delete(...keys);
    await this.keep(keys);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    const created = await this.inner.setIfAbsent(key, value, ttlMs);
    if (created) await this.keep([key]);
    return created;
  }

  async deleteIfEquals(key: string, expected: string) {
    const deleted = await this.inner.deleteIfEquals(key, expected);
    if (deleted) await this.keep([key]);
    return deleted;
  }

  async extendIfEquals(key: string, expected: string, ttlMs: number) {
    const extended = await this.inner.extendIfEquals(key, expected, ttlMs);
    if (extended) await this.keep([key]);
    return extended;
  }

  async raiseTo(key: string, value: number, ttlMs: number) {
    const held = await this.inner.raiseTo(key, value, ttlMs);
    if (held === value) await this.keep([key]);
    return held;
  }

  async increment(key: string, by: number, ttlMs?: number) {
    const next = await this.inner.increment(key, by, ttlMs);
    await this.keep([key]);
    return next;
  }

  async incrementScores(increments: readonly ScoreIncrement[], once?: { key: string; ttlMs: number }) {
    const applied = await this.inner.incrementScores(increments, once);
    if (applied && once) await this.keep([once.key]);
    return applied;
  }

  topScores(keys: readonly string[], count: number) {
    return this.inner.topScores(keys, count);
  }

  ping() {
    return this.inner.ping();
  }

  async close() {
    await this.journal?.close();
    await this.inner.close();
  }

  private isKept(key: string): boolean {
    return this.keptPrefixes.some((prefix) => key.startsWith(prefix));
  }

  /** Journals the state of each kept key among `keys` as the store now holds it. */
  private async keep(keys: readonly string[]): Promise<void> {
    const records: KeptKeyRecord[] = [];
    for (const key of keys) {
      if (!this.isKept(key)) continue;
      const entry = this.inner.entry(key);
      if (entry) this.kept.set(key, entry);
      else this.kept.delete(key);
      records.push({ key, value: entry?.value ?? null, expiresAt: entry && Number.isFinite(entry.expiresAt) ? entry.expiresAt : null });
    }
    if (records.length) await this.journal?.append(records);
  }

  private restore(record: KeptKeyRecord): void {
    const expiresAt = record.expiresAt ?? Infinity;
    const ttlMs = expiresAt - this.now();
    if (record.value === null || ttlMs <= 0) {
      this.kept.delete(record.key);
      void this.inner.delete(record.key);
      return;
    }
    this.kept.set(record.key, { value: record.value, expiresAt });
    void this.inner.set(record.key, record.value, Number.isFinite(ttlMs) ? ttlMs : undefined);
  }

  private *liveRecords(): Iterable<KeptKeyRecord> {
    const now = this.now();
    for (const [key, { value, expiresAt }] of this.kept) {
      if (expiresAt <= now) {
        this.kept.delete(key);
        continue;
      }
      yield { key, value, expiresAt: Number.isFinite(expiresAt) ? expiresAt : null };
    }
  }
}
