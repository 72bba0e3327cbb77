import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { createLogger } from "#kernel";
import { slugsWithin } from "../../src/domain/category-scope.js";
import { brandSpellings } from "../../src/domain/brand-spellings.js";
import { productsSubgraphCategories } from "../../src/adapters/products-subgraph-categories.js";

describe("search filter scopes", () => {
  it("a category stands for itself and every category below it, once each, a loop included", () => {
    const children = new Map([
      ["home", ["kitchen", "garden"]],
      ["kitchen", ["knives"]],
      ["loop-a", ["loop-b"]],
      ["loop-b", ["loop-a"]],
    ]);
    assert.deepEqual(slugsWithin(children, ["home"]), ["home", "kitchen", "knives", "garden"]);
    assert.deepEqual(slugsWithin(children, ["kitchen", "home"]), ["kitchen", "knives", "home", "garden"]);
    assert.deepEqual(slugsWithin(children, ["loop-a"]), ["loop-a", "loop-b"]);
    assert.deepEqual(slugsWithin(children, ["unknown"]), ["unknown"]);
  });

  it("a brand matches every spelling the index holds, whatever its case and accents, and itself", () => {
    const known = ["ACME", "Acme", "Ácme", "Acme Tools"].map((value) => ({ value, products: 1, popularity: 0 }));
    assert.deepEqual(brandSpellings(["acme"], known).sort(), ["ACME", "Acme", "acme", "Ácme"].sort());
    assert.deepEqual(brandSpellings(["New Brand "], known), ["New Brand"]);
  });

  it("with the products subgraph unreachable, each category stands for itself and nothing throws", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const scopes = productsSubgraphCategories({ url: `http://127.0.0.1:${port}/graphql`, internalSecret: "x".repeat(32), logger: createLogger("silent") });
    try {
      assert.deepEqual(await scopes.within(["clothing", "clothing"]), ["clothing"]);
    } finally {
      await scopes.close();
    }
  });
});
