import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { ADDED_FIELDS, hitsBody, indexDefinition, MAPPING_VERSION } from "../src/adapters/search-dsl.js";
import { suggestCompletions } from "../src/domain/autocomplete.js";
import { EVERY_COUNT, type SearchDocument } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

/** The mapping as version 1 wrote it: no _meta, none of the added fields, analyzers or name sub-fields. */
function versionOneDefinition() {
  const definition = structuredClone(indexDefinition()) as unknown as {
    settings: Record<string, unknown> & { analysis: { filter: Record<string, unknown>; analyzer: Record<string, unknown>; char_filter?: unknown; normalizer?: unknown } };
    mappings: { _meta?: unknown; properties: Record<string, { fields?: Record<string, unknown> }> };
  };
  delete definition.settings.max_ngram_diff;
  delete definition.settings.analysis.filter.word_infixes;
  delete definition.settings.analysis.analyzer.word_infix_index;
  delete definition.settings.analysis.analyzer.name_phrase_text;
  delete definition.settings.analysis.char_filter;
  delete definition.settings.analysis.normalizer;
  delete definition.mappings._meta;
  for (const field of Object.keys(ADDED_FIELDS)) delete definition.mappings.properties[field];
  delete definition.mappings.properties.name!.fields!.infix;
  delete definition.mappings.properties.name!.fields!.phrase;
  return definition;
}

const versionOneDocument = (document: SearchDocument) => {
  const { popularity: _p, priceMax: _m, variants: _v, optionFacets: _o, ...old } = document;
  return old;
};

describeWithRealEngine({ suite: "Search index upgrade", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Search index upgrade", "opensearch"), { timeout: 60_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `upgrade_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const catalog = judgedCatalog().slice(0, 120);
    let index: OpenSearchIndex;
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json() as Promise<any>);

    before(async () => {
      await send("PUT", `/${alias}_v1`, { ...versionOneDefinition(), aliases: { [alias]: {} } });
      for (const document of catalog.slice(0, 40)) await send("PUT", `/${alias}/_doc/${document.id}?version=${document.version}&version_type=external`, versionOneDocument(document));
      await send("POST", `/${alias}/_refresh`);
      index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
    });
    after(async () => {
      await index?.close();
      await send("DELETE", `/${alias}_*`).catch(() => undefined);
    });

    it("finds an index made by an older mapping, lets live changes in and answers searches until it is rebuilt", async () => {
      await index.ensureIndex();
      assert.equal(await index.needsRebuild(), true);
      await index.apply([{ kind: "upsert", document: { ...catalog[0]!, version: 5 } }]);
      await index.refresh();
      const filtered = await index.search({ text: "", filter: { price: { max: 1_000_000 }, options: [{ name: "Size", values: ["M"] }] }, sort: "RELEVANCE", first: 5, forgiveTypos: false, counts: EVERY_COUNT });
      assert.ok(filtered.totalCount! >= 0);
      assert.ok((await suggestCompletions(index, "wireless", { limit: 5 })).length > 0, "word starts still match on the old mapping");
    });

    it("rebuilds into the current mapping behind the alias, after which nothing is outdated", async () => {
      const { indexed } = await index.rebuild(
        (async function* () {
          yield catalog;
        })(),
      );
      assert.equal(indexed, catalog.length);
      assert.equal(await index.needsRebuild(), false);
      const mapping = await send("GET", `/${alias}/_mapping`);
      assert.deepEqual(Object.values(mapping).map((m: any) => m.mappings._meta.mappingVersion), [MAPPING_VERSION]);
      const reopened = await OpenSearchIndex.connect(url, { alias });
      await reopened.ensureIndex();
      assert.equal(await reopened.needsRebuild(), false, "a later start finds it current");
      await reopened.close();
      const infix = await suggestCompletions(index, "phones", { limit: 3 });
      assert.ok(infix.some((s) => s.text.includes("Headphones")), "the inside of a word matches after the rebuild");
      // The word still being typed is read as one term of all_text's prefix field, not
      // expanded into every word that starts so.
      const { query } = hitsBody({ text: "wireless head", filter: {}, sort: "RELEVANCE", first: 5, forgiveTypos: false, counts: EVERY_COUNT });
      const explained = await send("POST", `/${alias}/_validate/query?explain=true&rewrite=true`, { query });
      const rewritten = explained.explanations.map((e: { explanation: string }) => e.explanation).join(" ");
      assert.match(rewritten, /all_text\._index_prefix:head\b/);
    });
  });
});
