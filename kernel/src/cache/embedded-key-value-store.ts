import type { KeyValueStore } from "./key-value-store.js";

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * In-memory store for the zero-setup mode. Node runs each call to completion before the
 * next, so every operation here is atomic without locks, as a Redis command is.
 */
export class EmbeddedKeyValueStore implements KeyValueStore {
  readonly engine = "embedded";
  private readonly entries = new Map<string, Entry>();
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
    this.entries.set(key, { value, expiresAt: ttlMs ? this.now() + ttlMs : Infinity });
  }

  async delete(...keys: string[]) {
    for (const key of keys) this.entries.delete(key);
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

  async increment(key: string, by: number, ttlMs?: number) {
    const current = this.read(key);
    if (current !== null && !/^-?\d+$/.test(current)) throw new Error(`Value at ${key} is not an integer`);
    const next = (current === null ? 0 : Number(current)) + by;
    const expiresAt = current === null ? (ttlMs ? this.now() + ttlMs : Infinity) : this.entries.get(key)!.expiresAt;
    this.entries.set(key, { value: String(next), expiresAt });
    return next;
  }

  async ping() {}

  async close() {
    clearInterval(this.sweeper);
    this.entries.clear();
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
  }
}
