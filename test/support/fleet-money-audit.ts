import pg from "pg";
import type { FleetLoadReport } from "./fleet-client-load.js";

const FINAL = ["PAID", "PAYMENT_FAILED", "CANCELLED"];

export interface FleetAudit {
  accepted: number;
  /** Accepted orders still not PAID, PAYMENT_FAILED or CANCELLED when the audit gave up. */
  notFinal: { orderId: string; status: string }[];
  statuses: Record<string, number>;
  /** Shoppers with more than one order: a retried checkout that made a second order. */
  duplicateOrders: number;
  /** Orders with more than one captured charge at the provider. */
  doubleCharged: number;
  /** PAID orders without a captured charge. */
  paidWithoutCharge: number;
  /** Orders made for checkouts whose client gave up: the shopper sees an order it was told failed. */
  ordersOfFailedCheckouts: number;
  /** From the end of the load until every accepted order was final. */
  settledAfterMs: number;
}

/**
 * What the money path must show after a failover run: every accepted order final, one order
 * per shopper however often its checkout was retried, at most one capture per order at the
 * provider (its ledger, over HTTP) and one for every PAID order.
 */
export async function auditFleetOrders(options: { databaseUrl: string; ledgerUrl: string; report: FleetLoadReport; settleTimeoutMs: number }): Promise<FleetAudit> {
  const { report } = options;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const ids = report.accepted.map((order) => order.orderId);
    const loadEnded = Date.now();
    const deadline = loadEnded + options.settleTimeoutMs;
    let rows: { id: string; status: string }[] = [];
    for (;;) {
      rows = (await client.query<{ id: string; status: string }>(`SELECT id, status::text AS status FROM "Order" WHERE id = ANY($1::text[])`, [ids])).rows;
      if (rows.every((row) => FINAL.includes(row.status)) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const settledAfterMs = Date.now() - loadEnded;
    const statuses: Record<string, number> = {};
    for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    const users = [...report.accepted.map((order) => order.userId), ...report.failedCheckouts.map((failed) => failed.userId)];
    const perUser = (await client.query<{ userId: string; n: string }>(`SELECT "userId", count(*) AS n FROM "Order" WHERE "userId" = ANY($1::text[]) GROUP BY "userId"`, [users])).rows;
    const failedUsers = new Set(report.failedCheckouts.map((failed) => failed.userId));
    const ledger = (await (await fetch(`${options.ledgerUrl}/ledger`)).json()) as { charges: { metadata: Record<string, string> }[] };
    const charges = new Map<string, number>();
    for (const charge of ledger.charges) charges.set(charge.metadata.orderId!, (charges.get(charge.metadata.orderId!) ?? 0) + 1);
    return {
      accepted: ids.length,
      notFinal: rows.filter((row) => !FINAL.includes(row.status)).map((row) => ({ orderId: row.id, status: row.status })),
      statuses,
      duplicateOrders: perUser.filter((row) => Number(row.n) > 1).length,
      doubleCharged: ids.filter((id) => (charges.get(id) ?? 0) > 1).length,
      paidWithoutCharge: rows.filter((row) => row.status === "PAID" && !charges.has(row.id)).length,
      ordersOfFailedCheckouts: perUser.filter((row) => failedUsers.has(row.userId)).length,
      settledAfterMs,
    };
  } finally {
    await client.end();
  }
}
