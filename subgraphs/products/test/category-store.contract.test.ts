import { randomUUID } from "node:crypto";
import { describeWithRealEngine } from "#kernel/testing";
import { EmbeddedCategoryStore } from "../src/adapters/embedded-category-store.js";
import { MongoCategoryStore } from "../src/adapters/mongo-category-store.js";
import { defineCategoryStoreContract } from "./category-store.contract.js";

defineCategoryStoreContract("embedded", async () => new EmbeddedCategoryStore());

describeWithRealEngine({ suite: "CategoryStore contract", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  defineCategoryStoreContract("mongodb", async () => {
    const store = await MongoCategoryStore.connect(url, { database: "storefront_test", collection: `categories_${randomUUID().replaceAll("-", "")}` });
    const close = store.close.bind(store);
    return Object.assign(store, {
      async close() {
        await store.drop();
        await close();
      },
    });
  });
});
