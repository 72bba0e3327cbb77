import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateCatalog } from "../src/catalog/generate-catalog.js";
import { checkVariantSet, skusOf, validOptions } from "../src/domain/product-variant.validation.js";
import { defaultVariant, lowestPrice } from "../src/domain/product-variants.js";

describe("the demo catalog generator", () => {
  const catalog = [...generateCatalog({ count: 2_000 })];

  it("keeps the first hundred products, which tests and golden operations name, single-variant", () => {
    for (const { product, stock, variantStock } of catalog.slice(0, 100)) {
      assert.deepEqual([product.options, product.variants, product.lastVariantKey], [[], [defaultVariant(product)], 0]);
      assert.deepEqual(variantStock, [{ variantId: product.id, stock }]);
    }
    assert.deepEqual(
      catalog.slice(0, 3).map(({ product, stock }) => [product.id, product.sku, product.name, product.price.amount, stock]),
      [
        ["prod_0000001", "ELE-0000001", "Nimbus Wireless Portable Charger", 60799, 378],
        ["prod_0000002", "BOO-0000002", "Lantern Books A Brief Biography", 3699, 1],
        ["prod_0000003", "HOM-0000003", "Hearthstone Nordic Stand Mixer", 11199, 307],
      ],
    );
  });

  it("offers garments in sizes and colours and tablets in storage sizes, each variant priced and stocked", () => {
    const varied = catalog.filter((g) => g.product.options.length > 0);
    assert.ok(varied.length > 80, `${varied.length} products with options`);
    const names = new Set(varied.flatMap((g) => g.product.options.map((o) => o.name)));
    assert.deepEqual([...names].sort(), ["Colour", "Size", "Storage"]);
    for (const { product, stock, variantStock } of varied) {
      assert.deepEqual(validOptions(product.options), product.options);
      checkVariantSet(product);
      assert.equal(product.lastVariantKey, product.variants.length);
      assert.deepEqual(product.price, lowestPrice(product.variants));
      assert.deepEqual(variantStock.map((v) => v.variantId), product.variants.map((v) => v.id));
      assert.equal(stock, variantStock.reduce((sum, v) => sum + v.stock, 0));
      if (product.category === "clothing") assert.equal(product.attributes.size, undefined, "a garment's size is an option, not an attribute");
    }
    assert.ok(varied.some((g) => new Set(g.product.variants.map((v) => v.price.amount)).size > 1), "some variants cost more than others");
    assert.ok(varied.some((g) => g.variantStock.some((v) => v.stock === 0) && g.stock > 0), "some sizes sold out while others are in stock");
  });

  it("gives every product and variant a SKU of its own, and the same catalog every time", () => {
    const skus = catalog.flatMap((g) => skusOf(g.product));
    assert.equal(new Set(skus).size, skus.length);
    assert.deepEqual([...generateCatalog({ count: 200 })], catalog.slice(0, 200));
  });
});
