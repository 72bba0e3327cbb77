import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, EmbeddedEventBus, InventoryEventTypes, newEvent, Topics, type StockChangedPayload } from "#kernel";
import { waitFor } from "#kernel/testing";
import { EmbeddedListingIndex } from "../src/adapters/embedded-listing-index.js";
import type { StockRecord } from "../src/ports/listing-index.js";
import { startStockFlags } from "../src/listing/listing-feeds.js";
import { listedProduct } from "./listing-index.contract.js";

/** An index counting the stock records that reach it. */
class CountingListingIndex extends EmbeddedListingIndex {
  recorded: StockRecord[] = [];
  override async recordStock(record: StockRecord) {
    this.recorded.push(record);
    return super.recordStock(record);
  }
}

let minute = 0;
const stockChanged = (productId: string, available: number, delta?: number) =>
  newEvent<StockChangedPayload>(
    InventoryEventTypes.stockChanged,
    productId,
    { variantId: productId, productId, available, ...(delta === undefined ? {} : { delta }) },
    new Date(Date.UTC(2026, 11, 4) + ++minute * 60_000),
  );

describe("in-stock flags from stock changes", () => {
  it("records only the changes that can flip a flag: to or from zero, creations, and events without a delta", async () => {
    const bus = new EmbeddedEventBus();
    const listings = new CountingListingIndex();
    const [shirt, mug] = [listedProduct(), listedProduct()];
    await listings.sync(new Map([[shirt.id, shirt], [mug.id, mug]]));
    const flags = await startStockFlags({ bus, listings, logger: createLogger("silent") });
    try {
      const inStock = async () => (await listings.list({ first: 10, sort: { field: "NEWEST", direction: "DESC" }, filter: { inStock: true } })).items.map((item) => item.id);
      const events = [
        stockChanged(shirt.id, 3, 3), // created with 3: recorded
        stockChanged(shirt.id, 2, -1), // a sale that leaves units: skipped
        stockChanged(shirt.id, 0, -2), // the last units sold: recorded
        stockChanged(shirt.id, 1, 1), // one returned: recorded
        stockChanged(shirt.id, 0, -1), // recorded
        stockChanged(shirt.id, 5, 5), // restocked: recorded
        stockChanged(shirt.id, 4, -1), // skipped
        stockChanged(shirt.id, 4), // from a build before deltas: recorded
        stockChanged(mug.id, 0, 0), // created with none: recorded
      ];
      await bus.publish(Topics.stockChanged, events);
      await waitFor("every flip is recorded", () => listings.recorded.length >= 7);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // In order per product (events are keyed by it); products are handled side by side.
      const flagsOf = (id: string) => listings.recorded.filter((record) => record.productId === id).map((record) => record.inStock);
      assert.deepEqual(flagsOf(shirt.id), [true, false, true, false, true, true]);
      assert.deepEqual(flagsOf(mug.id), [false]);
      assert.deepEqual(await inStock(), [shirt.id]);
      // Sold out by a change that crosses zero, whatever else came between.
      await bus.publish(Topics.stockChanged, [stockChanged(shirt.id, 3, -1), stockChanged(shirt.id, 0, -3)]);
      await waitFor("the sell-out is recorded", () => listings.recorded.length === 8);
      assert.deepEqual(await inStock(), []);
    } finally {
      await flags.stop();
      await bus.close();
    }
  });
});
