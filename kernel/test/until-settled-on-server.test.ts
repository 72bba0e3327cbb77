// After a failed order statement the checkout waits until the statement cannot still be running
// on the server before it reads whether the order was written. A statement that never left the
// process has nothing to wait for: with PostgreSQL refusing connections, checkouts waited the
// whole connect and statement bounds (15 s) and ran past the gateway's 10 s deadline
// (2 of 30 checkouts during a 10 s cut, chaos run against a fleet).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { createPrismaClient, Prisma, queryDirect, untilSettledOnServer } from "#kernel/relational";

const LONG = { connectMs: 30_000, statementMs: 60_000, answerMs: 60_000, idleInTransactionMs: 60_000 };

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Whether `waiting` settles before the event loop's next turn: it waited on no timer. */
const settlesAtOnce = (waiting: Promise<void>) => Promise.race([waiting.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);

describe("waiting for a failed statement to settle on the server", () => {
  const prisma = createPrismaClient("postgresql://nobody:nothing@127.0.0.1:1/none", { poolSize: 1, bounds: LONG });
  after(() => prisma.$disconnect());

  it("returns at once when the database refused the connection: the statement was never sent", async () => {
    const refused = createPrismaClient(`postgresql://nobody:nothing@127.0.0.1:${await closedPort()}/none`, { poolSize: 1, bounds: LONG });
    try {
      const sentAt = Date.now();
      const error = await queryDirect(refused, Prisma.sql`SELECT 1`).then(
        () => assert.fail("nothing listens there"),
        (failure: unknown) => failure,
      );
      assert.equal((error as { code?: string }).code, "ECONNREFUSED");
      assert.equal(await settlesAtOnce(untilSettledOnServer(refused, error, sentAt)), true);
    } finally {
      await refused.$disconnect();
    }
  });

  it("waits after a connection reset, for the statement may have reached the server", async () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    assert.equal(await settlesAtOnce(untilSettledOnServer(prisma, reset, Date.now())), false);
  });
});
