// The stock mirror's Redis restarted from a snapshot taken at the ledger's current epoch (an
// RDB or AOF restore after a crash, a replica promoted before it caught up): the marker names
// the current epoch, the counters lack every write made after the snapshot. On a redis-server
// of the test's own, so the shared Redis is never restarted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Redis } from "ioredis";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { realRig } from "./support/inventory-rig.js";
import { buy, range, waitUntilTrusted, withStockedRig } from "./support/proof-helpers.js";

const HOT = "prod_restored";

describeWithRealEngine({ suite: "Stock mirror restored from a snapshot", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => {
  describeWithRealEngine({ suite: "Stock mirror restored from a snapshot", engine: "redis", variable: "REDIS_URL" }, (redisUrl) => {
    describe("A mirror restored from a snapshot of the current epoch is rebuilt, never adopted [postgresql+redis]", { timeout: 90_000 }, () => {
      it("rebuilds at a start after the server restored counters that miss the sales and give-backs made since its snapshot", () =>
        withStockedRig(realRig(redisUrl), { [HOT]: 10 }, { restartableCache: "with-snapshots" }, async (rig) => {
          const client = (rig.cache as unknown as { client: Redis }).client;
          for (const i of range(4)) await rig.service.reserve(`before-${i}`, [{ variantId: HOT, quantity: 1 }]);
          const epoch = rig.service.mirror.status().epoch;
          await client.save();
          // After the snapshot: one more sale, and three holds given back (the restored counter
          // would keep 2 units off sale).
          await rig.service.reserve("after", [{ variantId: HOT, quantity: 1 }]);
          for (const i of range(3)) await rig.service.release(`before-${i}`);
          await rig.service.mirror.stop();
          await rig.cacheDown();
          await rig.cacheUp();
          await waitFor("the connection is back", () => client.status === "ready");
          const restored = await rig.cache.read([HOT]);
          assert.deepEqual([restored.epoch, restored.available], [epoch, [6]], "the snapshot's marker (the current epoch) over its stale counter");
          assert.equal(await rig.ledger.currentEpoch(), epoch);

          const next = await rig.anotherProcess();
          await waitUntilTrusted(next);
          assert.deepEqual([next.mirror.status().rebuilds, next.mirror.status().adopted], [1, 0], "rebuilt, not adopted");
          assert.deepEqual((await rig.cache.read([HOT])).available, [8]);
          const outcomes = await Promise.all(range(10).map((i) => buy(next, `restarted-${i}`, [{ variantId: HOT, quantity: 1 }])));
          assert.equal(outcomes.filter((o) => o.sold).length, 8, "the ledger's 8 units, no more");
          assert.deepEqual((await rig.ledger.levels([HOT])).get(HOT), { variantId: HOT, available: 0, reserved: 10 });
          assert.deepEqual((await rig.cache.read([HOT])).available, [0]);
        }));

      it("adopts at a start after a reconnection to the same server run, the mirror untouched", () =>
        withStockedRig(realRig(redisUrl), { [HOT]: 10 }, { restartableCache: "with-snapshots" }, async (rig) => {
          await rig.service.reserve("before", [{ variantId: HOT, quantity: 3 }]);
          const epoch = rig.service.mirror.status().epoch;
          // A snapshot written but never loaded: the server's run goes on.
          await (rig.cache as unknown as { client: Redis }).client.save();
          await rig.service.mirror.stop();
          const next = await rig.anotherProcess();
          await waitUntilTrusted(next);
          assert.deepEqual([next.mirror.status().rebuilds, next.mirror.status().adopted, next.mirror.status().epoch], [0, 1, epoch]);
          const outcomes = await Promise.all(range(9).map((i) => buy(next, `restarted-${i}`, [{ variantId: HOT, quantity: 1 }])));
          assert.equal(outcomes.filter((o) => o.sold).length, 7);
          assert.deepEqual((await rig.cache.read([HOT])).available, [0]);
        }));
    });
  });
});
