/** Units of one product a paid order sold. */
export interface SaleLine {
  productId: string;
  quantity: number;
}

/** A paid order's lines, as recorded once. */
export interface Sale {
  orderId: string;
  lines: readonly SaleLine[];
}

/** Sales gathered into one popularity batch: units per product. Batch numbers only grow. */
export interface SalesBatch {
  batch: number;
  units: Map<string, number>;
}

/**
 * The paid orders popularity has been told about, so a redelivered order counts once, and
 * the batches they are applied in. Guarantees:
 * - `record` keeps each order's lines once: an order recorded before (or twice in one call)
 *   is left out of what it returns; many orders recorded together cost about what one does;
 * - `drain` applies at most one batch at a time across every process sharing the ledger: the
 *   batch a crash left open is offered again first (its number unchanged, so `apply` can skip
 *   what it already did), then a new one of sales not batched yet.
 */
export interface SalesLedger {
  readonly engine: string;
  /** Records the sales; returns the order ids kept now (not those recorded before). */
  record(sales: readonly Sale[]): Promise<string[]>;
  /** Applies the next batch (of up to `limit` orders) with `apply`; returns its size, 0 when none waited. */
  drain(limit: number, apply: (batch: SalesBatch) => Promise<void>): Promise<number>;
  close(): Promise<void>;
}

/** Units per product over some sales. */
export function unitsOf(sales: readonly (readonly SaleLine[])[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const lines of sales) for (const { productId, quantity } of lines) units.set(productId, (units.get(productId) ?? 0) + quantity);
  return units;
}
