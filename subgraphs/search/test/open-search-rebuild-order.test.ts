import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import type { SearchDocument } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

// A relevance page costs least on an index whose documents are stored newest first (recency is
// part of the score; BENCHMARKS.md, "Documents stored newest first"). The rebuild is fed the
// catalog newest first, and every write after it appends; this checks the engine's merges keep
// the order the documents were written in.
describeWithRealEngine({ suite: "Search index document order", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Search index document order", "opensearch"), { timeout: 90_000 }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `order_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const send = async (method: string, path: string, body?: unknown) =>
      (await fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;
    const segments = async () => {
      const body = await send("GET", `/${alias}/_segments`);
      return Object.values(body.indices as Record<string, { shards: Record<string, { num_search_segments: number }[]> }>)
        .flatMap((index) => Object.values(index.shards).flat())
        .reduce((sum, shard) => sum + shard.num_search_segments, 0);
    };
    /** The documents' ids in the order the index stores them. */
    const storedOrder = async (): Promise<string[]> =>
      (await send("POST", `/${alias}/_search`, { size: 1_000, sort: ["_doc"], _source: false })).hits.hits.map((hit: { _id: string }) => hit._id);
    let index: OpenSearchIndex | undefined;
    after(async () => {
      await index?.close();
      await fetch(`${base}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
    });

    it("keeps documents in the order they were written while writes after a rebuild are merged", async () => {
      index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
      await index.ensureIndex();
      const catalog = judgedCatalog();
      const rebuilt = catalog.slice(0, 10);
      await index.rebuild((async function* () { yield rebuilt; })());
      await waitFor("the rebuilt index is one segment", async () => (await segments()) === 1, { timeoutMs: 20_000, intervalMs: 100 });
      // Then writes of growing size, each made searchable as a segment of its own: the engines'
      // default policy merges segments by size, the larger first, wherever they lie.
      const written: SearchDocument[] = [];
      let next = rebuilt.length;
      for (let round = 1; next + round <= catalog.length && round <= 16; round++) {
        const documents = catalog.slice(next, next + round);
        next += round;
        await index.apply(documents.map((document) => ({ kind: "upsert", document })));
        await send("POST", `/${alias}/_refresh`);
        written.push(...documents);
      }
      assert.ok(written.length >= 100, "the judged catalog fills the rounds");
      await waitFor("the engine has merged the writes' segments", async () => (await segments()) < 10, { timeoutMs: 30_000, intervalMs: 200 });
      assert.deepEqual(await storedOrder(), [...rebuilt, ...written].map((document) => document.id));
    });
  });
});
