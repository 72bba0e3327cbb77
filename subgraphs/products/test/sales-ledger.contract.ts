import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { engineSuiteTitle } from "#kernel/testing";
import type { SaleLine, SalesBatch, SalesLedger } from "../src/ports/sales-ledger.js";

/** The guarantees of the `SalesLedger` port against one adapter; `create` returns an empty ledger per test. */
export function defineSalesLedgerContract(engine: string, create: () => Promise<SalesLedger>): void {
  describe(engineSuiteTitle("SalesLedger contract", engine), { timeout: 60_000 }, () => {
    let ledger: SalesLedger;
    beforeEach(async () => {
      ledger = await create();
    });
    afterEach(async () => {
      await ledger?.close();
    });

    const record = (orderId: string, lines: SaleLine[]) => ledger.record([{ orderId, lines }]);
    const drained = async (limit = 100) => {
      const batches: SalesBatch[] = [];
      await ledger.drain(limit, async (batch) => void batches.push(batch));
      return batches;
    };

    it("records an order once, a redelivery is refused, and a batch sums units per product", async () => {
      assert.deepEqual(await record("ord_1", [{ productId: "p1", quantity: 2 }, { productId: "p2", quantity: 1 }]), ["ord_1"]);
      assert.deepEqual(await record("ord_1", [{ productId: "p1", quantity: 2 }]), []);
      assert.deepEqual(await record("ord_2", [{ productId: "p1", quantity: 3 }]), ["ord_2"]);
      const [first, ...rest] = await drained();
      assert.deepEqual(rest, []);
      assert.deepEqual(first!.units, new Map([["p1", 5], ["p2", 1]]));
      assert.deepEqual(await drained(), [], "nothing waits once applied");
      assert.deepEqual(await record("ord_2", [{ productId: "p1", quantity: 3 }]), [], "still refused after its batch");
      await record("ord_3", [{ productId: "p3", quantity: 1 }]);
      const [next] = await drained();
      assert.ok(next!.batch > first!.batch);
      assert.deepEqual(next!.units, new Map([["p3", 1]]));
    });

    it("offers a batch whose application failed again, same number and units, before any new sale", async () => {
      await record("ord_a", [{ productId: "p1", quantity: 1 }]);
      let failed: SalesBatch | undefined;
      await assert.rejects(ledger.drain(100, async (batch) => {
        failed = batch;
        throw new Error("the process died here");
      }));
      await record("ord_b", [{ productId: "p2", quantity: 4 }]);
      const [again, next] = [...(await drained()), ...(await drained())];
      assert.deepEqual(again, failed);
      assert.deepEqual(next!.units, new Map([["p2", 4]]));
    });

    it("records many orders in one call, each once: those recorded before, or twice in the call, are left out", async () => {
      await record("ord_old", [{ productId: "p1", quantity: 1 }]);
      const kept = await ledger.record([
        { orderId: "ord_new1", lines: [{ productId: "p1", quantity: 2 }] },
        { orderId: "ord_old", lines: [{ productId: "p1", quantity: 1 }] },
        { orderId: "ord_new2", lines: [{ productId: "p2", quantity: 3 }] },
        { orderId: "ord_new1", lines: [{ productId: "p1", quantity: 2 }] },
      ]);
      assert.deepEqual(kept.sort(), ["ord_new1", "ord_new2"]);
      assert.deepEqual(await ledger.record([]), []);
      const [batch] = await drained();
      assert.deepEqual(batch!.units, new Map([["p1", 3], ["p2", 3]]));
    });

    it("takes at most `limit` orders a batch, and concurrent drains apply each order once", async () => {
      for (let i = 0; i < 25; i++) await record(`ord_${i}`, [{ productId: "hot", quantity: 1 }]);
      const applied: SalesBatch[] = [];
      const sizes = await Promise.all(Array.from({ length: 4 }, () => ledger.drain(10, async (batch) => void applied.push(batch))));
      while ((await ledger.drain(10, async (batch) => void applied.push(batch))) > 0);
      assert.ok(sizes.every((size) => size <= 10));
      assert.equal(applied.reduce((sum, batch) => sum + batch.units.get("hot")!, 0), 25);
      assert.equal(new Set(applied.map((batch) => batch.batch)).size, applied.length);
    });
  });
}
