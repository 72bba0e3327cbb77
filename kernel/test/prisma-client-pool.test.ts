import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createPrismaClient, Prisma, queryDirect, type PrismaClient } from "#kernel/relational";
import { waitFor } from "#kernel/testing";
import { createTestDatabase } from "../../test/support/test-database.js";

/**
 * The relational client every subgraph holds: its pg pool must neither outlive $disconnect nor
 * take the process down when the server ends one of its idle connections (a restart, a
 * failover, a dropped database: pg reports these as an 'error' on the pool).
 */
describe("the Prisma client's pg pool", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  const name = () => new URL(database.url).pathname.slice(1);
  const connectionsTo = async () => Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1", [name()])).rows[0]!.n);

  before(async () => {
    database = await createTestDatabase("embedded");
    admin = new pg.Client({ connectionString: database.url.replace(/\/[^/]+$/, "/postgres") });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await database.drop();
  });

  it("closes every connection on $disconnect, also when only queryDirect used it", async () => {
    const prisma: PrismaClient = createPrismaClient(database.url, { poolSize: 3 });
    await Promise.all([1, 2, 3].map((n) => queryDirect(prisma, Prisma.sql`SELECT ${n}::int AS n`)));
    assert.ok((await connectionsTo()) >= 1);
    await prisma.$disconnect();
    // A backend leaves pg_stat_activity a moment after its client said goodbye; a pool left
    // open would keep its connections for good.
    await waitFor("every connection of the pool is gone", async () => (await connectionsTo()) === 0, { timeoutMs: 5_000 });
    await prisma.$disconnect();
  });

  it("survives the server ending its idle connections, and answers again on new ones", async () => {
    const prisma = createPrismaClient(database.url, { poolSize: 2 });
    try {
      await queryDirect(prisma, Prisma.sql`SELECT 1 AS n`);
      await prisma.order.count();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name()]);
      // Give the pool the error events; an unheard one would have failed this test already.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [row] = await queryDirect<{ n: number }>(prisma, Prisma.sql`SELECT 2::int AS n`);
      assert.equal(row!.n, 2);
    } finally {
      await prisma.$disconnect();
    }
  });

  it("refuses every statement after $disconnect, and opens no connection for it", async () => {
    // Prisma reconnects on the next query after $disconnect, and its adapter opened a pool of
    // its own for it that nothing ever closed: work that outlived its owner's close (an event
    // handler still running) wrote through it, and a test's dropped database ended it mid-way.
    const prisma = createPrismaClient(database.url, { poolSize: 2 });
    await prisma.order.count();
    await prisma.$disconnect();
    await waitFor("the pool's connections are gone", async () => (await connectionsTo()) === 0, { timeoutMs: 5_000 });
    await assert.rejects(prisma.order.count(), /pool/i);
    await assert.rejects(
      prisma.$transaction(async (tx) => tx.order.count()),
      /pool/i,
    );
    await assert.rejects(queryDirect(prisma, Prisma.sql`SELECT 1 AS n`), /pool/i);
    assert.equal(await connectionsTo(), 0, "a connection was opened after $disconnect");
  });
});
