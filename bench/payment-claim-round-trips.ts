// What a payment's first charge call costs before it is sent: the claim of its PaymentRequested
// and the call's start as one statement (what the payments store sends now for a payment never
// called) against the same work as two (the claim, then `startAttempt`: what it sends for a
// payment called before, and sent for every payment before). The payments store itself on a
// fresh migrated database, alternately in blocks on one connection, with node's CPU (this
// process) and the backend's CPU (/proc) per payment. CPU time, not wall time: on a shared
// machine both shapes share each moment's load.
//
//   npx tsx bench/payment-claim-round-trips.ts [--payments 2000] [--block 200]
//
// Engine: DATABASE_URL's server (`eval "$(scripts/services.sh env)"`), a fresh database dropped
// afterwards.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { newEvent, PaymentEventTypes } from "#kernel";
import { createPrismaClient, Prisma, queryDirect } from "#kernel/relational";
import { createPrismaPaymentStore } from "../subgraphs/payments/src/adapters/prisma-payment.store.js";
import { applyMigrations } from "../scripts/migrate/apply-migrations.js";
import { createScratchDatabase } from "./harness/scratch-database.js";
import { emptyTotals, measureBlock, perCall } from "./harness/block-cpu.js";

const { values: args } = parseArgs({ options: { payments: { type: "string", default: "2000" }, block: { type: "string", default: "200" } } });
const PAYMENTS = Number(args.payments);
const BLOCK = Number(args.block);

const scratch = await createScratchDatabase();
const url = scratch.url;
const prisma = createPrismaClient(url, { poolSize: 1 });
try {
  await applyMigrations(url);
  const store = createPrismaPaymentStore(prisma);
  const lease = { owner: "bench", ms: 60_000 };
  const { pid } = (await queryDirect<{ pid: number }>(prisma, Prisma.sql`SELECT pg_backend_pid() AS pid`))[0]!;

  /** What checkout writes: an order and its PENDING payment; `attempts` 1 for a payment called before. */
  async function placed(attempts: number) {
    const [paymentId, orderId, userId] = [`pay_${randomUUID().slice(0, 18)}`, `ord_${randomUUID().slice(0, 18)}`, `user-${randomUUID().slice(0, 8)}`];
    await queryDirect(prisma, Prisma.sql`
      WITH locator AS (INSERT INTO "OrderLocator" (id, "userId") VALUES (${orderId}, ${userId})),
      placed AS (
        INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
        VALUES (${orderId}, ${userId}, 'PENDING', 'USD', 2599, 2599, ${randomUUID()}, 'bench', 'res_bench', now(), now())
      )
      INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt")
      VALUES (${paymentId}, ${orderId}, ${userId}, 'PENDING', 2599, 'USD', ${attempts}, now(), now())`);
    return { paymentId, orderId, userId, amount: 2599, currency: "USD" };
  }
  const requested = (payment: Awaited<ReturnType<typeof placed>>) => newEvent(PaymentEventTypes.requested, payment.orderId, { ...payment });

  const shapes = {
    "claim, then the call's start (2 statements)": {
      attempts: 1,
      run: async (payment: Awaited<ReturnType<typeof placed>>) => {
        const claim = await store.claimForRequest("payments", requested(payment), payment, lease);
        if (claim.kind !== "claimed" || claim.firstCharge) throw new Error("expected a claim that starts no call");
        const attempt = await store.startAttempt({ id: payment.paymentId, userId: payment.userId, orderId: payment.orderId }, "CHARGE", lease);
        if (!attempt || attempt === "cancelled") throw new Error("expected a started call");
      },
    },
    "the claim starting the call (1 statement)": {
      attempts: 0,
      run: async (payment: Awaited<ReturnType<typeof placed>>) => {
        const claim = await store.claimForRequest("payments", requested(payment), payment, lease);
        if (claim.kind !== "claimed" || !claim.firstCharge || claim.firstCharge === "cancelled") throw new Error("expected a claim that starts the call");
      },
    },
  };
  const totals = new Map(Object.keys(shapes).map((shape) => [shape, emptyTotals()]));
  for (let done = 0; done < PAYMENTS; done += BLOCK) {
    for (const [shape, { attempts, run }] of Object.entries(shapes)) {
      const payments: Awaited<ReturnType<typeof placed>>[] = [];
      for (let i = 0; i < BLOCK; i++) payments.push(await placed(attempts));
      await measureBlock(totals.get(shape)!, pid, BLOCK, async () => {
        for (const payment of payments) await run(payment);
      });
    }
  }
  console.log(`${PAYMENTS} payments of each shape, alternating in blocks of ${BLOCK}, one connection on PostgreSQL`);
  for (const [shape, t] of totals) {
    console.log(perCall(shape, t, "payment"));
  }
} finally {
  await prisma.$disconnect();
  await scratch.drop();
}
