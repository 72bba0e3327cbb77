import { Journal } from "#kernel";
import { unitsOf, type Sale, type SaleLine, type SalesBatch, type SalesLedger } from "../ports/sales-ledger.js";

type LedgerRecord = { sale: { orderId: string; lines: SaleLine[]; batch: number } } | { state: { open: number | null; last: number } };

/** The sales ledger in memory (zero-setup mode), journaled in a directory when opened on one. */
export class EmbeddedSalesLedger implements SalesLedger {
  readonly engine = "embedded";
  private readonly sales = new Map<string, { lines: SaleLine[]; batch: number }>();
  private state = { open: null as number | null, last: 0 };
  private draining: Promise<unknown> = Promise.resolve();
  private journal?: Journal<LedgerRecord>;

  static async open(dir: string, options: { onWarning?: (message: string, detail: Record<string, unknown>) => void } = {}): Promise<EmbeddedSalesLedger> {
    const ledger = new EmbeddedSalesLedger();
    ledger.journal = await Journal.open<LedgerRecord>({
      dir,
      apply: (record) => {
        if ("sale" in record) ledger.sales.set(record.sale.orderId, { lines: record.sale.lines, batch: record.sale.batch });
        else ledger.state = { ...record.state };
      },
      snapshot: function* () {
        yield { state: { ...ledger.state } };
        for (const [orderId, sale] of ledger.sales) yield { sale: { orderId, ...sale } };
      },
      onWarning: options.onWarning,
    });
    return ledger;
  }

  async record(sales: readonly Sale[]) {
    const kept: { orderId: string; lines: SaleLine[]; batch: number }[] = [];
    for (const { orderId, lines } of sales) {
      if (this.sales.has(orderId)) continue;
      const sale = { lines: lines.map((line) => ({ ...line })), batch: 0 };
      this.sales.set(orderId, sale);
      kept.push({ orderId, ...sale });
    }
    if (kept.length) await this.journal?.append(kept.map((sale) => ({ sale })));
    return kept.map((sale) => sale.orderId);
  }

  drain(limit: number, apply: (batch: SalesBatch) => Promise<void>): Promise<number> {
    const run = this.draining.then(async () => {
      let batch = this.state.open;
      if (batch === null) {
        const waiting = [...this.sales].filter(([, sale]) => sale.batch === 0).slice(0, limit);
        if (waiting.length === 0) return 0;
        batch = this.state.last + 1;
        for (const [, sale] of waiting) sale.batch = batch;
        this.state = { open: batch, last: batch };
        await this.journal?.append([...waiting.map(([orderId, sale]) => ({ sale: { orderId, ...sale } })), { state: { ...this.state } }]);
      }
      const members = [...this.sales.values()].filter((sale) => sale.batch === batch);
      await apply({ batch, units: unitsOf(members.map((sale) => sale.lines)) });
      this.state = { ...this.state, open: null };
      await this.journal?.append([{ state: { ...this.state } }]);
      return members.length;
    });
    this.draining = run.catch(() => undefined);
    return run;
  }

  async close() {
    await this.journal?.close();
  }
}
