import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, EmbeddedEventBus, newEvent, OrderEventTypes, Topics, type OrderStatusChangedPayload } from "#kernel";
import { waitFor } from "#kernel/testing";
import { EmbeddedListingIndex } from "../src/adapters/embedded-listing-index.js";
import { EmbeddedSalesLedger } from "../src/adapters/embedded-sales-ledger.js";
import { startPopularityFeed } from "../src/listing/popularity-feed.js";
import { listedProduct } from "./listing-index.contract.js";

/** An index counting the popularity writes that reach each product. */
class CountingListingIndex extends EmbeddedListingIndex {
  writes = new Map<string, number>();
  override async addPopularity(batch: number, units: ReadonlyMap<string, number>) {
    for (const id of units.keys()) this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    return super.addPopularity(batch, units);
  }
}

const paid = (orderId: string, sold: OrderStatusChangedPayload["sold"]) =>
  newEvent<OrderStatusChangedPayload>(OrderEventTypes.statusChanged, orderId, { orderId, userId: "usr_1", from: "PENDING", to: "PAID", at: new Date().toISOString(), sold });

describe("popularity from paid orders", () => {
  it("turns a peak of 500 paid orders of a hot product into one write for it and a few ledger writes, counts redeliveries once, ignores other transitions", async () => {
    const bus = new EmbeddedEventBus();
    const listings = new CountingListingIndex();
    const ledger = new EmbeddedSalesLedger();
    let recorded = 0;
    const record = ledger.record.bind(ledger);
    let recordCalls = 0;
    ledger.record = async (sales) => {
      recordCalls += 1;
      const fresh = await record(sales);
      recorded += fresh.length;
      return fresh;
    };
    const [hot, other] = [listedProduct(), listedProduct()];
    await listings.sync(new Map([[hot.id, hot], [other.id, other]]));
    const feed = await startPopularityFeed({ bus, ledger, listings, logger: createLogger("silent"), flushMs: 60_000 });
    try {
      const orders = Array.from({ length: 500 }, (_, i) => paid(`ord_${i}`, [{ productId: hot.id, variantId: hot.id, quantity: 1 + (i % 2) }, ...(i % 50 === 0 ? [{ productId: other.id, variantId: other.id, quantity: 1 }] : [])]));
      await bus.publish(Topics.orderStatusChanged, orders);
      // Redelivered, and transitions that sold nothing.
      await bus.publish(Topics.orderStatusChanged, [...orders.slice(0, 100), newEvent<OrderStatusChangedPayload>(OrderEventTypes.statusChanged, "ord_x", { orderId: "ord_x", userId: "usr_1", from: "PAID", to: "SHIPPED", at: new Date().toISOString() })]);
      await waitFor("every order is recorded", () => recorded === 500);
      // The orders the bus hands over together are recorded in one write, not one each.
      assert.ok(recordCalls <= 60, `${recordCalls} ledger writes for 600 deliveries`);
      assert.equal(await feed.flush(), 500);
      assert.deepEqual(await listings.popularity([hot.id, other.id]), new Map([[hot.id, 750], [other.id, 10]]));
      assert.equal(listings.writes.get(hot.id), 1);
      const page = await listings.list({ first: 2, sort: { field: "POPULARITY", direction: "DESC" }, filter: {} });
      assert.deepEqual(page.items.map((item) => item.id), [hot.id, other.id]);
    } finally {
      await feed.stop();
      await bus.close();
    }
  });

  it("applies a sale recorded here at the next tick, and asks the ledger only once a sweep when idle, which applies sales another process left", async () => {
    const bus = new EmbeddedEventBus();
    const listings = new CountingListingIndex();
    const ledger = new EmbeddedSalesLedger();
    let drains = 0;
    const drain = ledger.drain.bind(ledger);
    ledger.drain = (...args) => {
      drains += 1;
      return drain(...args);
    };
    const [sold, leftBehind] = [listedProduct(), listedProduct()];
    await listings.sync(new Map([[sold.id, sold], [leftBehind.id, leftBehind]]));
    const feed = await startPopularityFeed({ bus, ledger, listings, logger: createLogger("silent"), flushMs: 20, idleSweepMs: 1_500 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.ok(drains <= 1, `${drains} drains in 400 idle ms at a 20 ms tick`);
      await bus.publish(Topics.orderStatusChanged, [paid("ord_here", [{ productId: sold.id, variantId: sold.id, quantity: 3 }])]);
      await waitFor("the sale recorded here is applied without a flush call", async () => (await listings.popularity([sold.id])).get(sold.id) === 3);
      // What a process that stopped before its flush leaves in the shared ledger.
      await ledger.record([{ orderId: "ord_elsewhere", lines: [{ productId: leftBehind.id, quantity: 2 }] }]);
      await waitFor("the idle sweep applies it", async () => (await listings.popularity([leftBehind.id])).get(leftBehind.id) === 2, { timeoutMs: 10_000 });
    } finally {
      await feed.stop();
      await bus.close();
    }
  });

  it("announces the products a batch changed, and repeats batch and announcement when announcing fails, counting the units once", async () => {
    const bus = new EmbeddedEventBus();
    const listings = new CountingListingIndex();
    const ledger = new EmbeddedSalesLedger();
    let recorded = 0;
    const record = ledger.record.bind(ledger);
    let recordCalls = 0;
    ledger.record = async (sales) => {
      recordCalls += 1;
      const fresh = await record(sales);
      recorded += fresh.length;
      return fresh;
    };
    const [sold, unsold] = [listedProduct(), listedProduct()];
    await listings.sync(new Map([[sold.id, sold], [unsold.id, unsold]]));
    const announced: string[][] = [];
    let failures = 1;
    const announce = async (ids: readonly string[]) => {
      announced.push([...ids]);
      if (failures-- > 0) throw new Error("bus down");
    };
    const feed = await startPopularityFeed({ bus, ledger, listings, logger: createLogger("silent"), flushMs: 60_000, announce });
    try {
      await bus.publish(Topics.orderStatusChanged, [paid("ord_a", [{ productId: sold.id, variantId: sold.id, quantity: 3 }])]);
      await waitFor("the order is recorded", () => recorded === 1);
      await assert.rejects(feed.flush(), /bus down/);
      // The failed batch is offered again: the units are not counted twice and the announcement is repeated.
      assert.equal(await feed.flush(), 1);
      assert.deepEqual(announced, [[sold.id], [sold.id]]);
      assert.deepEqual(await listings.popularity([sold.id, unsold.id]), new Map([[sold.id, 3]]));
      assert.equal(await feed.flush(), 0);
      assert.equal(announced.length, 2, "nothing more to announce");
    } finally {
      await feed.stop();
      await bus.close();
    }
  });
});
