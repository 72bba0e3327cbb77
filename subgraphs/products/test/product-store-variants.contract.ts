import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { variantIdOf } from "#kernel";
import { engineSuiteTitle } from "#kernel/testing";
import type { Product, ProductVariant } from "../src/domain/product.js";
import { lowestPrice } from "../src/domain/product-variants.js";
import { DuplicateSkuError, type ProductStore } from "../src/ports/product-store.js";
import { sampleProduct } from "./product-store.contract.js";

/** A T-shirt in two sizes and two colours, one variant per combination; SKUs start with `skuStem`. */
export function apparelProduct(skuStem?: string): Product {
  const base = sampleProduct({ category: "fashion" });
  const stem = skuStem ?? `${base.sku}-V`;
  const options = [
    { name: "Size", values: ["S", "M"] },
    { name: "Colour", values: ["Red", "Blue"] },
  ];
  const variants: ProductVariant[] = [];
  for (const size of options[0]!.values) {
    for (const colour of options[1]!.values) {
      const key = String(variants.length + 1);
      variants.push({
        id: variantIdOf(base.id, key),
        sku: `${stem}${key}`,
        options: [{ name: "Size", value: size }, { name: "Colour", value: colour }],
        price: { amount: size === "S" ? 1500 : 1700, currency: "USD" },
        images: colour === "Red" ? [{ url: "products/tee/red.jpg", alt: "red" }] : [],
      });
    }
  }
  return { ...base, options, variants, lastVariantKey: variants.length, price: lowestPrice(variants) };
}

const variantWith = (product: Product, key: number, sku: string): ProductVariant => ({
  id: variantIdOf(product.id, String(key)),
  sku,
  options: [{ name: "Size", value: "M" }, { name: "Colour", value: `C${key}` }],
  price: { amount: 1900, currency: "USD" },
  images: [],
});

/**
 * What the `ProductStore` port guarantees about options and variants, checked against one
 * adapter: they are kept field for field, SKUs are unique across products and variants, and
 * an edit computed from the product as it is never loses a concurrent one.
 */
