import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { EVERY_COUNT } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

describeWithRealEngine({ suite: "Search index rebuild merge", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Search index rebuild merge", "opensearch"), { timeout: 60_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `merge_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const send = (method: string, path: string) => fetch(`${base}${path}`, { method }).then((r) => r.json() as Promise<any>);
    const segments = async () => {
      const body = await send("GET", `/${alias}/_segments`);
      return Object.values(body.indices as Record<string, { shards: Record<string, { num_search_segments: number }[]> }>)
        .flatMap((index) => Object.values(index.shards).flat())
        .reduce((sum, shard) => sum + shard.num_search_segments, 0);
    };
    let index: OpenSearchIndex | undefined;
    after(async () => {
      await index?.close();
      await fetch(`${base}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
    });

    it("merges a rebuilt index into one segment once it answers, however many segments the load left", async () => {
      index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
      await index.ensureIndex();
      const catalog = judgedCatalog();
      const pages = 4;
      const { indexed } = await index.rebuild(
        (async function* () {
          for (let page = 0; page < pages; page++) {
            yield catalog.filter((_, i) => i % pages === page);
            // Each refresh of the index being built writes what it has so far as a segment.
            await new Promise((resolve) => setTimeout(resolve, 100));
            await send("POST", `/${alias}_building/_refresh`);
          }
        })(),
      );
      assert.equal(indexed, catalog.length);
      await waitFor("the rebuilt index is one segment", async () => (await segments()) === 1, { timeoutMs: 20_000, intervalMs: 100 });
      const result = await index.search({ text: "headphones", filter: {}, sort: "RELEVANCE", first: 3, forgiveTypos: false, counts: EVERY_COUNT });
      assert.ok(result.totalCount! > 0, "it answers after the merge");
    });
  });
});
