import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { hitsBody } from "../src/adapters/search-dsl.js";
import type { SearchRequest } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";
import { recencyKeyOf } from "../src/domain/word-recency.js";

/** Names the engine folds and splits in every way word-recency.ts must follow. */
const UNUSUAL_NAMES = ["Crème Brûlée Torch ½inch", "Søren Ærø Straße Lamp", "O'Neil Wetsuit 3.5mm", "ﬁne ＡＢＣ Café™ Kettle", "İstanbul Wi-Fi Router①", "Łódź Ðoor Þing"];

// A relevance page sends its clauses as one flat disjunction beside the words as a filter
// (search-dsl.ts, relevanceQuery), where it sent the words as a scoring clause and recency
// beside them. Cursors carry the last hit's score, so the flat form must score every product
// exactly as the nested form did, to the bit, not just rank alike.
describeWithRealEngine({ suite: "Relevance scores, flat and nested", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Relevance scores, flat and nested", "opensearch"), { timeout: 60_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `scores_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const judged = judgedCatalog();
    const unusual = UNUSUAL_NAMES.map((name, i) => ({ ...judged[i]!, id: `prod_unusual_${i}`, name, description: `${name}. ${judged[i]!.description}`, createdAt: judged[i]!.createdAt + i * 3_600_000 }));
    const catalog = [...judged, ...unusual];
    let index: OpenSearchIndex | undefined;
    before(async () => {
      index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
      await index.ensureIndex();
      await index.apply(catalog.map((document) => ({ kind: "upsert", document })));
      await index.refresh();
    });
    after(async () => {
      await index?.close();
      await fetch(`${base}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
    });

    /** Every match's score and id, best first, for a body's query. */
    const scored = async (query: unknown): Promise<unknown[][]> => {
      const response = await fetch(`${base}/${alias}/_search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ size: catalog.length, query, sort: [{ _score: "desc" }, { id: "asc" }], _source: false }) });
      return ((await response.json()) as { hits: { hits: { sort: unknown[] }[] } }).hits.hits.map((hit) => hit.sort);
    };

    /** The same clauses nested as before: the words (matching, then ranking) required, recency beside them. */
    const nested = (flat: { bool: { filter: { bool: { should: unknown[] } }[]; should: unknown[] } }) => {
      const [matching, ...filters] = flat.bool.filter;
      const should = flat.bool.should;
      const matchingScores = matching!.bool.should.length;
      return {
        bool: {
          must: [{ bool: { must: [matching], should: should.slice(matchingScores, -1) } }],
          filter: filters,
          should: should.slice(-1),
        },
      };
    };

    // The catalog's commonest nouns: the most matches, and the most ties for recency to break.
    const counted = new Map<string, number>();
    for (const document of catalog) for (const word of document.name.toLowerCase().split(" ")) counted.set(word, (counted.get(word) ?? 0) + 1);
    const nouns = [...counted].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([word]) => word);
    const requests: Partial<SearchRequest>[] = [
      ...nouns.map((text) => ({ text })),
      // Several words, the last still being typed, and words found in several fields.
      ...catalog.slice(0, 4).map((document) => ({ text: document.name.toLowerCase().split(" ").slice(-2).join(" ") })),
      { text: catalog[0]!.name.toLowerCase().slice(0, 4) },
      { text: `${catalog[1]!.brand} ${catalog[1]!.name.split(" ").at(-1)}`.toLowerCase() },
      { text: nouns[0]!, filter: { categories: [catalog[0]!.category] } },
    ];

    it("scores every match of a relevance page as the nested form did, to the bit", async () => {
      let compared = 0;
      for (const partial of requests) {
        const request = { text: "", filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos: false, counts: { total: false, facets: new Set() }, ...partial } as SearchRequest;
        const flat = hitsBody(request).query as unknown as Parameters<typeof nested>[0];
        const [flatScores, nestedScores] = [await scored(flat), await scored(nested(flat))];
        assert.deepEqual(flatScores, nestedScores, JSON.stringify(partial));
        compared += flatScores.length;
      }
      assert.ok(compared > 200, `only ${compared} matches compared`);
    });

    // Recency read under a start of a searched word (word-recency.ts) must be the product-wide
    // recency for every match, or a cursor's score would not be the one the next page finds.
    const request = (partial: Partial<SearchRequest>) => ({ text: "", filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos: false, counts: { total: false, facets: new Set() }, ...partial }) as SearchRequest;
    const sameScoresByWord = async (partial: Partial<SearchRequest>) => {
      const [byWord, productWide] = [hitsBody(request(partial)).query, hitsBody(request(partial), { recencyByWord: false }).query];
      const scores = await scored(byWord);
      assert.deepEqual(scores, await scored(productWide), JSON.stringify(partial));
      return scores.length;
    };

    it("scores every match the same with recency read under a searched word as with the product-wide feature, to the bit", async () => {
      let compared = 0;
      const byWord = requests.filter((partial) => JSON.stringify(hitsBody(request(partial))).includes('"wordRecency.'));
      assert.ok(byWord.length >= requests.length - 2, `${byWord.length} of ${requests.length} read recency under a word`);
      for (const partial of byWord) compared += await sameScoresByWord(partial);
      assert.ok(compared > 200, `only ${compared} matches compared`);
    });

    it("finds the key in every product holding a word the engine reads, however it folds and splits the text", async () => {
      let searched = 0;
      for (const name of UNUSUAL_NAMES) {
        const response = await fetch(`${base}/${alias}/_analyze`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ analyzer: "product_text", text: name }) });
        const tokens = ((await response.json()) as { tokens: { token: string }[] }).tokens.map((token) => token.token);
        // Each word the engine reads as a search of its own, whole and as typed (its first four letters).
        for (const text of [...tokens, ...tokens.map((token) => token.slice(0, 4))]) {
          if (recencyKeyOf(text) === undefined) continue;
          assert.ok((await sameScoresByWord({ text })) > 0, `${text} (from ${name}) matches`);
          searched++;
        }
      }
      assert.ok(searched > 20, `only ${searched} searches`);
    });
  });
});
