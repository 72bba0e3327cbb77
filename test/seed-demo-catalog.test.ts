import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, DomainError, ErrorCode } from "#kernel";
import { seedDemoCatalog } from "../platform/seed-demo-catalog.js";
import { EmbeddedProductStore } from "../subgraphs/products/src/adapters/embedded-product-store.js";

const logger = createLogger("silent");
/** What the lock service answers when a lock stays taken past its wait. */
const conflict = (resource: string) => new DomainError(ErrorCode.CONFLICT, "The resource is busy; please retry", { resource });

/**
 * The demo seed lists each batch while the previous batch's stock events are applied to the
 * same listings; on a loaded machine a whole-catalog listing's lock can stay taken past one
 * wait (CONFLICT). A start once died on that: the seed now lists the batch again.
 */
describe("seeding the demo catalog while its listings are busy", () => {
  it("lists a batch again after CONFLICT answers, and every product is listed once", async () => {
    const listed: string[] = [];
    let refusals = 3;
    const seeded = await seedDemoCatalog({
      store: new EmbeddedProductStore(),
      count: 40,
      logger,
      list: async (products) => {
        if (refusals-- > 0) throw conflict("listing:PRICE|*");
        listed.push(...products.map((product) => product.id));
      },
    });
    assert.equal(seeded, 40);
    assert.equal(listed.length, 40);
    assert.equal(new Set(listed).size, 40);
  });

  it("gives up past its deadline, and at once on any other error", async () => {
    const busy = seedDemoCatalog({ store: new EmbeddedProductStore(), count: 10, logger, busyRetryMs: 300, list: async () => Promise.reject(conflict("listing:PRICE|*")) });
    await assert.rejects(busy, (error) => (error as { extensions?: { code?: string } }).extensions?.code === "CONFLICT");
    let calls = 0;
    const broken = seedDemoCatalog({
      store: new EmbeddedProductStore(),
      count: 10,
      logger,
      list: async () => {
        calls++;
        throw new Error("listing collection is gone");
      },
    });
    await assert.rejects(broken, /listing collection is gone/);
    assert.equal(calls, 1);
  });
});

describe("seeding the demo catalog", () => {
  it("announces each batch once it is written, so its change events need not wait for the relay's poll", async () => {
    const store = new EmbeddedProductStore();
    const pending: Promise<number>[] = [];
    await seedDemoCatalog({ store, count: 1_200, logger, announce: () => void pending.push(store.unpublishedChanges(5_000).then((changes) => changes.length)) });
    assert.deepEqual(await Promise.all(pending), [500, 1_000, 1_200]);
  });
});
