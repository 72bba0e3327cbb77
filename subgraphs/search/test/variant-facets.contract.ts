import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toSearchDocument, type IndexableProduct } from "../src/domain/search-document.js";
import { EVERY_COUNT, type SearchFilter, type SearchIndex, type SearchRequest } from "../src/ports/search-index.js";

type Variant = [options: Record<string, string>, price: number];

const product = (id: string, name: string, variants: Variant[], version = 1): IndexableProduct => ({
  id,
  name,
  description: `${name}.`,
  category: "clothing",
  brand: "Loomcraft",
  attributes: {},
  version,
  price: { amount: Math.min(...variants.map(([, price]) => price)), currency: "USD" },
  variants: variants.map(([options, price]) => ({ options: Object.entries(options).map(([name, value]) => ({ name, value })), price: { amount: price } })),
  createdAt: new Date(Date.UTC(2026, 0, 1) + Number(id.slice(-1)) * 60_000),
});

/** Four products: two with Colour and Size (one spelling "red" in lower case), one with Size only, one without options. */
const merino = product("prod_var1", "Merino Crew Tee", [
  [{ Colour: "Red", Size: "S" }, 2_000],
  [{ Colour: "Red", Size: "M" }, 2_000],
  [{ Colour: "Navy", Size: "S" }, 2_500],
]);
const cotton = product("prod_var2", "Cotton Crew Tee", [
  [{ Colour: "red", Size: "M" }, 1_500],
  [{ Colour: "Black", Size: "L" }, 3_000],
]);
const linen = product("prod_var3", "Linen Crew Shirt", [[{ Size: "M" }, 6_000]]);
const socks = product("prod_var4", "Crew Socks", [[{}, 900]]);

/** Option filters, option facets and variant prices, on an index of its own. */
export function defineVariantFacetChecks(create: () => Promise<SearchIndex>): void {
  describe("variant options and prices", () => {
    let index: SearchIndex;
    const find = async (filter: SearchFilter, text = "crew", sort: SearchRequest["sort"] = "PRICE_ASC") =>
      (await index.search({ text, filter, sort, first: 20, forgiveTypos: false, counts: EVERY_COUNT })).hits.map((h) => h.id);

    before(async () => {
      index = await create();
      await index.ensureIndex();
      await index.apply([merino, cotton, linen, socks].map((p) => ({ kind: "upsert" as const, document: toSearchDocument(p) })));
      await index.refresh();
    });
    after(async () => {
      await index?.close();
    });

    it("filters by an option value whatever its case, values of one option being alternatives", async () => {
      assert.deepEqual(await find({ options: [{ name: "colour", values: ["RED"] }] }), ["prod_var2", "prod_var1"]);
      assert.deepEqual(await find({ options: [{ name: "Colour", values: ["Navy", "Black"] }] }), ["prod_var2", "prod_var1"]);
      assert.deepEqual(await find({ options: [{ name: "Size", values: ["M"] }] }), ["prod_var2", "prod_var1", "prod_var3"]);
    });

    it("requires every named option on one and the same variant", async () => {
      assert.deepEqual(await find({ options: [{ name: "Colour", values: ["Red"] }, { name: "Size", values: ["M"] }] }), ["prod_var2", "prod_var1"]);
      assert.deepEqual(await find({ options: [{ name: "Colour", values: ["Navy"] }, { name: "Size", values: ["M"] }] }), [], "Navy comes in S only");
      assert.deepEqual(await find({ options: [{ name: "Material", values: ["Wool"] }] }), []);
    });

    it("matches a price filter on any variant's price, and with options on the same variant", async () => {
      assert.deepEqual(await find({ price: { min: 2_400, max: 2_600 } }), ["prod_var1"], "its Navy variant, though it starts at 2,000");
      assert.deepEqual(await find({ price: { max: 1_000 } }), ["prod_var4"]);
      assert.deepEqual(await find({ price: { max: 2_600 }, options: [{ name: "Size", values: ["L"] }] }), [], "the L costs 3,000");
      assert.deepEqual(await find({ price: { max: 3_100 }, options: [{ name: "Size", values: ["L"] }] }), ["prod_var2"]);
    });

    it("sorts by each product's lowest variant price both ways", async () => {
      assert.deepEqual(await find({}, "crew", "PRICE_ASC"), ["prod_var4", "prod_var2", "prod_var1", "prod_var3"]);
      assert.deepEqual(await find({}, "crew", "PRICE_DESC"), ["prod_var3", "prod_var1", "prod_var2", "prod_var4"]);
    });

    it("counts products per option value and per variant price range over all matches", async () => {
      const result = await index.search({ text: "crew", filter: {}, sort: "RELEVANCE", first: 1, forgiveTypos: false, counts: EVERY_COUNT });
      assert.deepEqual(result.facets.options, [
        { name: "Colour", values: [{ value: "Red", count: 2 }, { value: "Black", count: 1 }, { value: "Navy", count: 1 }] },
        { name: "Size", values: [{ value: "M", count: 3 }, { value: "L", count: 1 }, { value: "S", count: 1 }] },
      ]);
      assert.deepEqual(
        result.facets.priceRanges.map((r) => r.count),
        [1, 2, 2, 1, 0, 0],
      );
      const red = await index.search({ text: "", filter: { options: [{ name: "Colour", values: ["Red"] }] }, sort: "RELEVANCE", first: 1, forgiveTypos: false, counts: EVERY_COUNT });
      assert.equal(red.totalCount, 2);
      assert.deepEqual(red.facets.options.find((f) => f.name === "Size")?.values, [{ value: "M", count: 2 }, { value: "L", count: 1 }, { value: "S", count: 1 }]);
    });

    it("finds a product by an option value typed as a word", async () => {
      assert.deepEqual(await find({}, "navy crew"), ["prod_var1"]);
    });

    it("follows a product's variants as they change", async () => {
      const withoutNavy = product("prod_var1", "Merino Crew Tee", [[{ Colour: "Red", Size: "S" }, 2_000]], 2);
      await index.apply([{ kind: "upsert", document: toSearchDocument(withoutNavy) }]);
      await index.refresh();
      assert.deepEqual(await find({ options: [{ name: "Colour", values: ["Navy"] }] }), []);
      assert.deepEqual(await find({ price: { min: 2_400, max: 2_600 } }), []);
      const facets = (await index.search({ text: "crew", filter: {}, sort: "RELEVANCE", first: 1, forgiveTypos: false, counts: EVERY_COUNT })).facets;
      assert.deepEqual(
        facets.priceRanges.map((r) => r.count),
        [1, 2, 1, 1, 0, 0],
        "its price range of 2,500 to 5,000 went with the Navy variant",
      );
    });
  });
}
