import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createLockService, EmbeddedKeyValueStore } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { EmbeddedProductStore } from "../../src/adapters/embedded-product-store.js";
import { MongoProductStore } from "../../src/adapters/mongo-product-store.js";
import type { ProductStore } from "../../src/ports/product-store.js";
import { rejectsWith, startProductsApi, type ProductsApiRig } from "./products-api-rig.js";

const CREATE = `mutation($input: CreateProductInput!, $key: String) { createProduct(input: $input, idempotencyKey: $key) { id sku name price { amount } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`;
const COUNT = `query { products(first: 50) { totalCount } }`;

defineCreateKeySuite("embedded", async () => ({ store: new EmbeddedProductStore(), dispose: async () => {} }));

describeWithRealEngine({ suite: "createProduct idempotency key", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  const locks = createLockService(new EmbeddedKeyValueStore());
  defineCreateKeySuite("mongodb", async () => {
    const store = await MongoProductStore.connect(url, {
      database: "storefront_test",
      collection: `money5_create_key_${randomUUID().replaceAll("-", "")}`,
      lock: (id, work) => locks.withLock(`product:${id}`, work, { ttlMs: 5_000, waitMs: 10_000 }),
    });
    return { store, dispose: () => store.drop() };
  });
});

/** An admin's double click on "create product": with a key, one product and one answer. */
function defineCreateKeySuite(engine: string, open: () => Promise<{ store: ProductStore; dispose: () => Promise<unknown> }>) {
  describe(engineSuiteTitle("createProduct under an idempotency key", engine), { timeout: 60_000 }, () => {
    let rig: ProductsApiRig;
    let dispose: () => Promise<unknown>;
    let store: ProductStore;
    before(async () => {
      const opened = await open();
      dispose = opened.dispose;
      store = opened.store;
      rig = await startProductsApi({ store: opened.store });
    });
    after(async () => {
      await rig.close();
      await dispose();
    });
    const input = (sku: string) => ({ sku, name: "Kettle", description: "Boils water.", category: "kitchen", brand: "Steam Co", priceAmount: 2999 });
    const count = async () => (await rig.asAdmin<{ products: { totalCount: number } }>(COUNT)).products.totalCount;

    it("creates one product however many calls under one key race, answers each with it, and refuses the key for another SKU", async () => {
      const before = await count();
      const answers = await Promise.all(Array.from({ length: 8 }, () => rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("KETTLE-1"), key: "new-kettle" })));
      assert.equal(new Set(answers.map((a) => a.createProduct.id)).size, 1, "every call answered with one product");
      assert.equal(await count(), before + 1);
      const late = await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("KETTLE-1"), key: "new-kettle" });
      assert.equal(late.createProduct.id, answers[0]!.createProduct.id, "a retry after a lost answer gets the same product");
      await rejectsWith(rig.asAdmin(CREATE, { input: input("KETTLE-2"), key: "new-kettle" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(rig.asAdmin(CREATE, { input: input("KETTLE-3"), key: "" }), "BAD_USER_INPUT");
      // A hostile key (a NUL byte, past 200 characters) is refused before anything is made.
      await rejectsWith(rig.asAdmin(CREATE, { input: input("KETTLE-4"), key: "kettle\u0000again" }), "BAD_USER_INPUT");
      await rejectsWith(rig.asAdmin(CREATE, { input: input("KETTLE-5"), key: "k".repeat(201) }), "BAD_USER_INPUT");
      // Without a key the same request is answered with the product; the SKU asked for other terms stays CONFLICT.
      assert.equal((await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("KETTLE-1") })).createProduct.id, answers[0]!.createProduct.id);
      await rejectsWith(rig.asAdmin(CREATE, { input: { ...input("KETTLE-1"), priceAmount: 3999 } }), "CONFLICT");
      assert.equal(await count(), before + 1);
    });

    it("without a key the SKU is the product's key: the same request sent again or eight times at once is one product, answered to each; another request for the SKU is CONFLICT", async () => {
      const before = await count();
      const answers = await Promise.all(Array.from({ length: 8 }, () => rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("PAN-1") })));
      assert.equal(new Set(answers.map((a) => a.createProduct.id)).size, 1, "every call answered with one product");
      const late = await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("PAN-1") });
      assert.equal(late.createProduct.id, answers[0]!.createProduct.id, "a retry after a lost answer gets the same product");
      await rejectsWith(rig.asAdmin(CREATE, { input: { ...input("PAN-1"), name: "Wok" } }), "CONFLICT");
      assert.equal(await count(), before + 1);
    });

    it("answers a deletion sent again with the id removed, an id never had with NOT_FOUND, and a key whose product was deleted with NOT_FOUND, never making it again", async () => {
      const DELETE = `mutation($id: ID!) { deleteProduct(id: $id) }`;
      const before = await count();
      const { id } = (await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("TRAY-1"), key: "new-tray" })).createProduct;
      const deletions = await Promise.all([1, 2].map(() => rig.asAdmin<{ deleteProduct: string }>(DELETE, { id })));
      assert.deepEqual(deletions, [{ deleteProduct: id }, { deleteProduct: id }]);
      assert.deepEqual(await rig.asAdmin(DELETE, { id }), { deleteProduct: id }, "sent again after a lost answer");
      await rejectsWith(rig.asAdmin(DELETE, { id: "prod_never_had" }), "NOT_FOUND");
      await rejectsWith(rig.asAdmin(CREATE, { input: input("TRAY-1"), key: "new-tray" }), "NOT_FOUND");
      assert.equal(await count(), before);
    });

    it("keeps the SKUs of a product created by calls racing under one key taken: a variant SKU of it asked for by another product is CONFLICT", async () => {
      const tee = (sku: string) => ({
        ...input(sku),
        priceAmount: undefined,
        options: [{ name: "Size", values: ["S", "M"] }],
        variants: [
          { sku: `${sku}-S`, options: [{ name: "Size", value: "S" }], priceAmount: 1000 },
          { sku: `${sku}-M`, options: [{ name: "Size", value: "M" }], priceAmount: 1100 },
        ],
      });
      const answers = await Promise.all(Array.from({ length: 8 }, () => rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: tee("TEE-1"), key: "new-tee" })));
      assert.equal(new Set(answers.map((a) => a.createProduct.id)).size, 1);
      const before = await count();
      const thief = { ...tee("TEE-2"), variants: [{ sku: "TEE-1-M", options: [{ name: "Size", value: "S" }], priceAmount: 500 }] };
      await rejectsWith(rig.asAdmin(CREATE, { input: thief }), "CONFLICT");
      assert.equal(await count(), before);
    });

    it("refuses the key reused with the same SKU for another product (name, price, brand, currency) instead of answering the first", async () => {
      const before = await count();
      const first = await rig.asAdmin<{ createProduct: { id: string; name: string } }>(CREATE, { input: input("MUG-1"), key: "new-mug" });
      await rejectsWith(rig.asAdmin(CREATE, { input: { ...input("MUG-1"), name: "Teapot" }, key: "new-mug" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(rig.asAdmin(CREATE, { input: { ...input("MUG-1"), priceAmount: 1 }, key: "new-mug" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(rig.asAdmin(CREATE, { input: { ...input("MUG-1"), brand: "Other Co" }, key: "new-mug" }), "IDEMPOTENCY_CONFLICT");
      await rejectsWith(rig.asAdmin(CREATE, { input: { ...input("MUG-1"), currency: "EUR" }, key: "new-mug" }), "IDEMPOTENCY_CONFLICT");
      // The same request, its fields listed in another order and its text with stray spaces, is a retry.
      const { priceAmount, sku, ...rest } = input("MUG-1");
      const retry = await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: { priceAmount, ...rest, name: " Kettle ", sku }, key: "new-mug" });
      assert.equal(retry.createProduct.id, first.createProduct.id);
      // Edited since, the product is still the key's: a retry answers it as it is now.
      await rig.asAdmin(UPDATE, { id: first.createProduct.id, input: { name: "Kettle (renamed)" } });
      const late = await rig.asAdmin<{ createProduct: { id: string; name: string } }>(CREATE, { input: input("MUG-1"), key: "new-mug" });
      assert.deepEqual([late.createProduct.id, late.createProduct.name], [first.createProduct.id, "Kettle (renamed)"]);
      assert.equal(await count(), before + 1);
    });

    it("answers a product created before fingerprints were kept by its SKU, as before, and never creates it twice", async () => {
      const before = await count();
      const first = await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("JUG-1"), key: "old-jug" });
      // As the earlier release stored it: no fingerprint.
      await store.update(first.createProduct.id, { creationHash: undefined } as never, new Date());
      const retry = await rig.asAdmin<{ createProduct: { id: string } }>(CREATE, { input: input("JUG-1"), key: "old-jug" });
      assert.equal(retry.createProduct.id, first.createProduct.id);
      await rejectsWith(rig.asAdmin(CREATE, { input: input("JUG-2"), key: "old-jug" }), "IDEMPOTENCY_CONFLICT");
      assert.equal(await count(), before + 1);
    });
  });
}
