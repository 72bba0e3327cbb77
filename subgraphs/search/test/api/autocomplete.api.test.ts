import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import type { SubgraphClient } from "#kernel";
import type { RunningSearch } from "../../src/search-subgraph.js";
import { judgedCatalog } from "../search-index.contract.js";
import { startEmbeddedSearch, type EmbeddedSearchRig } from "./embedded-search-rig.js";

const AUTOCOMPLETE = `query Autocomplete($prefix: String!, $first: Int, $kinds: [SuggestionKind!]) {
  autocomplete(prefix: $prefix, first: $first, kinds: $kinds) { kind text product { id } category brand }
}`;

interface Suggestion {
  kind: "PRODUCT" | "CATEGORY" | "BRAND";
  text: string;
  product: { id: string } | null;
  category: string | null;
  brand: string | null;
}

describe("autocomplete API (search subgraph, embedded index)", () => {
  let rig: EmbeddedSearchRig;
  let search: RunningSearch;
  let client: SubgraphClient;
  const documents = judgedCatalog();
  const suggest = (prefix: string, extra: { first?: number; kinds?: string[] } = {}) =>
    client.request<{ autocomplete: Suggestion[] }>(AUTOCOMPLETE, { prefix, ...extra }).then((d) => d.autocomplete);

  before(async () => {
    rig = await startEmbeddedSearch(documents);
    ({ search, client } = rig);
  });
  after(async () => {
    await rig?.close();
  });

  it("names what each suggestion is: a product, or the category or brand value to filter by", async () => {
    const suggestions = await suggest("kitch", { first: 4 });
    assert.deepEqual(suggestions.slice(0, 2), [
      { kind: "CATEGORY", text: "home-kitchen", product: null, category: "home-kitchen", brand: null },
      { kind: "BRAND", text: "Ember Kitchen", product: null, category: null, brand: "Ember Kitchen" },
    ]);
    for (const s of suggestions.slice(2)) {
      assert.equal(s.kind, "PRODUCT");
      assert.equal(s.text, documents.find((d) => d.id === s.product?.id)?.name);
      assert.equal(s.category, null);
      assert.equal(s.brand, null);
    }
  });

  it("gives product names only when asked, as before categories and brands were suggested", async () => {
    const suggestions = await suggest("kitch", { kinds: ["PRODUCT"] });
    assert.ok(suggestions.length > 0);
    assert.ok(suggestions.every((s) => s.kind === "PRODUCT" && s.product !== null));
  });

  it("refuses a 10 KB prefix with a coded error and answers odd input with nothing rather than an error", async () => {
    await assert.rejects(suggest("headphones ".repeat(1_000)), (error: unknown) => error instanceof GraphQLError && error.extensions.code === "BAD_USER_INPUT");
    for (const odd of ["", "   ", "🎧", ".*", "(((", "%", "\\", "'; DROP TABLE products; --"]) {
      assert.deepEqual(await suggest(odd), [], JSON.stringify(odd));
    }
    await assert.rejects(suggest("wi", { first: 500 }), (error: unknown) => error instanceof GraphQLError && error.extensions.code === "BAD_USER_INPUT", "at most 20");
  });

  it("answers many keystrokes at once while the catalog changes, every answer whole", async () => {
    const prefixes = ["w", "wi", "wir", "wire", "wirel", "wirele", "wireles", "wireless", "wireless h", "wireless he"];
    const changes = documents.slice(0, 50).map((d) => ({ kind: "upsert" as const, document: { ...d, version: d.version + 1, popularity: d.popularity + 1 } }));
    const [answers] = await Promise.all([Promise.all(prefixes.flatMap((p) => [suggest(p), suggest(p)])), search.index.apply(changes)]);
    for (const [i, answer] of answers.entries()) {
      assert.ok(answer.length > 0, prefixes[Math.floor(i / 2)]);
      assert.equal(new Set(answer.map((s) => s.text)).size, answer.length);
    }
  });
});
