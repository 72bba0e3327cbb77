import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { after, it } from "node:test";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedSalesLedger } from "../src/adapters/embedded-sales-ledger.js";
import { mongoSalesLedger } from "../src/adapters/mongo-sales-ledger.js";
import { defineSalesLedgerContract } from "./sales-ledger.contract.js";

defineSalesLedgerContract("embedded", async () => new EmbeddedSalesLedger());

const locks = createLockService(new EmbeddedKeyValueStore());

describeWithRealEngine({ suite: "SalesLedger contract", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: 8 });
  after(() => client.close());
  defineSalesLedgerContract("mongodb", async () => {
    const ledger = mongoSalesLedger(client.db("storefront_test"), `sales_${randomUUID().replaceAll("-", "")}`, {
      lock: (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 20_000 }),
      maxTimeMS: 5_000,
    });
    await ledger.ensureIndexes();
    return Object.assign(ledger, { close: () => ledger.drop() });
  });
});

describeWithRealEngine({ suite: "SalesLedger round trips", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  // Every command the ledger sends, counted: FerretDB's cost is per round trip.
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: 8, monitorCommands: true });
  const commands: string[] = [];
  client.on("commandStarted", (event) => commands.push(event.commandName));
  after(() => client.close());

  it("records the orders handed over together in one insert, and opens, marks, reads and closes a batch of 60 in a constant number of commands", async () => {
    const ledger = mongoSalesLedger(client.db("storefront_test"), `sales_${randomUUID().replaceAll("-", "")}`, {
      lock: (resource, work) => locks.withLock(resource, work, { ttlMs: 10_000, waitMs: 20_000 }),
      maxTimeMS: 5_000,
    });
    await ledger.ensureIndexes();
    try {
      commands.length = 0;
      const kept = await ledger.record(Array.from({ length: 60 }, (_, i) => ({ orderId: `ord_${i}`, lines: [{ productId: `p${i % 3}`, quantity: 1 }] })));
      assert.equal(kept.length, 60);
      assert.deepEqual(commands, ["insert"]);
      commands.length = 0;
      let units: Map<string, number> | undefined;
      assert.equal(await ledger.drain(100, async (batch) => void (units = batch.units)), 60);
      assert.deepEqual(units, new Map([["p0", 20], ["p1", 20], ["p2", 20]]));
      assert.ok(commands.length <= 8, `${commands.length} commands to apply a batch of 60: ${commands.join(", ")}`);
    } finally {
      await ledger.drop();
    }
  });
});
