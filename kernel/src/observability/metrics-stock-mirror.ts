import { Counter, Gauge } from "prom-client";
import { metricsRegistry } from "./metrics-registry.js";

/**
 * What the inventory's stock mirror reports about itself (subgraphs/inventory's stock-mirror.ts):
 * trusted at `epoch`, or fenced off; reservations it admitted and bypassed; rebuilds it made and
 * mirrors it proved current and adopted instead of rebuilding; doubts.
 */
export interface StockMirrorState {
  trusted: boolean;
  epoch: string | null;
  admitted: number;
  bypassed: number;
  rebuilds: number;
  adopted: number;
  doubts: number;
}

interface WatchedMirror {
  status: () => StockMirrorState;
  engine: string;
}

const watched = new Set<WatchedMirror>();
/** Counts of mirrors no longer watched, so the totals never go down when one stops. */
const retired = { admitted: 0, bypassed: 0, rebuilds: 0, adopted: 0, doubts: 0 };

const total = (field: keyof typeof retired): number => [...watched].reduce((sum, mirror) => sum + mirror.status()[field], retired[field]);

function cumulative(name: string, help: string, field: keyof typeof retired) {
  return new Counter({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      this.reset();
      this.inc(total(field));
    },
  });
}

cumulative("storefront_stock_mirror_admissions_total", "Reservations the Redis stock mirror admitted before the ledger confirmed them (the fast path).", "admitted");
cumulative("storefront_stock_mirror_bypasses_total", "Reservations decided by the PostgreSQL ledger alone because the mirror was not trusted or lacked a counter.", "bypassed");
cumulative("storefront_stock_mirror_rebuilds_total", "Times the mirror was rebuilt from the ledger under a new epoch (a start or reconnect that could not prove it current, or a doubt).", "rebuilds");
cumulative(
  "storefront_stock_mirror_adoptions_total",
  "Times a process took up a mirror it proved current (complete on the server's current run, at the ledger's epoch, no admission left without its outcome) instead of rebuilding it: at its start, after a reconnect, or at the end of another process's rebuild.",
  "adopted",
);
cumulative("storefront_stock_mirror_doubts_total", "Mirror writes whose outcome was unknown; each one fences the mirror off until the next rebuild.", "doubts");

new Gauge({
  name: "storefront_stock_mirror_trusted",
  help: "1 while the stock mirror is trusted at its current epoch, 0 while it is fenced off (reservations then go to the ledger alone), by engine; absent without an inventory.",
  labelNames: ["engine"] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    const byEngine = new Map<string, boolean>();
    for (const mirror of watched) byEngine.set(mirror.engine, (byEngine.get(mirror.engine) ?? true) && mirror.status().trusted);
    for (const [engine, trusted] of byEngine) this.set({ engine }, trusted ? 1 : 0);
  },
});

new Gauge({
  name: "storefront_stock_mirror_info",
  help: "The mirror's engine and the epoch it is trusted at (none while fenced off); the value is always 1.",
  labelNames: ["engine", "epoch"] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const mirror of watched) {
      const { trusted, epoch } = mirror.status();
      this.set({ engine: mirror.engine, epoch: trusted && epoch ? epoch.slice(0, 40) : "none" }, 1);
    }
  },
});

/** Reports a stock mirror's state on every scrape until the returned function is called. */
export function watchStockMirror(status: () => StockMirrorState, engine: string): () => void {
  const mirror = { status, engine };
  watched.add(mirror);
  return () => {
    if (!watched.delete(mirror)) return;
    const last = status();
    for (const field of Object.keys(retired) as (keyof typeof retired)[]) retired[field] += last[field];
  };
}
