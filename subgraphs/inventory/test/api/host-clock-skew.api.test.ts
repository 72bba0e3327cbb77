import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import pg from "pg";
import { createLogger, loadConfig, openPlatform, type Platform } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { createTestDatabase, type DatabaseEngine } from "../../../../test/support/test-database.js";
import { startInventorySubgraph, type RunningInventory } from "../../src/inventory-subgraph.js";
import { EmbeddedStockCache } from "../../src/adapters/embedded-stock-cache.js";
import { waitUntilTrusted } from "../support/proof-helpers.js";

const MINUTE = 60_000;
const TTL = 15 * MINUTE;
/** The host's true time, read past any mock of Date. */
const trueNow = Date.now.bind(Date);

/**
 * Runs `work` while this process's host clock reads `offsetMs` off the truth, as a replica's
 * would with a broken NTP or a clock set by hand (the database's keeps the truth).
 */
async function withHostClockOff<T>(offsetMs: number, work: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ["Date"], now: trueNow() + offsetMs });
  try {
    return await work();
  } finally {
    mock.timers.reset();
  }
}

function defineClockSkewProofs(engine: DatabaseEngine): void {
  describe(`an inventory replica whose host clock is off (${engine} PostgreSQL)`, () => {
    let drop: () => Promise<void>;
    let platform: Platform;
    let inventory: RunningInventory;
    let databaseUrl: string;
    /** Moves a hold's expiry a second into the database's past, as time passing would. */
    const pastItsTime = async (reservationId: string) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`UPDATE "Reservation" SET "expiresAt" = (clock_timestamp() AT TIME ZONE 'UTC') - interval '1 second' WHERE id = $1`, [reservationId]);
      } finally {
        await client.end();
      }
    };
    const variant = "prod_clock";

    before(async () => {
      const db = await createTestDatabase(engine);
      drop = db.drop;
      databaseUrl = db.url;
      // The sweeper's own timer stays out of the way: each proof sweeps by hand, as it would.
      const config = loadConfig({ APP_ENV: "test", DATABASE_URL: db.url, RESERVATION_TTL_MS: String(TTL), RESERVATION_SWEEP_INTERVAL_MS: String(60 * MINUTE) });
      platform = await openPlatform(config, createLogger("silent"));
      inventory = await startInventorySubgraph(platform, { port: 0, cache: new EmbeddedStockCache() });
      await inventory.service.seedStock([{ variantId: variant, stock: 10 }]);
      await waitUntilTrusted(inventory.service);
    });
    after(async () => {
      mock.timers.reset();
      await inventory?.close();
      await platform?.close();
      await drop?.();
    });

    it("sweeping with a host clock 20 minutes ahead expires no hold taken a moment ago", async () => {
      await inventory.service.reserve("hold-before-ahead", [{ variantId: variant, quantity: 2 }]);
      const expired = await withHostClockOff(20 * MINUTE, () => inventory.service.expireDue(100));
      assert.equal(expired, 0, "a 15-minute hold expired a moment after it was taken");
      assert.equal((await inventory.service.reservation("hold-before-ahead"))?.status, "HELD");
    });

    it("a hold taken with a host clock 20 minutes behind lasts its 15 minutes for every sweeper", async () => {
      const taken = await withHostClockOff(-20 * MINUTE, () => inventory.service.reserve("hold-from-behind", [{ variantId: variant, quantity: 3 }]));
      const lastsMs = taken.expiresAt.getTime() - trueNow();
      assert.ok(lastsMs > TTL - MINUTE && lastsMs <= TTL + MINUTE, `the hold lasts ${Math.round(lastsMs / 1000)} s, not its 900 s`);
      assert.equal(await inventory.service.expireDue(100), 0, "an honest sweeper expired it at once");
      assert.equal((await inventory.service.reservation("hold-from-behind"))?.status, "HELD");
    });

    it("a hold past its time by the database's clock is still expired by a sweep", async () => {
      await inventory.service.reserve("hold-past", [{ variantId: variant, quantity: 1 }]);
      await pastItsTime("hold-past");
      assert.ok((await inventory.service.expireDue(100)) >= 1);
      assert.equal((await inventory.service.reservation("hold-past"))?.status, "EXPIRED");
    });
  });
}

defineClockSkewProofs("embedded");
describeWithRealEngine({ suite: "Inventory under host clock skew", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => defineClockSkewProofs("real"));
