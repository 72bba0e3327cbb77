import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { hitsBody } from "../src/adapters/search-dsl.js";
import type { SearchRequest } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

// A relevance page sends its clauses as one flat disjunction beside the words as a filter
// (search-dsl.ts, relevanceQuery), where it sent the words as a scoring clause and recency
// beside them. Cursors carry the last hit's score, so the flat form must score every product
// exactly as the nested form did, to the bit, not just rank alike.
describeWithRealEngine({ suite: "Relevance scores, flat and nested", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Relevance scores, flat and nested", "opensearch"), { timeout: 60_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `scores_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const catalog = judgedCatalog();
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
  });
});
