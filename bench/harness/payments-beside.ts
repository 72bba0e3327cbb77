import { randomUUID } from "node:crypto";
import type pg from "pg";

/**
 * 50,000 placed orders and their settled payments of 5,000 customers (with a charge attempt
 * each), analysed: a fresh database the planner judges as it would a store with customers, for
 * the benches that measure one statement of the payment's path.
 */
export async function fillWithPaidOrders(client: pg.Client): Promise<void> {
  await client.query(`INSERT INTO "OrderLocator" (id, "userId") SELECT 'o' || g, 'u' || (g % 5000) FROM generate_series(1, 50000) g`);
  await client.query(`
    INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
    SELECT 'o' || g, 'u' || (g % 5000), CASE WHEN g % 7 = 0 THEN 'CANCELLED'::"OrderStatus" ELSE 'PAID'::"OrderStatus" END, 'USD', 100, 100, 'k' || g, 'bench', 'res_bench', now(), now()
    FROM generate_series(1, 50000) g`);
  await client.query(`
    INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt")
    SELECT 'p' || g, 'o' || g, 'u' || (g % 5000), 'SUCCEEDED', 100, 'USD', 1, now(), now() FROM generate_series(1, 50000) g`);
  await client.query(`INSERT INTO "PaymentAttempt" ("paymentId", "userId", kind, number, "startedAt") SELECT 'p' || g, 'u' || (g % 5000), 'CHARGE', 1, now() FROM generate_series(1, 50000) g`);
  await client.query(`ANALYZE`);
}

export interface PlacedPayment {
  paymentId: string;
  orderId: string;
  userId: string;
}

/** What checkout writes: an order and its PENDING payment, never called. */
export async function placePendingPayment(client: pg.Client): Promise<PlacedPayment> {
  const [paymentId, orderId, userId] = [`pay_${randomUUID().slice(0, 18)}`, `ord_${randomUUID().slice(0, 18)}`, `user-${randomUUID().slice(0, 8)}`];
  await client.query(
    `WITH locator AS (INSERT INTO "OrderLocator" (id, "userId") VALUES ($1, $2)),
    placed AS (
      INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
      VALUES ($1, $2, 'PENDING', 'USD', 2599, 2599, $4, 'bench', 'res_bench', now(), now())
    )
    INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt")
    VALUES ($3, $1, $2, 'PENDING', 2599, 'USD', 0, now(), now())`,
    [orderId, userId, paymentId, randomUUID()],
  );
  return { paymentId, orderId, userId };
}
