import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { newEvent, PaymentEventTypes } from "#kernel";
import { createPrismaClient, preparedStatementsOf, Prisma, queryDirect, type PrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { createTestDatabase } from "../../../../test/support/test-database.js";
import { createPrismaPaymentStore } from "../../src/adapters/prisma-payment.store.js";

/**
 * The payment's claim and settlement (every checkout's payment runs both) are prepared once per
 * connection with one generic plan: PostgreSQL neither parses nor plans them again, call after
 * call, on a replaced connection or after a migration changed their tables; and the setting
 * that makes their plan generic reaches no other statement of the client.
 */
describe("the payment's claim and settlement as prepared statements with one generic plan", { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  let prisma: PrismaClient;
  const lease = { owner: "generic-plans", ms: 60_000 };

  before(async () => {
    database = await createTestDatabase("embedded");
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // One connection a pool: the prepared statements read back are those of every call.
    prisma = createPrismaClient(database.url, { poolSize: 1 });
  });
  after(async () => {
    await prisma?.$disconnect();
    await admin?.end();
    await database?.drop();
  });

  /** An order and its PENDING payment, as checkout places them. */
  async function placed() {
    const [paymentId, orderId, userId] = [`pay_${randomUUID()}`, `ord_${randomUUID()}`, `user_${randomUUID()}`];
    await admin.query(
      `WITH locator AS (INSERT INTO "OrderLocator" (id, "userId") VALUES ($1, $2)),
      placed AS (
        INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "subtotalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
        VALUES ($1, $2, 'PENDING', 'USD', 2599, 2599, $4, 'test', 'res_test', now(), now())
      )
      INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt")
      VALUES ($3, $1, $2, 'PENDING', 2599, 'USD', 0, now(), now())`,
      [orderId, userId, paymentId, randomUUID()],
    );
    return { paymentId, orderId, userId };
  }

  /** A checkout's payment through the store: the claim starting its charge call, then its settlement. */
  async function paid() {
    const store = createPrismaPaymentStore(prisma);
    const payment = await placed();
    const claim = await store.claimForRequest("payments", newEvent(PaymentEventTypes.requested, payment.orderId, payment), payment, lease);
    assert.ok(claim.kind === "claimed" && typeof claim.firstCharge === "object", `the claim started the charge call: ${JSON.stringify(claim)}`);
    const settled = await store.settleCharge(
      { id: payment.paymentId, userId: payment.userId },
      lease,
      { status: "SUCCEEDED", providerRef: `ref_${payment.paymentId}` },
      newEvent(PaymentEventTypes.confirmed, payment.orderId, { paymentId: payment.paymentId }),
      { number: claim.firstCharge.number, outcome: "SUCCEEDED", detail: "ok" },
    );
    assert.equal(settled?.status, "SUCCEEDED");
  }

  const claimAndSettlement = async () => {
    const statements = await preparedStatementsOf(prisma);
    const claim = statements.find((s) => s.statement.includes('"ProcessedEvent"') && s.statement.includes('UPDATE "Payment" SET "leaseOwner"'));
    const settlement = statements.find((s) => s.statement.includes('UPDATE "Payment" SET status'));
    return { statements, claim, settlement };
  };

  it("prepares each once per connection and plans it generically on every call, never with its values", async () => {
    // Past the five calls after which PostgreSQL's default mode may settle on a generic plan by itself.
    for (let i = 0; i < 7; i++) await paid();
    const { statements, claim, settlement } = await claimAndSettlement();
    assert.ok(claim, `the claim is a prepared statement: ${JSON.stringify(statements.map((s) => s.statement.slice(0, 80)))}`);
    assert.ok(settlement, "the settlement is a prepared statement");
    for (const statement of [claim, settlement]) {
      assert.equal(statement.customPlans, 0, "never planned for its values");
      assert.equal(statement.genericPlans, 7, "one generic plan, used for every call");
    }
  });

  it("leaves every other statement of the client planned with its values (the setting stays on the prepared statements' connections)", async () => {
    await paid();
    const [direct] = await queryDirect<{ mode: string }>(prisma, Prisma.sql`SELECT current_setting('plan_cache_mode') AS mode`);
    const [viaPrisma] = await prisma.$queryRaw<{ mode: string }[]>`SELECT current_setting('plan_cache_mode') AS mode`;
    assert.equal(direct!.mode, "auto");
    assert.equal(viaPrisma!.mode, "auto");
    assert.deepEqual([...new Set((await preparedStatementsOf(prisma)).map((s) => s.planCacheMode))], ["force_generic_plan"]);
  });

  it("prepares them again on a connection that replaced one the server ended", async () => {
    await paid();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    // The pool hears its idle connections end and replaces them on the next call.
    await waitFor("the pool's connections are gone", async () => Number((await admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows[0].n) === 0, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await paid();
    await paid();
    const { claim, settlement } = await claimAndSettlement();
    assert.equal(claim?.genericPlans, 2);
    assert.equal(settlement?.genericPlans, 2);
  });

  it("answers after a migration changed the columns its prepared statements return", async () => {
    await paid();
    // A rolling deploy's migration while the old processes run: their prepared statements'
    // `*` now names one more column, which PostgreSQL refuses to return from the plan it kept.
    await admin.query(`ALTER TABLE "Payment" ADD COLUMN "addedByMigration" integer`);
    try {
      await paid();
      await paid();
    } finally {
      await admin.query(`ALTER TABLE "Payment" DROP COLUMN "addedByMigration"`);
    }
  });
});
