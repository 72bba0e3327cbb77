import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { randomUUID } from "node:crypto";
import { createLockService, EmbeddedKeyValueStore, Topics, type DomainEvent } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { EmbeddedProductStore } from "../../src/adapters/embedded-product-store.js";
import { MongoProductStore } from "../../src/adapters/mongo-product-store.js";
import type { ProductStore } from "../../src/ports/product-store.js";
import type { Product, ProductChangeEvent } from "../../src/domain/product.js";
import { admin, rejectsWith, shopper, startProductsApi, type ProductsApiRig } from "./products-api-rig.js";

const VARIANT_FIELDS = "id sku title options { name value } price { amount currency } images { url alt } product { id }";
const PRODUCT_FIELDS = `id sku price { amount currency } priceRange { min { amount } max { amount } } options { name values } variants { ${VARIANT_FIELDS} }`;

interface VariantView {
  id: string;
  sku: string;
  title: string;
  options: { name: string; value: string }[];
  price: { amount: number; currency: string };
  images: { url: string; alt: string }[];
  product: { id: string };
}
interface ProductView {
  id: string;
  sku: string;
  price: { amount: number; currency: string };
  priceRange: { min: { amount: number }; max: { amount: number } };
  options: { name: string; values: string[] }[];
  variants: VariantView[];
}

let serial = 0;
const nextSku = (stem = "TEE") => `${stem}-${process.pid}-${++serial}`;

function teeInput(sku = nextSku()) {
  return {
    sku,
    name: "Organic Cotton Tee",
    description: "A plain tee.",
    category: "fashion",
    brand: "Threadwell",
    options: [
      { name: "Size", values: ["S", "M", "L"] },
      { name: "Colour", values: ["Red", "Blue"] },
    ],
    variants: [
      { sku: `${sku}-S-RED`, options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Red" }], priceAmount: 1500, images: [{ url: "products/tee/red.jpg", alt: "Red tee" }] },
      { sku: `${sku}-M-RED`, options: [{ name: "colour", value: "red" }, { name: "Size", value: "M" }], priceAmount: 1700 },
      { sku: `${sku}-L-BLUE`, options: [{ name: "Size", value: "L" }, { name: "Colour", value: "Blue" }], priceAmount: 1900 },
    ],
  };
}

const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} } }`;
const ADD = `mutation($productId: ID!, $input: ProductVariantInput!) { addProductVariant(productId: $productId, input: $input) { ${VARIANT_FIELDS} } }`;
const UPDATE_VARIANT = `mutation($id: ID!, $input: UpdateProductVariantInput!) { updateProductVariant(id: $id, input: $input) { ${VARIANT_FIELDS} } }`;
const REMOVE_VARIANT = `mutation($id: ID!) { removeProductVariant(id: $id) { ${PRODUCT_FIELDS} } }`;
const UPDATE_PRODUCT = `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { ${PRODUCT_FIELDS} } }`;
const PRODUCT = `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`;
const VARIANT_ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { ${VARIANT_FIELDS} } } }`;

defineVariantApiSuite("embedded", async () => ({ store: new EmbeddedProductStore(), dispose: async () => {} }));

describeWithRealEngine({ suite: "product variants API", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  const locks = createLockService(new EmbeddedKeyValueStore());
  defineVariantApiSuite("mongodb", async () => {
    const store = await MongoProductStore.connect(url, {
      database: "storefront_test",
      collection: `variants_api_${randomUUID().replaceAll("-", "")}`,
      lock: (id, work) => locks.withLock(`product:${id}`, work, { ttlMs: 5_000, waitMs: 10_000 }),
    });
    // The subgraph closes the store; dropping needs a handle of its own.
    return { store, dispose: () => store.drop() };
  });
});

