import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkVariantSet, validOptions, validSelection, VARIANT_LIMITS } from "../src/domain/product-variant.validation.js";

const refused = (work: () => unknown, message?: RegExp) =>
  assert.throws(work, (error: { extensions?: { code?: string }; message: string }) => {
    assert.equal(error.extensions?.code, "BAD_USER_INPUT");
    if (message) assert.match(error.message, message);
    return true;
  });

describe("option and variant rules", () => {
  it("tidies option names and values, and keeps their order", () => {
    assert.deepEqual(validOptions([{ name: "  Size ", values: [" S", "M  ", "Extra   Large"] }]), [{ name: "Size", values: ["S", "M", "Extra Large"] }]);
  });

  it("refuses unreadable, empty, oversized and repeated option text", () => {
    refused(() => validOptions([{ name: "Size", values: ["M\u0007"] }]), /visible text/);
    refused(() => validOptions([{ name: "Size", values: ["\uD800"] }]), /visible text/);
    refused(() => validOptions([{ name: "Size", values: ["M\u200b"] }]), /visible text/);
    refused(() => validOptions([{ name: "Size\u202e", values: ["M"] }]), /visible text/);
    refused(() => validOptions([{ name: " ", values: ["M"] }]));
    refused(() => validOptions([{ name: "Size", values: [] }]));
    refused(() => validOptions([{ name: "Size", values: ["x".repeat(VARIANT_LIMITS.optionValue + 1)] }]));
    refused(() => validOptions([{ name: "Size", values: ["Cafe", "CAFE"] }]), /twice/);
    refused(() => validOptions([{ name: "Colour", values: ["Red"] }, { name: "COLOUR", values: ["Blue"] }]), /twice/);
  });

  it("matches a variant's choice to the options whatever its order and case, and refuses anything else", () => {
    const options = [
      { name: "Size", values: ["S", "M"] },
      { name: "Colour", values: ["Red", "Blue"] },
    ];
    assert.deepEqual(validSelection(options, [{ name: "colour", value: "blue" }, { name: "SIZE", value: "m" }]), [
      { name: "Size", value: "M" },
      { name: "Colour", value: "Blue" },
    ]);
    refused(() => validSelection(options, [{ name: "Size", value: "M" }]));
    refused(() => validSelection(options, [{ name: "Size", value: "M" }, { name: "Size", value: "S" }]));
    refused(() => validSelection(options, [{ name: "Size", value: "XL" }, { name: "Colour", value: "Red" }]), /no value XL/);
    refused(() => validSelection(options, [{ name: "Size", value: "M" }, { name: "Fabric", value: "Red" }]));
    refused(() => validSelection([], [{ name: "Size", value: "M" }]));
  });

  it("keeps a product's variants distinct, in one currency, within bounds", () => {
    const options = [{ name: "Size", values: ["S", "M"] }];
    const variant = (key: number, value: string, sku: string, currency = "USD") => ({
      id: `prod_x:${key}`,
      sku,
      options: [{ name: "Size", value }],
      price: { amount: 100, currency },
      images: [],
    });
    checkVariantSet({ sku: "TEE", options, variants: [variant(1, "S", "TEE-S"), variant(2, "M", "TEE-M")] });
    refused(() => checkVariantSet({ sku: "TEE", options, variants: [] }), /at least one/);
    refused(() => checkVariantSet({ sku: "TEE", options, variants: [variant(1, "S", "TEE-S"), variant(2, "S", "TEE-S2")] }), /same options/);
    refused(() => checkVariantSet({ sku: "TEE", options, variants: [variant(1, "S", "TEE-S"), variant(2, "M", "TEE-S")] }), /share SKU/);
    refused(() => checkVariantSet({ sku: "TEE", options, variants: [variant(1, "S", "TEE")] }), /product's own/);
    refused(() => checkVariantSet({ sku: "TEE", options, variants: [variant(1, "S", "TEE-S"), variant(2, "M", "TEE-M", "EUR")] }), /one currency/);
    const many = Array.from({ length: VARIANT_LIMITS.variants + 1 }, (_, i) => variant(i + 1, `v${i}`, `TEE-${i}`));
    refused(() => checkVariantSet({ sku: "TEE", options: [{ name: "Size", values: many.map((v) => v.options[0]!.value) }], variants: many }), /at most/);
  });
});
