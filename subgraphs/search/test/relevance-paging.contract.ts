import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { generateCatalog } from "../../products/src/catalog/generate-catalog.js";
import { toSearchDocument } from "../src/domain/search-document.js";
import { EVERY_COUNT, type SearchDocument, type SearchIndex, type SearchRequest } from "../src/ports/search-index.js";

const template = toSearchDocument([...generateCatalog({ count: 1 })][0]!.product);
const product = (id: string, createdAt: string, text: { name: string; description: string }): SearchDocument => ({ ...template, id, ...text, createdAt: Date.parse(createdAt), version: 1 });
const byRelevance = (text: string, partial: Partial<SearchRequest> = {}): SearchRequest => ({ text, filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos: false, counts: EVERY_COUNT, ...partial });

/**
 * Relevance as shoppers see it, and pages by relevance that stay total: every match once,
 * whatever is written between two pages. `create` returns a new, empty index.
 */
export function defineRelevancePagingChecks(create: () => Promise<SearchIndex>): void {
  let index: SearchIndex;
  const lantern = { name: "Quillfeather Lantern", description: "A lantern." };
  // Equally good matches: some made the same minute (their ids decide), others apart.
  const twins = Array.from({ length: 13 }, (_, i) => product(`prod_lantern_${String(i).padStart(2, "0")}`, `2026-0${1 + (i % 4)}-01T00:00:00Z`, lantern));

  before(async () => {
    index = await create();
    await index.ensureIndex();
    await index.apply(twins.map((document) => ({ kind: "upsert", document })));
    await index.refresh();
  });
  after(async () => {
    await index?.close();
  });

  it("ranks a product with the words in its name above one with them only in its description, however newer", async () => {
    const older = product("prod_rank_named", "2020-02-01T00:00:00Z", { name: "Marrowleaf Kettle", description: "A kettle." });
    const newer = product("prod_rank_described", "2044-12-01T00:00:00Z", { name: "Brass Hook", description: "Hangs a marrowleaf kettle." });
    await index.apply([older, newer].map((document) => ({ kind: "upsert", document })));
    await index.refresh();
    const { hits } = await index.search(byRelevance("marrowleaf kettle"));
    assert.deepEqual(hits.map((h) => h.id), ["prod_rank_named", "prod_rank_described"]);
  });

  it("ranks equally good matches newer first, then by id", async () => {
    const expected = [...twins].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1)).map((t) => t.id);
    const { hits } = await index.search(byRelevance("quillfeather lantern"));
    assert.deepEqual(hits.map((h) => h.id), expected);
  });

  it("pages through every match exactly once while products with the same words change between pages", async () => {
    const shown: string[] = [];
    let after: SearchRequest["after"];
    let version = 1;
    for (let page = 0; page < 20; page++) {
      const result = await index.search(byRelevance("lantern", { first: 4, after }));
      shown.push(...result.hits.map((h) => h.id));
      if (!result.hasNextPage) break;
      after = result.hits.at(-1)!.sortKey;
      // Between two pages: a new price for a product already shown and for one still to come,
      // and a new product with the word in its description only (it ranks after every twin).
      version++;
      const seen = twins.find((t) => t.id === shown.at(-1))!;
      const unseen = twins.find((t) => !shown.includes(t.id))!;
      await index.apply([
        { kind: "upsert", document: { ...seen, priceAmount: seen.priceAmount + version, version } },
        { kind: "upsert", document: { ...unseen, priceAmount: unseen.priceAmount + version, version } },
        { kind: "upsert", document: product(`prod_lantern_hook_${page}`, "2026-06-01T00:00:00Z", { name: "Brass Hook", description: "Holds a lantern." }) },
      ]);
      await index.refresh();
    }
    const twinsShown = shown.filter((id) => id.startsWith("prod_lantern_") && !id.startsWith("prod_lantern_hook_"));
    assert.deepEqual([...twinsShown].sort(), twins.map((t) => t.id).sort(), `shown: ${shown.join(", ")}`);
    assert.equal(new Set(shown).size, shown.length, `shown twice: ${shown.join(", ")}`);
  });
}
