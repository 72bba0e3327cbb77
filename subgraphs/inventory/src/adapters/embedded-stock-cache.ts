import type { StockItem } from "../domain/stock.js";
import type { CacheReserveOutcome, StockCache } from "../ports/stock-cache.js";

/**
 * The stock mirror in memory, for the zero-setup mode and tests; the same semantics as the
 * Redis mirror (the contract suite runs against both). Each call runs to completion before
 * the next, as a Lua script does in Redis.
 *
 * It can also play the failures the service must survive: `down()` makes every call throw
 * (a stopped server), `up()` brings it back empty with a new session (restarted without
 * persistence), and `loseReplies` applies calls but throws anyway (a reply lost on the wire).
 */
export class EmbeddedStockCache implements StockCache {
  readonly engine = "embedded";
  private counters = new Map<string, number>();
  private marker: string | null = null;
  private sessionNumber = 1;
  private isDown = false;
  /** When set, every call is applied and then throws, as if its reply was lost. */
  loseReplies = false;

  session(): number {
    return this.sessionNumber;
  }

  async reserve(epoch: string, items: readonly StockItem[]): Promise<CacheReserveOutcome> {
    return this.call(() => {
      if (this.marker !== epoch) return { kind: "stale", epoch: this.marker };
      for (const { variantId, quantity } of items) {
        const available = this.counters.get(variantId);
        if (available === undefined) return { kind: "missing", variantId };
        if (available < quantity) return { kind: "short", variantId, available };
      }
      for (const { variantId, quantity } of items) this.counters.set(variantId, this.counters.get(variantId)! - quantity);
      return { kind: "reserved" };
    });
  }

  async adjust(epoch: string, deltas: readonly { variantId: string; delta: number }[]): Promise<boolean> {
    return this.call(() => {
      if (this.marker !== epoch) return false;
      for (const { variantId, delta } of deltas) {
        const current = this.counters.get(variantId);
        if (current !== undefined) this.counters.set(variantId, current + delta);
      }
      return true;
    });
  }

  async load(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<boolean> {
    return this.call(() => {
      if (this.marker !== epoch) return false;
      for (const { variantId, available } of levels) this.counters.set(variantId, available);
      return true;
    });
  }

  async read(variantIds: readonly string[]): Promise<{ epoch: string | null; available: (number | null)[] }> {
    return this.call(() => ({ epoch: this.marker, available: variantIds.map((id) => this.counters.get(id) ?? null) }));
  }

  async replace(epoch: string, levels: readonly { variantId: string; available: number }[]): Promise<void> {
    this.call(() => {
      this.marker = null;
      this.counters = new Map(levels.map(({ variantId, available }) => [variantId, available]));
      this.marker = epoch;
    });
  }

  /** Every call throws until `up()`, like a stopped server. */
  down(): void {
    this.isDown = true;
  }

  /** Back, empty, on a new session: a server restarted without persistence. */
  up(): void {
    this.counters = new Map();
    this.marker = null;
    this.sessionNumber += 1;
    this.isDown = false;
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  private call<T>(operation: () => T): T {
    if (this.isDown) throw new Error("The embedded stock cache is down");
    const result = operation();
    if (this.loseReplies) throw new Error("The embedded stock cache lost the reply");
    return result;
  }
}
