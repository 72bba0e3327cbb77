import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createPrismaClient, inDirectTransaction, Prisma, queryDirect, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, hasDatabase, type DatabaseEngine } from "../../test/support/test-database.js";

function defineDirectTransactionSuite(engine: DatabaseEngine): void {
  describe(`a transaction on the pool's own connection [${engine === "real" ? "postgresql" : "embedded-postgres"}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let prisma: PrismaClient;
    // One connection: every call below takes the one the previous call gave back, or a new one.
    const backend = async () => (await queryDirect<{ pid: number }>(prisma, Prisma.sql`SELECT pg_backend_pid() AS pid`))[0]!.pid;
    const rows = async () => (await queryDirect<{ id: number }>(prisma, Prisma.sql`SELECT id FROM direct_probe ORDER BY id`)).map((row) => row.id);

    before(async () => {
      database = await createTestDatabase(engine);
      prisma = createPrismaClient(database.url, { poolSize: 1 });
      await queryDirect(prisma, Prisma.sql`CREATE TABLE direct_probe (id int PRIMARY KEY)`);
    });
    after(async () => {
      await prisma.$disconnect();
      await database.drop();
    });

    it("commits what its statements wrote and gives the connection back", async () => {
      const pid = await backend();
      const answer = await inDirectTransaction(prisma, async (statement) => {
        await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${1})`);
        return statement<{ id: number }>(Prisma.sql`SELECT id FROM direct_probe WHERE id = ${1}`);
      });
      assert.deepEqual(answer, [{ id: 1 }]);
      assert.deepEqual([await rows(), await backend()], [[1], pid]);
    });

    it("rolls back when the work throws, a statement's failure included, and gives the connection back out of any transaction", async () => {
      const pid = await backend();
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${2})`);
          throw new Error("the decision refused");
        }),
        /the decision refused/,
      );
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${3})`);
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${1})`);
        }),
        (error) => (error as { code?: string }).code === "23505",
      );
      assert.deepEqual([await rows(), await backend()], [[1], pid], "nothing written, the same connection, usable");
    });

    it("closes a connection whose transaction's end the server did not confirm", async () => {
      const pid = await backend();
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${4})`);
          await statement(Prisma.sql`SELECT pg_terminate_backend(pg_backend_pid())`);
        }),
      );
      const next = await backend();
      assert.notEqual(next, pid, "a new connection");
      assert.deepEqual(await rows(), [1]);
    });
  });
}

defineDirectTransactionSuite("embedded");
if (hasDatabase("real")) defineDirectTransactionSuite("real");
