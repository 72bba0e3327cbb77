import { Redis } from "ioredis";
import pg from "pg";
import type { RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";

/**
 * What the databases and the provider must agree on once a crash run has settled, read from
 * the engines themselves (not from what clients were told): each a sentence naming the order
 * or variant that breaks it, so an empty list is the pass.
 */

const FINAL_STATUSES = ["PAID", "PAYMENT_FAILED", "CANCELLED"];

/** Units per variant the ledger accounts for: on sale, held, sold (committed holds). */
export type StockTotals = Map<string, number>;

async function ledgerRows(client: pg.Client, productIds: readonly string[]) {
  const { rows } = await client.query<{ variantId: string; available: number; reserved: number; held: string; sold: string }>(
    `SELECT s."variantId", s.available, s.reserved,
            coalesce(sum(i.quantity) FILTER (WHERE r.status = 'HELD'), 0) AS held,
            coalesce(sum(i.quantity) FILTER (WHERE r.status = 'COMMITTED'), 0) AS sold
       FROM "StockLevel" s
       LEFT JOIN "ReservationItem" i ON i."variantId" = s."variantId"
       LEFT JOIN "Reservation" r ON r.id = i."reservationId"
      WHERE s."productId" = ANY($1::text[])
      GROUP BY s."variantId", s.available, s.reserved`,
    [productIds],
  );
  return rows.map((row) => ({ ...row, held: Number(row.held), sold: Number(row.sold) }));
}

/** Every variant's units before the run: what the ledger must still account for after it. */
export async function stockTotals(databaseUrl: string, productIds: readonly string[]): Promise<StockTotals> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return new Map((await ledgerRows(client, productIds)).map((row) => [row.variantId, row.available + row.reserved + row.sold]));
  } finally {
    await client.end();
  }
}

export interface MoneyPathAuditOptions {
  databaseUrl: string;
  redisUrl: string;
  provider: RunningPaymentSimulator;
  /** Orders clients were answered with: each must be final, its money and stock with it. */
  orderIds: readonly string[];
  /** Every shopper of the run: one order each at most, and none the clients were not told of. */
  userIds: readonly string[];
  productIds: readonly string[];
  initial: StockTotals;
  /** How long orders may take to become final and the mirror to agree with the ledger. */
  settleTimeoutMs: number;
}

export interface MoneyPathAudit {
  violations: string[];
  statuses: Record<string, number>;
  /** From the start of the audit until orders were final and the mirror agreed. */
  settledAfterMs: number;
}

export async function auditMoneyPath(options: MoneyPathAuditOptions): Promise<MoneyPathAudit> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  await redis.connect();
  const started = Date.now();
  const deadline = started + options.settleTimeoutMs;
  const pause = () => new Promise((resolve) => setTimeout(resolve, 250));
  try {
    type OrderRow = { id: string; userId: string; status: string; totalAmount: number; reservationStatus: string | null };
    const readOrders = async () =>
      (
        await client.query<OrderRow>(
          `SELECT o.id, o."userId", o.status::text AS status, o."totalAmount", r.status::text AS "reservationStatus"
             FROM "Order" o LEFT JOIN "Reservation" r ON r.id = o."reservationId"
            WHERE o."userId" = ANY($1::text[])`,
          [options.userIds],
        )
      ).rows;
    let orders = await readOrders();
    const settled = (rows: OrderRow[]) =>
      rows.every((row) => FINAL_STATUSES.includes(row.status) && row.reservationStatus !== "HELD") && options.orderIds.every((id) => rows.some((row) => row.id === id));
    while (!settled(orders) && Date.now() < deadline) {
      await pause();
      orders = await readOrders();
    }
    const violations: string[] = [];
    const byId = new Map(orders.map((row) => [row.id, row]));
    const told = new Set(options.orderIds);
    for (const id of told) if (!byId.has(id)) violations.push(`order ${id} a client was answered with is not in the database`);
    const perUser = new Map<string, number>();
    for (const row of orders) perUser.set(row.userId, (perUser.get(row.userId) ?? 0) + 1);
    for (const [userId, count] of perUser) if (count > 1) violations.push(`shopper ${userId} has ${count} orders for one checkout`);
    for (const row of orders) {
      if (!told.has(row.id)) violations.push(`order ${row.id} (${row.status}) exists though no client was answered with it`);
      if (!FINAL_STATUSES.includes(row.status)) violations.push(`order ${row.id} is still ${row.status}`);
      const { charges, refunds } = options.provider.ledger({ orderId: row.id });
      const net = charges.reduce((sum, charge) => sum + charge.amount, 0) - refunds.reduce((sum, refund) => sum + refund.amount, 0);
      if (row.status === "PAID") {
        if (charges.length !== 1) violations.push(`PAID order ${row.id} has ${charges.length} captures`);
        if (net !== row.totalAmount) violations.push(`PAID order ${row.id} of ${row.totalAmount} has ${net} captured net`);
        if (row.reservationStatus !== "COMMITTED") violations.push(`PAID order ${row.id}'s hold is ${row.reservationStatus}, not COMMITTED`);
      } else if (FINAL_STATUSES.includes(row.status)) {
        if (net !== 0) violations.push(`${row.status} order ${row.id} kept ${net} captured`);
        if (row.reservationStatus !== "RELEASED" && row.reservationStatus !== "EXPIRED") violations.push(`${row.status} order ${row.id}'s hold is ${row.reservationStatus}`);
      }
    }

    // Stock: every unit accounted for in the ledger, and the mirror counting what the ledger has.
    let mirrorWrong: string[] = [];
    let ledger = await ledgerRows(client, options.productIds);
    for (;;) {
      const counters = ledger.length === 0 ? [] : await redis.mget(...(await counterKeys(redis, ledger.map((row) => row.variantId))));
      mirrorWrong = ledger.flatMap((row, i) =>
        counters[i] !== null && Number(counters[i]) === row.available ? [] : [`the mirror counts ${counters[i] ?? "nothing"} of variant ${row.variantId} where the ledger has ${row.available}`],
      );
      if (mirrorWrong.length === 0 || Date.now() > deadline) break;
      await pause();
      ledger = await ledgerRows(client, options.productIds);
    }
    violations.push(...mirrorWrong);
    for (const row of ledger) {
      const total = row.available + row.reserved + row.sold;
      const before = options.initial.get(row.variantId);
      if (total !== before) violations.push(`variant ${row.variantId}: ${row.available} on sale + ${row.reserved} held + ${row.sold} sold = ${total}, was ${before}`);
      if (row.reserved !== row.held) violations.push(`variant ${row.variantId}: ${row.reserved} counted held, ${row.held} in live holds`);
    }
    const statuses: Record<string, number> = {};
    for (const row of orders) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    return { violations, statuses, settledAfterMs: Date.now() - started };
  } finally {
    await client.end();
    redis.disconnect();
  }
}

/** The mirror's counter key of each variant, whatever namespace the processes use. */
async function counterKeys(redis: Redis, variantIds: readonly string[]): Promise<string[]> {
  const found = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", "*stock:*", "COUNT", 1000);
    cursor = next;
    for (const key of keys) found.set(key.slice(key.lastIndexOf("stock:") + "stock:".length), key);
  } while (cursor !== "0");
  // A variant without a counter reads as null: a mirror left emptied, which the audit reports.
  return variantIds.map((id) => found.get(id) ?? `absent-counter:${id}`);
}
