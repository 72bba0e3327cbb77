import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import type { SubgraphClient } from "#kernel";
import { generateCatalog } from "../../../products/src/catalog/generate-catalog.js";
import { toSearchDocument } from "../../src/domain/search-document.js";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const SEARCH = `query Search($query: String!) { search(query: $query, first: 10) { totalCount edges { node { id name } } } }`;

/** Books of the catalog's books category, named and described as a store of programming books would. */
function book(id: string, name: string, description: string) {
  const template = [...generateCatalog({ count: 1 })][0]!.product;
  return toSearchDocument({ ...template, id, name, description, category: "books", brand: "Lantern Books", attributes: {}, sku: id.toUpperCase(), variants: undefined });
}

const BOOKS = [
  book("book-csharp", "C# in Depth", "The language from C# 1 to C# 12, for working developers."),
  book("book-cpp", "Modern C++ Design", "Generic programming and design patterns applied in C++."),
  book("book-fsharp", "Domain Modeling Made Functional", "Tackle software complexity with domain-driven design and F#."),
  book("book-c", "The C Programming Language", "The classic introduction to C, by its authors."),
];

/**
 * A store selling programming books: "C#" was refused as a search of a single letter, and "C++
 * design" searched the whole word "c", which the plain C book held as much as the C++ one.
 */
describe("search API: names of one letter and a symbol (search subgraph, embedded index)", () => {
  let rig: EmbeddedSearchRig;
  let client: SubgraphClient;
  const names = (query: string) => client.request<{ search: { totalCount: number; edges: { node: { id: string } }[] } }>(SEARCH, { query }).then((d) => d.search.edges.map((e) => e.node.id));

  before(async () => {
    rig = await startEmbeddedSearch([...judgedCatalog(), ...BOOKS]);
    ({ client } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it("finds the books a name with a symbol names, in any case, and only those", async () => {
    assert.deepEqual(await names("C#"), ["book-csharp"]);
    assert.deepEqual(await names("c#"), ["book-csharp"]);
    assert.deepEqual(await names("C++"), ["book-cpp"]);
    assert.deepEqual(await names("f#"), ["book-fsharp"]);
    assert.deepEqual(await names("C++ design"), ["book-cpp"], "not the C book, nor other design books without C++");
    assert.deepEqual(await names("csharp"), ["book-csharp"], "the spelled word finds it too");
  });

  it("still refuses a lone letter with no symbol", async () => {
    await assert.rejects(names("c"), (error: unknown) => error instanceof GraphQLError && error.extensions.code === "BAD_USER_INPUT");
  });
});
