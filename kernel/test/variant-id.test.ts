import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isDefaultVariantId, productIdOfVariant, variantIdOf } from "../src/catalog/variant-id.js";

describe("variant ids", () => {
  it("a default variant's id is its product's id", () => {
    assert.equal(productIdOfVariant("prod_0000001"), "prod_0000001");
    assert.equal(isDefaultVariantId("prod_0000001"), true);
  });

  it("another variant's id names its product before the separator", () => {
    const id = variantIdOf("prod_0000001", "2");
    assert.equal(id, "prod_0000001:2");
    assert.equal(productIdOfVariant(id), "prod_0000001");
    assert.equal(isDefaultVariantId(id), false);
  });

  it("refuses a key that is empty or would hide the product id", () => {
    assert.throws(() => variantIdOf("prod_1", ""));
    assert.throws(() => variantIdOf("prod_1", "a:b"));
  });
});
