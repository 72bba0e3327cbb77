import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { after } from "node:test";
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
