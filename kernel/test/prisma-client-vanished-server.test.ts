// A pooled connection whose server vanished without a reset (a failover to another host, a
// firewall or NAT that lost the connection's state) looks open: pg sends a statement on it and
// waits out the answer bound. pg-pool lent such connections one request at a time, so every
// pooled connection cost one request the whole bound. The proxy here strands the pool's open
// connections (nothing reaches either end, no reset) while new ones pass.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { DatabaseBounds } from "#kernel";
import { createPrismaClient, inDirectTransaction, Prisma, queryDirect, type PrismaClient } from "#kernel/relational";
import { describeWithRealEngine, startCuttableProxy, waitFor, type CuttableProxy } from "#kernel/testing";

/** The pool's answer bound: what a request on a dead connection waited before. */
const BOUNDS: DatabaseBounds = { connectMs: 2_000, statementMs: 5_000, answerMs: 8_000, idleInTransactionMs: 30_000 };
const POOL_SIZE = 4;
/** Well under the answer bound, well over the one second a dead connection costs now. */
const REQUEST_MAX_MS = 4_000;

describeWithRealEngine({ suite: "a pooled PostgreSQL connection whose server vanished", engine: "postgresql", variable: "DATABASE_URL" }, (databaseUrl) => {
  describe("a pooled PostgreSQL connection whose server vanished", { timeout: 120_000 }, () => {
    const target = new URL(databaseUrl);
    const opened: { proxy: CuttableProxy; prisma: PrismaClient }[] = [];
    after(async () => {
      for (const { proxy, prisma } of opened) {
        await proxy.close();
        await prisma.$disconnect().catch(() => undefined);
      }
    });

    /** A client through its own proxy, with POOL_SIZE connections open and idle. */
    async function warmedClient(): Promise<{ proxy: CuttableProxy; prisma: PrismaClient }> {
      const proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const prisma = createPrismaClient(proxy.via(databaseUrl), { poolSize: POOL_SIZE, bounds: BOUNDS });
      opened.push({ proxy, prisma });
      // Concurrent, so each holds a connection of its own.
      await Promise.all(Array.from({ length: POOL_SIZE }, () => queryDirect(prisma, Prisma.sql`SELECT pg_sleep(0.2)`)));
      return { proxy, prisma };
    }

    const requests: [string, (prisma: PrismaClient) => Promise<unknown>][] = [
      ["queryDirect", (prisma) => queryDirect(prisma, Prisma.sql`SELECT 1 AS n`)],
      ["Prisma", (prisma) => prisma.$queryRaw`SELECT 1 AS n`],
      ["a direct transaction", (prisma) => inDirectTransaction(prisma, (statement) => statement(Prisma.sql`SELECT 1 AS n`, { andCommit: true }))],
    ];

    /** Each request answered within REQUEST_MAX_MS; their times. */
    async function answeredPromptly(prisma: PrismaClient, rounds: number): Promise<number[]> {
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        for (const [name, request] of requests) {
          const startedAt = performance.now();
          await request(prisma);
          const ms = performance.now() - startedAt;
          times.push(Math.round(ms));
          assert.ok(ms < REQUEST_MAX_MS, `${name} (round ${round}) took ${Math.round(ms)} ms on a pool whose connections' server vanished`);
        }
      }
      return times;
    }

    it("idle connections whose server vanished are found before they are lent: no request waits out the answer bound", async () => {
      const { proxy, prisma } = await warmedClient();
      const idleFrom = performance.now();
      // Idle past the second after which a connection is asked before it is lent.
      await waitFor("the pool's connections are idle for over a second", () => performance.now() - idleFrom > 1_200, { timeoutMs: 5_000, intervalMs: 50 });
      proxy.strand();
      const startedAt = performance.now();
      const times = await answeredPromptly(prisma, 2);
      const totalMs = performance.now() - startedAt;
      assert.ok(totalMs < 2 * REQUEST_MAX_MS, `the pool recovered in ${Math.round(totalMs)} ms`);
      console.log(`# after the server vanished: requests answered in ${times.join(", ")} ms`);
    });

    it("a statement that meets a vanished server fails at its bound, and the pool's other connections are found dead at once, not one request each", async () => {
      const { proxy, prisma } = await warmedClient();
      // Just used, so lent on trust: the first statement waits out its bound, as one in flight would.
      proxy.strand();
      const failedAt = performance.now();
      await assert.rejects(queryDirect(prisma, Prisma.sql`SELECT 1 AS n`), /Query read timeout/);
      assert.ok(performance.now() - failedAt >= BOUNDS.answerMs - 500, "the first statement waited for its answer");
      const times = await answeredPromptly(prisma, 2);
      console.log(`# after the first statement met the vanished server: requests answered in ${times.join(", ")} ms`);
    });
  });
});