/** The variant API against one catalog engine: `open` gives a fresh store and what drops it. */
function defineVariantApiSuite(engine: string, open: () => Promise<{ store: ProductStore; dispose: () => Promise<unknown> }>) {
  describe(engineSuiteTitle("product variants through the products subgraph API", engine), { timeout: 120_000 }, () => {
    let rig: ProductsApiRig;
    let store: ProductStore;
    let dispose: () => Promise<unknown>;
    const reads: string[][] = [];
    const announced: Product[] = [];

    const asAdmin = <T>(query: string, variables: Record<string, unknown>) => rig.asAdmin<T>(query, variables);
    const create = async (input: Record<string, unknown>) => (await asAdmin<{ createProduct: ProductView }>(CREATE, { input })).createProduct;

    before(async () => {
      ({ store, dispose } = await open());
      const findByIds = store.findByIds.bind(store);
      store.findByIds = (ids) => (reads.push([...ids]), findByIds(ids));
      rig = await startProductsApi({ store });
      await rig.bus.subscribe({
        topic: Topics.productChanged,
        group: "variants-api-test",
        start: "latest",
        handle: async (event) => {
          const change = (event as DomainEvent<ProductChangeEvent>).payload;
          if (change.type === "ProductUpserted") announced.push(change.product);
        },
      });
    });
    after(async () => {
      await dispose?.();
      await rig?.close();
    });

    it("creates a product with options and variants: keys in order, values spelled as the options spell them, price from the lowest", async () => {
      const tee = await create(teeInput());
      assert.deepEqual(tee.options, [{ name: "Size", values: ["S", "M", "L"] }, { name: "Colour", values: ["Red", "Blue"] }]);
      assert.deepEqual(tee.variants.map((v) => v.id), [`${tee.id}:1`, `${tee.id}:2`, `${tee.id}:3`]);
      assert.deepEqual(tee.variants.map((v) => v.title), ["S / Red", "M / Red", "L / Blue"]);
      assert.deepEqual(tee.variants[1]!.options, [{ name: "Size", value: "M" }, { name: "Colour", value: "Red" }]);
      assert.equal(tee.price.amount, 1500);
      assert.deepEqual(tee.priceRange, { min: { amount: 1500 }, max: { amount: 1900 } });
      assert.match(tee.variants[0]!.images[0]!.url, /^https?:\/\/.+\/products\/tee\/red\.jpg$/);
      assert.deepEqual(tee.variants[1]!.images, []);
      assert.deepEqual((await asAdmin<{ product: ProductView }>(PRODUCT, { id: tee.id })).product, tee);
      await waitFor("the change event carries the variants", () => announced.some((p) => p.id === tee.id && p.variants.length === 3), { timeoutMs: 5_000 });
    });

    it("refuses a currency that is not an ISO 4217 one, though three letters, on a product or its price, with BAD_USER_INPUT", async () => {
      for (const currency of ["ZZZ", "XXX", "ABC"]) {
        await rejectsWith(asAdmin(CREATE, { input: { ...teeInput(), currency } }), "BAD_USER_INPUT");
        await rejectsWith(asAdmin(CREATE, { input: { sku: nextSku("MUG"), name: "Mug", description: "A mug.", category: "kitchen", brand: "Clay", priceAmount: 900, currency } }), "BAD_USER_INPUT");
      }
      const mug = await asAdmin<{ createProduct: ProductView }>(CREATE, { input: { sku: nextSku("MUG"), name: "Mug", description: "A mug.", category: "kitchen", brand: "Clay", priceAmount: 900, currency: "JPY" } });
      assert.equal(mug.createProduct.price.currency, "JPY");
      await rejectsWith(asAdmin(UPDATE_PRODUCT, { id: mug.createProduct.id, input: { priceAmount: 800, currency: "ZZZ" } }), "BAD_USER_INPUT");
      assert.equal((await asAdmin<{ product: ProductView }>(PRODUCT, { id: mug.createProduct.id })).product.price.amount, 900);
    });

    it("gives a product created without options its default variant, named and priced as the product", async () => {
      const sku = nextSku("LAMP");
      const lamp = await create({ sku, name: "Desk Lamp", description: "Bright.", priceAmount: 4999, category: "home", brand: "Lumo" });
      assert.deepEqual(lamp.options, []);
      assert.deepEqual(lamp.variants, [
        { id: lamp.id, sku, title: "Desk Lamp", options: [], price: { amount: 4999, currency: "USD" }, images: [], product: { id: lamp.id } },
      ]);
      const updated = (await asAdmin<{ updateProduct: ProductView }>(UPDATE_PRODUCT, { id: lamp.id, input: { priceAmount: 3999 } })).updateProduct;
      assert.equal(updated.price.amount, 3999);
      assert.equal(updated.variants[0]!.price.amount, 3999, "a single variant's price is the product's");
    });

    it("resolves a page of variants of several products, and unknown ones as null, with one store read", async () => {
      const made = [await create(teeInput()), await create(teeInput()), await create(teeInput())];
      const ids = made.flatMap((p) => p.variants.map((v) => v.id));
      const representations = [...ids, `${made[0]!.id}:99`, "prod_nothere:1", "prod_nothere"].map((id) => ({ __typename: "ProductVariant", id }));
      reads.length = 0;
      const { _entities } = await rig.client.request<{ _entities: (VariantView | null)[] }>(VARIANT_ENTITIES, { r: representations });
      assert.deepEqual(_entities.slice(0, ids.length).map((v) => v?.id), ids);
      assert.deepEqual(_entities.slice(ids.length), [null, null, null]);
      assert.equal(reads.length, 1, `store reads: ${JSON.stringify(reads)}`);
      assert.equal(_entities[4]!.title, "M / Red");
    });

    it("adds, changes and removes variants, never reusing a removed variant's key", async () => {
      const tee = await create(teeInput());
      const added = (await asAdmin<{ addProductVariant: VariantView }>(ADD, {
        productId: tee.id,
        input: { sku: `${tee.sku}-S-BLUE`, options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Blue" }], priceAmount: 1200 },
      })).addProductVariant;
      assert.equal(added.id, `${tee.id}:4`);
      assert.equal(added.title, "S / Blue");
      assert.equal((await asAdmin<{ product: ProductView }>(PRODUCT, { id: tee.id })).product.price.amount, 1200);

      const removed = (await asAdmin<{ removeProductVariant: ProductView }>(REMOVE_VARIANT, { id: added.id })).removeProductVariant;
      assert.deepEqual(removed.variants.map((v) => v.id), [`${tee.id}:1`, `${tee.id}:2`, `${tee.id}:3`]);
      assert.equal(removed.price.amount, 1500);
      // Sent again after a lost answer: the removal is done, so the product is the answer.
      const repeated = (await asAdmin<{ removeProductVariant: ProductView }>(REMOVE_VARIANT, { id: added.id })).removeProductVariant;
      assert.deepEqual(repeated, removed);
      const again = (await asAdmin<{ addProductVariant: VariantView }>(ADD, {
        productId: tee.id,
        input: { sku: `${tee.sku}-S-BLUE`, options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Blue" }], priceAmount: 1200 },
      })).addProductVariant;
      assert.equal(again.id, `${tee.id}:5`, "key 4 stays retired");

      const changed = (await asAdmin<{ updateProductVariant: VariantView }>(UPDATE_VARIANT, {
        id: `${tee.id}:3`,
        input: { priceAmount: 2500, sku: `${tee.sku}-L-BLUE-2`, images: [{ url: "products/tee/blue.jpg", alt: "Blue" }] },
      })).updateProductVariant;
      assert.equal(changed.price.amount, 2500);
      assert.equal(changed.sku, `${tee.sku}-L-BLUE-2`);
      assert.equal(changed.images.length, 1);
      const after = (await asAdmin<{ product: ProductView }>(PRODUCT, { id: tee.id })).product;
      assert.deepEqual(after.priceRange, { min: { amount: 1200 }, max: { amount: 2500 } });
      // The SKU given up is free again.
      await create({ ...teeInput(), variants: [{ sku: `${tee.sku}-L-BLUE`, options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Red" }], priceAmount: 100 }] });
    });

    it("keeps the last variant, and sets several variants' prices only one by one", async () => {
      const sku = nextSku("MUG");
      const mug = await create({ sku, name: "Mug", description: "Holds tea.", priceAmount: 900, category: "home", brand: "Clay" });
      await rejectsWith(asAdmin(REMOVE_VARIANT, { id: mug.id }), "BAD_USER_INPUT", /at least one variant/);
      const tee = await create(teeInput());
      for (const variant of tee.variants.slice(1)) await asAdmin(REMOVE_VARIANT, { id: variant.id });
      await rejectsWith(asAdmin(REMOVE_VARIANT, { id: tee.variants[0]!.id }), "BAD_USER_INPUT");
      const multi = await create(teeInput());
      await rejectsWith(asAdmin(UPDATE_PRODUCT, { id: multi.id, input: { priceAmount: 100 } }), "BAD_USER_INPUT", /several variants/);
      await rejectsWith(asAdmin(ADD, { productId: mug.id, input: { sku: nextSku(), options: [], priceAmount: 100 } }), "BAD_USER_INPUT", /without options/);
    });

    it("answers unknown products and variants, and a variant id pointing into another product, as NOT_FOUND", async () => {
      const a = await create(teeInput());
      const b = await create(teeInput());
      await asAdmin(ADD, { productId: b.id, input: { sku: nextSku(), options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Blue" }], priceAmount: 100 } });
      // Key 4 is b's; a has no key 4, so "<a>:4" names nothing, and b is left alone.
      await rejectsWith(asAdmin(UPDATE_VARIANT, { id: `${a.id}:4`, input: { priceAmount: 1 } }), "NOT_FOUND");
      await rejectsWith(asAdmin(REMOVE_VARIANT, { id: `${a.id}:4` }), "NOT_FOUND");
      await rejectsWith(asAdmin(UPDATE_VARIANT, { id: "prod_nothere:1", input: { priceAmount: 1 } }), "NOT_FOUND");
      await rejectsWith(asAdmin(UPDATE_VARIANT, { id: "prod_nothere", input: { priceAmount: 1 } }), "NOT_FOUND");
      await rejectsWith(asAdmin(ADD, { productId: "prod_nothere", input: { sku: nextSku(), options: [], priceAmount: 100 } }), "NOT_FOUND");
      const bAfter = (await asAdmin<{ product: ProductView }>(PRODUCT, { id: b.id })).product;
      assert.equal(bAfter.variants.find((v) => v.id === `${b.id}:4`)!.price.amount, 100);
    });

    it("refuses a SKU another product or variant holds as CONFLICT, and two creates racing for one variant SKU let exactly one in", async () => {
      const tee = await create(teeInput());
      const taken = tee.variants[1]!.sku;
      await rejectsWith(create({ ...teeInput(), variants: [{ sku: taken, options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Red" }], priceAmount: 100 }] }), "CONFLICT");
      await rejectsWith(create({ sku: taken, name: "Clash", description: "x", priceAmount: 100, category: "home", brand: "b" }), "CONFLICT");
      await rejectsWith(asAdmin(UPDATE_VARIANT, { id: tee.variants[0]!.id, input: { sku: tee.variants[2]!.sku } }), "BAD_USER_INPUT", /share SKU/);
      const other = await create(teeInput());
      await rejectsWith(asAdmin(UPDATE_VARIANT, { id: other.variants[0]!.id, input: { sku: taken } }), "CONFLICT");
      await rejectsWith(asAdmin(ADD, { productId: other.id, input: { sku: tee.sku, options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Blue" }], priceAmount: 100 } }), "CONFLICT");

      const shared = nextSku("RACE");
      const racer = () => create({ ...teeInput(), variants: [{ sku: shared, options: [{ name: "Size", value: "M" }, { name: "Colour", value: "Blue" }], priceAmount: 100 }] });
      const results = await Promise.allSettled([racer(), racer()]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      assert.equal((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.extensions.code, "CONFLICT");
    });

    it("adds a variant once when the same add is sent several times at once or again after a lost answer; its options with other terms stay refused", async () => {
      const tee = await create({ ...teeInput(), options: [{ name: "Size", values: ["S", "M"] }, { name: "Colour", values: ["Red"] }], variants: [{ sku: nextSku(), options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Red" }], priceAmount: 500 }] });
      const input = { sku: `${tee.sku}-M`, options: [{ name: "Size", value: "M" }, { name: "Colour", value: "Red" }], priceAmount: 700 };
      const twins = await Promise.all(Array.from({ length: 3 }, () => rig.client.request<{ addProductVariant: VariantView }>(ADD, { productId: tee.id, input }, { identity: admin, timeoutMs: 60_000 })));
      assert.equal(new Set(twins.map((twin) => twin.addProductVariant.id)).size, 1, "every call answered with one variant");
      const retried = await asAdmin<{ addProductVariant: VariantView }>(ADD, { productId: tee.id, input });
      assert.equal(retried.addProductVariant.id, twins[0]!.addProductVariant.id);
      const after = (await asAdmin<{ product: ProductView }>(PRODUCT, { id: tee.id })).product;
      assert.equal(after.variants.length, 2, "one variant added");
      await rejectsWith(asAdmin(ADD, { productId: tee.id, input: { ...input, priceAmount: 800 } }), "BAD_USER_INPUT");
      await rejectsWith(asAdmin(ADD, { productId: tee.id, input: { ...input, sku: `${tee.sku}-M2` } }), "BAD_USER_INPUT");
    });

    it("keeps every one of many variants added to one product at once, each with its own key", async () => {
      const tee = await create({ ...teeInput(), options: [{ name: "Size", values: ["S"] }, { name: "Colour", values: Array.from({ length: 30 }, (_, i) => `C${i}`) }], variants: [{ sku: nextSku(), options: [{ name: "Size", value: "S" }, { name: "Colour", value: "C0" }], priceAmount: 500 }] });
      // Writes of one product wait for each other up to a bound, then are refused CONFLICT
      // ("please retry"); on a loaded machine 20 at once can pass it, and the admin retries.
      // The client waits past that bound, so no add is given up while it may still be made.
      const addRetryingBusy = async (i: number): Promise<{ addProductVariant: VariantView }> => {
        for (let attempt = 1; ; attempt++) {
          try {
            const input = { sku: `${tee.sku}-${i}`, options: [{ name: "Size", value: "S" }, { name: "Colour", value: `C${i + 1}` }], priceAmount: 600 + i };
            return await rig.client.request<{ addProductVariant: VariantView }>(ADD, { productId: tee.id, input }, { identity: admin, timeoutMs: 60_000 });
          } catch (error) {
            if ((error as { extensions?: { code?: string } }).extensions?.code !== "CONFLICT" || attempt === 5) throw error;
          }
        }
      };
      const adds = Array.from({ length: 20 }, (_, i) => addRetryingBusy(i));
      const added = (await Promise.all(adds)).map((r) => r.addProductVariant.id);
      assert.equal(new Set(added).size, 20);
      const after = (await asAdmin<{ product: ProductView }>(PRODUCT, { id: tee.id })).product;
      assert.equal(after.variants.length, 21);
      assert.deepEqual(new Set(after.variants.map((v) => v.id)), new Set([`${tee.id}:1`, ...added]));
    });

    it("refuses hostile input with BAD_USER_INPUT: 10,000 variants, a 100 KB option value, repeated combinations, values outside the options", async () => {
      const sku = nextSku("BIG");
      const many = Array.from({ length: 10_000 }, (_, i) => ({ sku: `${sku}-${i}`, options: [{ name: "N", value: String(i) }], priceAmount: 100 }));
      const started = performance.now();
      await rejectsWith(create({ ...teeInput(sku), options: [{ name: "N", values: ["1"] }], variants: many }), "BAD_USER_INPUT", /at most 100 variants/);
      assert.ok(performance.now() - started < 5_000);

      const huge = "x".repeat(100 * 1024);
      await rejectsWith(create({ ...teeInput(), options: [{ name: "Size", values: [huge] }], variants: [] }), "BAD_USER_INPUT", /at most 60 characters/);
      await rejectsWith(create({ ...teeInput(), options: [{ name: huge, values: ["S"] }] }), "BAD_USER_INPUT");
      const tee = await create(teeInput());
      await rejectsWith(asAdmin(ADD, { productId: tee.id, input: { sku: nextSku(), options: [{ name: "Size", value: huge }, { name: "Colour", value: "Red" }], priceAmount: 100 } }), "BAD_USER_INPUT");
      await rejectsWith(asAdmin(ADD, { productId: tee.id, input: { sku: nextSku(), options: [{ name: "Size", value: "m" }, { name: "Colour", value: "RED" }], priceAmount: 100 } }), "BAD_USER_INPUT", /same options/);

      const input = teeInput();
      const repeated = { ...input, variants: [input.variants[0]!, { ...input.variants[0]!, sku: nextSku() }] };
      await rejectsWith(create(repeated), "BAD_USER_INPUT", /same options/);
      const invalid: [string, Record<string, unknown>][] = [
        ["value not offered", { variants: [{ sku: nextSku(), options: [{ name: "Size", value: "XL" }, { name: "Colour", value: "Red" }], priceAmount: 100 }] }],
        ["option missing", { variants: [{ sku: nextSku(), options: [{ name: "Size", value: "S" }], priceAmount: 100 }] }],
        ["option twice", { variants: [{ sku: nextSku(), options: [{ name: "Size", value: "S" }, { name: "Size", value: "M" }], priceAmount: 100 }] }],
        ["zero price", { variants: [{ sku: nextSku(), options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Red" }], priceAmount: 0 }] }],
        ["options without variants", { variants: [] }],
        ["four options", { options: ["A", "B", "C", "D"].map((name) => ({ name, values: ["1"] })) }],
        ["51 values", { options: [{ name: "Size", values: Array.from({ length: 51 }, (_, i) => `v${i}`) }] }],
        ["duplicate values", { options: [{ name: "Size", values: ["M", "m"] }, { name: "Colour", values: ["Red"] }] }],
        ["duplicate option names", { options: [{ name: "Size", values: ["M"] }, { name: "size", values: ["L"] }] }],
        ["control characters", { options: [{ name: "Size\u0000", values: ["M"] }, { name: "Colour", values: ["Red"] }] }],
        ["price beside variants", { priceAmount: 100 }],
      ];
      for (const [what, change] of invalid) await rejectsWith(create({ ...teeInput(), ...change }), "BAD_USER_INPUT").catch((e) => assert.fail(`${what}: ${e}`));
      await rejectsWith(create({ sku: nextSku(), name: "x", description: "x", category: "home", brand: "b" }), "BAD_USER_INPUT", /priceAmount/);
      await rejectsWith(create({ sku: nextSku(), name: "x", description: "x", category: "home", brand: "b", priceAmount: 0 }), "BAD_USER_INPUT");
      await rejectsWith(asAdmin(UPDATE_VARIANT, { id: tee.variants[0]!.id, input: {} }), "BAD_USER_INPUT");
    });

    it("lets only admins change variants", async () => {
      const tee = await create(teeInput());
      const attempts: [string, Record<string, unknown>][] = [
        [CREATE, { input: teeInput() }],
        [ADD, { productId: tee.id, input: { sku: nextSku(), options: [{ name: "Size", value: "S" }, { name: "Colour", value: "Blue" }], priceAmount: 1 } }],
        [UPDATE_VARIANT, { id: tee.variants[0]!.id, input: { priceAmount: 1 } }],
        [REMOVE_VARIANT, { id: tee.variants[0]!.id }],
      ];
      for (const [query, variables] of attempts) {
        await rejectsWith(rig.client.request(query, variables, { identity: shopper }), "FORBIDDEN");
        // Another service calling on its own behalf is no admin either.
        await rejectsWith(rig.client.request(query, variables), "FORBIDDEN");
      }
      assert.deepEqual((await asAdmin<{ product: ProductView }>(PRODUCT, { id: tee.id })).product, tee);
    });
  });
}
