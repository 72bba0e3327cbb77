// The accounts database silent (a hung server, a network path that lost the connections' state)
// or refusing: a sign-in must fail within the pool's bounds with an error clients are told to
// retry, and the store must serve again once the database answers, with no restart. Before,
// a statement on a silent connection waited for ever and kept its pooled connection, and a
// refused server was INTERNAL_SERVER_ERROR after the connector's 10 s.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import { createErrorFormatter, createLogger, ErrorCode } from "#kernel";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";
import { describeWithRealEngine, startCuttableProxy, waitFor, type CuttableProxy } from "#kernel/testing";
import { PrismaUserStore } from "../../src/adapters/prisma-user-store.js";
import { createMysqlTestDatabase } from "../support/mysql-test-database.js";

const BOUNDS = { connectMs: 2_000, answerMs: 3_000 };
/** Beyond a bound, what a loaded machine may add before the failure is seen; the old code waited for ever. */
const SLACK_MS = 5_000;
const POOL_SIZE = 2;

/** A connection the pool was opening when the database came back may fail once; then it serves. */
const servesAgain = (store: PrismaUserStore) =>
  waitFor("the store serves again", () => store.findCredentials("o@x.test").then((found) => found?.user.id === "usr_outage", () => false), { timeoutMs: 30_000, intervalMs: 100 });

/** What a failed call rejected with, and how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const startedAt = performance.now();
  const error = await call().then(
    () => assert.fail("the call succeeded with the database cut off"),
    (rejected: unknown) => rejected,
  );
  return { error, ms: performance.now() - startedAt };
}

function assertRetryable(error: unknown): void {
  assert.equal(isTransientInfrastructureError(error), true, String(error));
  const format = createErrorFormatter(createLogger("silent"));
  const wrapped = new GraphQLError("unexpected", { originalError: error as Error });
  assert.equal(format(wrapped.toJSON(), wrapped).extensions?.code, ErrorCode.SERVICE_UNAVAILABLE);
}

describeWithRealEngine({ suite: "the MySQL user store when its database goes silent or refuses", engine: "mysql", variable: "MYSQL_URL" }, (url) => {
  describe("the MySQL user store when its database goes silent or refuses", { timeout: 120_000 }, () => {
    let database: Awaited<ReturnType<typeof createMysqlTestDatabase>>;
    let proxy: CuttableProxy;
    let store: PrismaUserStore;
    before(async () => {
      database = await createMysqlTestDatabase(url);
      const target = new URL(database.url);
      proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 3306) });
      store = await PrismaUserStore.connect(proxy.via(database.url), { poolSize: POOL_SIZE, bounds: BOUNDS });
    });
    after(async () => {
      await store?.close().catch(() => undefined);
      await proxy?.close();
      await database?.drop();
    });

    it("fails a read on silent connections within the answer bound, retryable, and serves again on new connections without a restart", async () => {
      // Every pooled connection busy with a statement when the path goes silent for good: the
      // statements are held back a little by the proxy, then never delivered.
      await Promise.all(Array.from({ length: POOL_SIZE }, () => store.findCredentials("warm@x.test")));
      proxy.delay(300);
      const silenced = Array.from({ length: POOL_SIZE }, (_, i) => failure(() => store.findCredentials(`silent-${i}@x.test`)));
      proxy.strand();
      proxy.delay(0);
      for (const { error, ms } of await Promise.all(silenced)) {
        assert.ok(ms < BOUNDS.answerMs + SLACK_MS, `answered after ${Math.round(ms)} ms`);
        assertRetryable(error);
      }
      // The silent connections were given up, not kept: new ones (which the network passes) serve.
      assert.equal(await store.findCredentials("back@x.test"), null);
      await store.createUser({ id: "usr_outage", email: "o@x.test", emailKey: "o@x.test", name: "O", role: "customer", passwordHash: "scrypt$h", createdAt: new Date() });
      assert.equal((await store.findCredentials("o@x.test"))?.user.id, "usr_outage");
    });

    it("fails a read that meets a silent server within the bounds, retryable, and serves again once it answers", async () => {
      await proxy.stall();
      const { error, ms } = await failure(() => store.findCredentials("stalled@x.test"));
      assert.ok(ms < BOUNDS.connectMs + BOUNDS.answerMs + SLACK_MS, `answered after ${Math.round(ms)} ms`);
      assertRetryable(error);
      await proxy.pass();
      await servesAgain(store);
    });

    it("refuses within the connection bound when the server refuses connections, retryable", async () => {
      await proxy.refuse();
      try {
        // A connection pooled before the refusal is reset: the first call may meet that, the next waits for a new one.
        for (let i = 0; i < 2; i++) {
          const { error, ms } = await failure(() => store.findCredentials("refused@x.test"));
          assert.ok(ms < BOUNDS.connectMs + SLACK_MS, `answered after ${Math.round(ms)} ms`);
          assertRetryable(error);
        }
      } finally {
        await proxy.pass();
      }
      await servesAgain(store);
    });
  });
});
