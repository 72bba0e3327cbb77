// A pooled MySQL/MariaDB connection ended by the server (KILL <id>: an operator, a failover, the
// server's wait_timeout) must cost the next request nothing noticeable: the connector hears the
// server's close, the pool drops the connection, and the request gets another. Measured here on
// MariaDB: 118 ms for the first request after every pooled connection was killed, then 3-46 ms.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine } from "#kernel/testing";
import { withMysqlConnection } from "../../../../prisma/accounts/migrator/connection.js";
import { PrismaUserStore } from "../../src/adapters/prisma-user-store.js";
import { createMysqlTestDatabase } from "../support/mysql-test-database.js";

/** Well under the answer bound (8 s here): a request that met a dead connection would wait it out. */
const FAST_MS = 2_000;

describeWithRealEngine({ suite: "the MySQL user store after the server killed its pooled connections", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  describe("the MySQL user store after the server killed its pooled connections", { timeout: 60_000 }, () => {
    let database: Awaited<ReturnType<typeof createMysqlTestDatabase>>;
    let store: PrismaUserStore;
    before(async () => {
      database = await createMysqlTestDatabase(url);
      store = await PrismaUserStore.connect(database.url, { poolSize: 4, bounds: { connectMs: 2_000, answerMs: 8_000 } });
    });
    after(async () => {
      await store?.close().catch(() => undefined);
      await database?.drop();
    });

    it("answers the next requests fast on new connections", async () => {
      await Promise.all(["a", "b", "c", "d"].map((name) => store.findCredentials(`${name}@x.test`)));
      const killed = await withMysqlConnection(url, async (connection) => {
        const rows = (await connection.query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", [database.name])) as { ID: bigint | number }[];
        for (const row of rows) await connection.query(`KILL ${Number(row.ID)}`);
        return rows.length;
      });
      assert.ok(killed >= 1, "the pool's connections were found and killed");
      for (let round = 0; round < 3; round++) {
        const startedAt = performance.now();
        await Promise.all([1, 2, 3, 4].map(() => store.findCredentials("a@x.test")));
        const ms = performance.now() - startedAt;
        assert.ok(ms < FAST_MS, `round ${round + 1} of four requests took ${Math.round(ms)} ms`);
      }
    });
  });
});
