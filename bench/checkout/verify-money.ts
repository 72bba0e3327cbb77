import pg from "pg";
import type { Charge, Refund } from "../../services/payment-simulator/src/ledger.js";

export interface StockSnapshot {
  /** available + reserved per product: the units not yet sold. */
  unsold: Map<string, number>;
}

export async function stockSnapshot(databaseUrl: string): Promise<StockSnapshot> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ productId: string; unsold: number }>(`SELECT "productId", available + reserved AS unsold FROM "StockLevel"`);
    return { unsold: new Map(rows.map((r) => [r.productId, Number(r.unsold)])) };
  } finally {
    await client.end();
  }
}

export interface MoneyCheck {
  ok: boolean;
  lines: string[];
}

/**
 * The end-of-run audit: every unit that left stock belongs to a PAID order, nothing is still
 * held, every PAID order was captured exactly once, and no money is kept on an order that is
 * not PAID (captured minus refunded is zero there). Checked, not assumed.
 */
export async function verifyMoney(databaseUrl: string, before: StockSnapshot, ledger: { charges: Charge[]; refunds: Refund[] }): Promise<MoneyCheck> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const problems: string[] = [];
  try {
    const after = await stockSnapshot(databaseUrl);
    const sold = await client.query<{ productId: string; units: number }>(
      `SELECT i."productId", sum(i.quantity)::int AS units FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId" WHERE o.status IN ('PAID', 'SHIPPED', 'DELIVERED') GROUP BY i."productId"`,
    );
    const soldBy = new Map(sold.rows.map((r) => [r.productId, Number(r.units)]));
    let oversold = 0;
    for (const [productId, unsoldBefore] of before.unsold) {
      const left = after.unsold.get(productId) ?? 0;
      const paidUnits = soldBy.get(productId) ?? 0;
      if (unsoldBefore - left !== paidUnits) problems.push(`${productId}: ${unsoldBefore - left} units left stock, PAID orders hold ${paidUnits}`);
      if (left < 0) oversold += -left;
    }
    const { rows: held } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Reservation" WHERE status = 'HELD'`);
    if (held[0]!.n > 0) problems.push(`${held[0]!.n} reservations still HELD`);

    const orders = await client.query<{ id: string; status: string; total: number }>(`SELECT id, status::text, "totalAmount" AS total FROM "Order"`);
    const capturedBy = new Map<string, number>();
    const netBy = new Map<string, number>();
    const refundedByCharge = new Map<string, number>();
    for (const refund of ledger.refunds) refundedByCharge.set(refund.charge, (refundedByCharge.get(refund.charge) ?? 0) + refund.amount);
    for (const charge of ledger.charges) {
      const orderId = charge.metadata.orderId ?? "?";
      capturedBy.set(orderId, (capturedBy.get(orderId) ?? 0) + 1);
      netBy.set(orderId, (netBy.get(orderId) ?? 0) + charge.amount - (refundedByCharge.get(charge.id) ?? 0));
    }
    let paid = 0;
    let doubleCharged = 0;
    let kept = 0;
    for (const order of orders.rows) {
      const captures = capturedBy.get(order.id) ?? 0;
      if (order.status === "PAID") {
        paid += 1;
        if (captures !== 1) doubleCharged += captures > 1 ? 1 : 0;
        if (captures !== 1) problems.push(`PAID order ${order.id} has ${captures} captures`);
        if ((netBy.get(order.id) ?? 0) !== Number(order.total)) problems.push(`PAID order ${order.id} kept ${netBy.get(order.id)} for a total of ${order.total}`);
      } else if ((netBy.get(order.id) ?? 0) !== 0) {
        kept += 1;
        problems.push(`${order.status} order ${order.id} keeps ${netBy.get(order.id)}`);
      }
    }
    const lines = [
      `audit: ${orders.rows.length} orders, ${paid} PAID; oversold units ${oversold}; double charges ${doubleCharged}; money kept on unpaid orders ${kept}; stock conserved ${problems.length === 0 ? "yes" : "NO"}`,
      ...problems.slice(0, 10).map((p) => `  problem: ${p}`),
    ];
    return { ok: problems.length === 0, lines };
  } finally {
    await client.end();
  }
}
