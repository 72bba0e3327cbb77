import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import type { SubgraphClient } from "#kernel";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Priced($min: Int, $max: Int) {
  search(query: "", filter: { price: { min: $min, max: $max } }, first: 100) { totalCount edges { node { id } } }
}`;

/**
 * A search's price range ends before its max (as a price facet's bucket does). A client asking
 * for one price with min = max was answered no products, as if nothing cost that much.
 */
describe("search API: a price range (search subgraph, embedded index)", () => {
  let rig: EmbeddedSearchRig;
  let client: SubgraphClient;
  const priced = (min: number, max: number) => client.request<{ search: { totalCount: number; edges: { node: { id: string } }[] } }>(SEARCH, { min, max }).then((d) => d.search);

  before(async () => {
    rig = await startEmbeddedSearch(judgedCatalog());
    ({ client } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it("refuses min equal to max, saying how to ask for exactly that price", async () => {
    const price = judgedCatalog()[0]!.priceAmount;
    await assert.rejects(
      priced(price, price),
      (error: unknown) => error instanceof GraphQLError && error.extensions.code === "BAD_USER_INPUT" && error.extensions.field === "price" && error.message.includes(`send max ${price + 1}`),
    );
    const exactly = await priced(price, price + 1);
    assert.ok(exactly.totalCount >= 1, "the advised range finds the products at that price");
  });
});
