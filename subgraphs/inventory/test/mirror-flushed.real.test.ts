// The stock mirror's Redis database emptied under a flash sale (FLUSHDB by an operator, a
// failover to an empty replica on the same address) on a redis-server of the test's own, so
// the shared Redis is never flushed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Redis } from "ioredis";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { realRig } from "./support/inventory-rig.js";
import { assertMirrorAgrees, buy, range, reservationsByStatus, withStockedRig } from "./support/proof-helpers.js";

const HOT = "prod_flushed";

describeWithRealEngine({ suite: "Stock mirror flushed mid-sale", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => {
  describeWithRealEngine({ suite: "Stock mirror flushed mid-sale", engine: "redis", variable: "REDIS_URL" }, (redisUrl) => {
    describe("Stock never oversells when the mirror's database is emptied mid-sale [postgresql+redis]", { timeout: 120_000 }, () => {
      it("sells exactly 50 units to 1,000 buyers when FLUSHDB empties the mirror after 10 sales, on the same connection", () =>
        withStockedRig(realRig(redisUrl), { [HOT]: 50 }, { restartableCache: true }, async (rig) => {
          const client = (rig.cache as unknown as { client: Redis }).client;
          const session = rig.cache.session();
          let sold = 0;
          const buyers = range(1000).map(async (i) => {
            if (i >= 20) await waitFor("the mirror was emptied", () => flushed, { timeoutMs: 30_000 });
            const outcome = await buy(rig.service, `order-${i}`, [{ variantId: HOT, quantity: 1 }]);
            if (outcome.sold) sold += 1;
            return outcome;
          });
          let flushed = false;
          await waitFor("some units sold through the mirror", () => sold >= 10);
          await client.flushdb();
          flushed = true;
          const outcomes = await Promise.all(buyers);
          assert.equal(rig.cache.session(), session, "the connection was never lost: only the data");
          assert.equal(outcomes.filter((o) => o.sold).length, 50);
          assert.deepEqual([...new Set(outcomes.filter((o) => !o.sold).map((o) => (o as { code?: unknown }).code))], ["OUT_OF_STOCK"]);
          const levels = await assertMirrorAgrees(rig, [HOT]);
          assert.deepEqual(levels.get(HOT), { variantId: HOT, available: 0, reserved: 50 });
          assert.deepEqual(await reservationsByStatus(rig), { HELD: 50 });
        }));
    });
  });
});
