// The accounts' MySQL/MariaDB pool after its server vanished without a reset (a failover to
// another host, a firewall or NAT that lost the connections' state): every idle connection looks
// open and is dead. The connector asks an idle connection whether it answers (a ping bounded at
// 250 ms) before lending it, one connection at a time, so a request met every dead connection
// of the pool in turn: 10 x 250 ms for a pool of 10. Once one is found dead, the others are
// asked at once, as the PostgreSQL pools do (probing-pool.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import type { Pool } from "mariadb";
import { describeWithRealEngine, startCuttableProxy, type CuttableProxy } from "#kernel/testing";
import { parseMysqlUrl } from "../../../../prisma/accounts/migrator/connection.js";
import { boundedMysqlPool } from "../../src/adapters/bounded-mysql-pool.js";
import { createMysqlTestDatabase } from "../support/mysql-test-database.js";

const POOL_SIZE = 24;
/** The connector's bound on a lending check (its pingTimeout), and how long a connection idles before it is checked (minDelayValidation). */
const PING_MS = 250;
const CHECKED_AFTER_IDLE_MS = 500;
/**
 * Half what checking the dead connections one at a time cannot go below (24 x 250 ms = 6 s,
 * whatever the machine's load): a request over it met them one by one.
 */
const ONE_AT_A_TIME_FLOOR_MS = POOL_SIZE * PING_MS;

describeWithRealEngine({ suite: "the bounded MySQL pool after its server vanished without a reset", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  describe("the bounded MySQL pool after its server vanished without a reset", { timeout: 120_000 }, () => {
    let database: Awaited<ReturnType<typeof createMysqlTestDatabase>>;
    let proxy: CuttableProxy;
    let pool: Pool;
    before(async () => {
      database = await createMysqlTestDatabase(url, { migrate: false });
      const target = new URL(database.url);
      proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 3306) });
      pool = boundedMysqlPool(parseMysqlUrl(proxy.via(database.url)), { connectionLimit: POOL_SIZE, bounds: { connectMs: 5_000, answerMs: 10_000 } });
    });
    after(async () => {
      await pool?.end().catch(() => undefined);
      await proxy?.close();
      await database?.drop();
    });

    it("answers the next request after finding one dead idle connection, the others checked at once rather than in turn", async () => {
      // Every connection of the pool opened and given back, then idle long enough to be checked before it is lent.
      const connections = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.getConnection()));
      await Promise.all(connections.map((connection) => connection.release()));
      assert.equal(pool.idleConnections(), POOL_SIZE);
      await delay(CHECKED_AFTER_IDLE_MS * 2);
      proxy.strand();

      const startedAt = performance.now();
      const [row] = (await pool.query("SELECT 1 AS one")) as { one: number }[];
      const ms = performance.now() - startedAt;
      console.log(`# the first request after the server vanished answered in ${Math.round(ms)} ms`);
      assert.equal(Number(row?.one), 1, "answered on a new connection");
      assert.ok(ms < ONE_AT_A_TIME_FLOOR_MS / 2, `answered after ${Math.round(ms)} ms; ${POOL_SIZE} dead connections checked in turn take at least ${ONE_AT_A_TIME_FLOOR_MS} ms`);

      // No dead connection is left to be lent: a burst of requests answers on live ones.
      const burst = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.query("SELECT 1 AS one") as Promise<{ one: number }[]>));
      assert.deepEqual(new Set(burst.map(([each]) => Number(each?.one))), new Set([1]));
    });
  });
});
