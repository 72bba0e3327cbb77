// The driver checked every connection pool every 100 ms; a pool with no minimum and no idle
// limit now checks every 10 s, one with either keeps the driver's period, and reads still work.
import { it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { setTimeout as delay } from "node:timers/promises";
import { MongoClient } from "mongodb";
import { describeWithRealEngine } from "#kernel/testing";
import { IDLE_POOL_CHECK_MS, slowIdlePoolChecks } from "../src/adapters/mongo-idle-pool-check.ts";

slowIdlePoolChecks();

type Pool = { options: { minPoolSizeCheckFrequencyMS: number }; ensureMinPoolSize(): void };
const PoolClass = (createRequire(import.meta.url)("mongodb/lib/cmap/connection_pool.js") as { ConnectionPool: { prototype: Pool } }).ConnectionPool;

/** How many pool checks ran while `during` did, and the periods the pools ended with. */
async function checks(during: () => Promise<void>): Promise<{ calls: number; periods: number[] }> {
  const ensure = PoolClass.prototype.ensureMinPoolSize;
  let calls = 0;
  const periods = new Set<number>();
  PoolClass.prototype.ensureMinPoolSize = function (this: Pool) {
    calls += 1;
    ensure.call(this);
    periods.add(this.options.minPoolSizeCheckFrequencyMS);
  };
  try {
    await during();
  } finally {
    PoolClass.prototype.ensureMinPoolSize = ensure;
  }
  return { calls, periods: [...periods] };
}

describeWithRealEngine({ suite: "MongoDB pool checks of an idle process", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  it("a pool with no minimum and no idle limit checks itself every 10 s, not every 100 ms", { timeout: 30_000 }, async () => {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: 2 });
    try {
      await client.db().command({ ping: 1 });
      const { calls, periods } = await checks(() => delay(600));
      // The driver's own period made about six checks here.
      assert.ok(calls <= 1, `${calls} checks in 600 ms`);
      if (calls) assert.deepEqual(periods, [IDLE_POOL_CHECK_MS]);
      assert.deepEqual(await client.db().command({ ping: 1 }), { ok: 1 });
    } finally {
      await client.close();
    }
  });

  it("a pool kept at a minimum size keeps the driver's period, so it is topped up as before", { timeout: 30_000 }, async () => {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: 2, minPoolSize: 1 });
    try {
      await client.db().command({ ping: 1 });
      const { calls, periods } = await checks(() => delay(600));
      assert.ok(calls >= 3, `${calls} checks in 600 ms`);
      assert.deepEqual(periods, [100]);
    } finally {
      await client.close();
    }
  });
});
