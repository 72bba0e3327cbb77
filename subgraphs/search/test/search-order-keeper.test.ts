import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { createLogger, loadConfig, openPlatform } from "#kernel";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { startSearchSubgraph } from "../src/search-subgraph.js";
import type { CatalogSource } from "../src/ports/catalog-source.js";
import { judgedCatalog } from "./search-index.contract.js";

// An index filled by live changes alone (a catalog loaded through its change events) stores its
// products oldest first, where a relevance page costs least on one stored newest first
// (search-order.ts). The search subgraph notices and rebuilds it in order, once the writing has
// settled, while it keeps answering.
describeWithRealEngine({ suite: "Search index kept newest first", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  it("rebuilds an index filled oldest first by live changes into one stored newest first, and records what it wrote in order", { timeout: 90_000 }, async () => {
    const base = url.replace(/\/$/, "");
    const alias = `keeper_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const storedOrder = async (): Promise<string[]> => (await send("POST", `/${alias}/_search`, { size: 1_000, sort: ["_doc"], _source: false })).hits.hits.map((hit: { _id: string }) => hit._id);
    const oldestFirst = judgedCatalog().sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const newestFirst = [...oldestFirst].reverse();
    const catalog: CatalogSource = {
      async *scan() {
        yield newestFirst;
      },
      close: async () => {},
    };
    const index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
    await index.ensureIndex();
    for (let start = 0; start < oldestFirst.length; start += 10) {
      await index.apply(oldestFirst.slice(start, start + 10).map((document) => ({ kind: "upsert" as const, document })));
    }
    await index.refresh();
    assert.deepEqual(await index.storageOrder(), { documents: oldestFirst.length, writtenInOrder: 0 });
    assert.equal((await storedOrder())[0], oldestFirst[0]!.id, "stored oldest first");

    const platform = await openPlatform(loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent", SEARCH_INDEX: alias, SEARCH_REORDER_CHECK_SECONDS: "1" }), createLogger("silent"), { needsDatabase: false });
    const search = await startSearchSubgraph(platform, { port: 0, index, catalog, reorderPolicy: { minAppended: 10, appendedShare: 0.2, settledShare: 0.01 } });
    try {
      await waitFor("the index was rebuilt in order", async () => (await index.storageOrder()).writtenInOrder === oldestFirst.length, { timeoutMs: 30_000, intervalMs: 200 });
      await index.refresh();
      const stored = await storedOrder();
      assert.equal(stored.length, newestFirst.length);
      assert.equal(stored[0], newestFirst[0]!.id, "the newest product is stored first");
      // A product created after the rebuild is appended: the record of what was written in order stays.
      const created = { ...newestFirst[0]!, id: "prod_created_after", createdAt: newestFirst[0]!.createdAt + 60_000, version: 1 };
      await index.apply([{ kind: "upsert", document: created }]);
      await index.refresh();
      assert.deepEqual(await index.storageOrder(), { documents: oldestFirst.length + 1, writtenInOrder: oldestFirst.length });
    } finally {
      await search.close();
      await platform.close();
      await send("DELETE", `/${alias}_*`).catch(() => undefined);
    }
  });
});
