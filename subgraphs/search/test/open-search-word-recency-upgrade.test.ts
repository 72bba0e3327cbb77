import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { bulkBody, hitsBody, indexDefinition } from "../src/adapters/search-dsl.js";
import type { SearchRequest } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

/** The mapping as version 6 wrote it: recency for the whole product only. */
function versionSixDefinition() {
  const definition = structuredClone(indexDefinition()) as unknown as { mappings: { _meta: { mappingVersion: number }; properties: Record<string, unknown> } };
  definition.mappings._meta.mappingVersion = 6;
  delete definition.mappings.properties.wordRecency;
  return definition;
}

// An index made before recency was kept under words (mapping 7) answers until its upgrade
// rebuild with documents that hold none: its pages must read the product-wide recency, or equal
// matches would fall back to id order while it is rebuilt.
describeWithRealEngine({ suite: "Recency under words, before the upgrade rebuild", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Recency under words, before the upgrade rebuild", "opensearch"), { timeout: 60_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `wordrec_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const catalog = judgedCatalog();
    const send = (method: string, path: string, body?: unknown, ndjson?: string) =>
      fetch(`${base}${path}`, { method, headers: { "content-type": ndjson ? "application/x-ndjson" : "application/json" }, body: ndjson ?? (body === undefined ? undefined : JSON.stringify(body)) }).then((r) => r.json() as Promise<any>);
    let index: OpenSearchIndex;

    before(async () => {
      await send("PUT", `/${alias}_v6`, { ...versionSixDefinition(), aliases: { [alias]: {} } });
      const lines = bulkBody(catalog.map((document) => ({ kind: "upsert", document })), [`${alias}_v6`]).trim().split("\n").map((line) => JSON.parse(line));
      const versionSix = lines.map((line) => JSON.stringify(line.wordRecency ? { ...line, wordRecency: undefined } : line)).join("\n") + "\n";
      const written = await send("POST", "/_bulk?refresh=true", undefined, versionSix);
      assert.equal(written.errors, false);
      index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
      await index.ensureIndex();
    });
    after(async () => {
      await index?.close();
      await send("DELETE", `/${alias}_*`).catch(() => undefined);
    });

    /** Every id of a relevance search's first page as the engine ranks the body's query. */
    const ranked = async (query: unknown, size: number) =>
      ((await send("POST", `/${alias}/_search`, { size, query, sort: [{ _score: "desc" }, { id: "asc" }], _source: false })).hits.hits as { sort: [number, string] }[]).map((hit) => hit.sort[1]);

    it("ranks equal matches newest first while it awaits its rebuild, as after it", async () => {
      assert.equal(await index.needsRebuild(), true);
      // The commonest word of the names: the most equal matches for recency to order.
      const counted = new Map<string, number>();
      for (const document of catalog) for (const word of document.name.toLowerCase().split(" ")) if (word.length >= 3) counted.set(word, (counted.get(word) ?? 0) + 1);
      const [text] = [...counted].sort((a, b) => b[1] - a[1])[0]!;
      const request: SearchRequest = { text, filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos: false, counts: { total: false, facets: new Set() } };
      const served = (await index.search(request)).hits.map((hit) => hit.id);
      assert.deepEqual(served, await ranked(hitsBody(request, { recencyByWord: false }).query, 20));
      assert.notDeepEqual(served, await ranked(hitsBody(request).query, 20), "read under the word, this index would order its equal matches by id");
    });
  });
});