export function defineProductVariantStoreContract(engine: string, create: () => Promise<ProductStore>): void {
  describe(engineSuiteTitle("ProductStore variants contract", engine), { timeout: 60_000 }, () => {
    let store: ProductStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store?.close();
    });

    it("keeps options and variants field for field, in reads, scans and change events", async () => {
      const product = apparelProduct();
      await store.insert(product);
      assert.deepEqual((await store.findByIds([product.id])).get(product.id), product);
      const scanned = [];
      for await (const batch of store.scan(10)) scanned.push(...batch.products);
      assert.deepEqual(scanned, [product]);
      const [change] = await store.unpublishedChanges(10);
      assert.deepEqual(change?.product, product);
    });

    it("gives a product written without variants its default variant", async () => {
      const { options: _o, variants: _v, lastVariantKey: _k, ...legacy } = sampleProduct();
      await store.insert(legacy as Product);
      const found = (await store.findByIds([legacy.id])).get(legacy.id)!;
      assert.deepEqual(found.options, []);
      assert.deepEqual(found.variants, [{ id: legacy.id, sku: legacy.sku, options: [], price: legacy.price, images: [] }]);
      await assert.rejects(store.insert(sampleProduct({ sku: legacy.sku })), DuplicateSkuError);
    });

    it("refuses a variant SKU another product holds, as a product SKU or a variant SKU, on insert and on update", async () => {
      const tee = apparelProduct();
      await store.insert(tee);
      const taken = tee.variants[2]!.sku;
      const clash = apparelProduct();
      clash.variants[1] = { ...clash.variants[1]!, sku: taken };
      await assert.rejects(store.insert(clash), (error: unknown) => error instanceof DuplicateSkuError && error.sku === taken);
      await assert.rejects(store.insert(sampleProduct({ sku: taken })), DuplicateSkuError);
      await assert.rejects(store.insertMany([sampleProduct(), sampleProduct({ sku: tee.sku })]), DuplicateSkuError);

      // The refused product claimed none of its SKUs: each is free for another product.
      const other = apparelProduct();
      await store.insert(other);
      const free = clash.variants[0]!.sku;
      await store.insert(sampleProduct({ sku: free }));

      const before = (await store.findByIds([other.id])).get(other.id)!;
      await assert.rejects(store.update(other.id, { variants: [...other.variants, variantWith(other, 5, taken)] }, new Date()), DuplicateSkuError);
      assert.deepEqual((await store.findByIds([other.id])).get(other.id), before, "a refused update changes nothing");
    });

    it("frees a variant's SKU when the variant is removed, and all of a product's when it is deleted", async () => {
      const tee = apparelProduct();
      await store.insert(tee);
      const [first, ...rest] = tee.variants;
      await store.update(tee.id, { variants: rest, price: lowestPrice(rest) }, new Date());
      await store.insert(sampleProduct({ sku: first!.sku }));
      await store.remove(tee.id, new Date());
      for (const variant of rest) await store.insert(sampleProduct({ sku: variant.sku }));
      await store.insert(sampleProduct({ sku: tee.sku }));
    });

    it("moves a product's own SKU with its default variant's, freeing the old one", async () => {
      const lamp = sampleProduct();
      await store.insert(lamp);
      const other = sampleProduct();
      await store.insert(other);
      const sku = `${lamp.sku}-NEW`;
      await assert.rejects(store.update(lamp.id, { sku: other.sku, variants: [{ ...lamp.variants[0]!, sku: other.sku }] }, new Date()), DuplicateSkuError);
      const moved = await store.update(lamp.id, { sku, variants: [{ ...lamp.variants[0]!, sku }] }, new Date());
      assert.deepEqual([moved?.sku, moved?.variants[0]?.sku], [sku, sku]);
      await store.insert(sampleProduct({ sku: lamp.sku }));
      await assert.rejects(store.insert(sampleProduct({ sku })), DuplicateSkuError);
    });

    it("lets exactly one of two concurrent products with the same variant SKU in", async () => {
      for (let round = 0; round < 5; round++) {
        const a = apparelProduct();
        const b = apparelProduct();
        b.variants[3] = { ...b.variants[3]!, sku: a.variants[0]!.sku };
        const results = await Promise.allSettled([store.insert(a), store.insert(b)]);
        const won = results.filter((r) => r.status === "fulfilled").length;
        assert.equal(won, 1, `round ${round}: ${won} products took the same SKU`);
        const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        assert.ok(lost.reason instanceof DuplicateSkuError, String(lost.reason));
        const found = await store.findByIds([a.id, b.id]);
        assert.equal(found.size, 1);
      }
    });

    it("never loses a variant when edits computed from the current product run concurrently", async () => {
      const tee = apparelProduct();
      await store.insert(tee);
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.update(
            tee.id,
            (current) => {
              const key = current.lastVariantKey + 1;
              return { variants: [...current.variants, variantWith(current, key, `${tee.sku}-ADD${i}`)], lastVariantKey: key };
            },
            new Date(),
          ),
        ),
      );
      const after = (await store.findByIds([tee.id])).get(tee.id)!;
      assert.equal(after.variants.length, 4 + 12);
      assert.equal(after.lastVariantKey, 4 + 12);
      assert.equal(new Set(after.variants.map((v) => v.id)).size, 16, "variant ids distinct");
      assert.equal(new Set(after.variants.map((v) => v.sku)).size, 16);
    });

    it("changes nothing when an edit refuses", async () => {
      const tee = apparelProduct();
      await store.insert(tee);
      await assert.rejects(
        store.update(tee.id, () => {
          throw new Error("refused");
        }, new Date()),
        /refused/,
      );
      assert.deepEqual((await store.findByIds([tee.id])).get(tee.id), tee);
    });
  });
}
