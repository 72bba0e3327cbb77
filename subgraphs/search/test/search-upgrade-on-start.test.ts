import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { createLogger, loadConfig, openPlatform } from "#kernel";
import { describeWithRealEngine } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { bulkBody, indexDefinition } from "../src/adapters/search-dsl.js";
import { startSearchSubgraph } from "../src/search-subgraph.js";
import type { CatalogSource } from "../src/ports/catalog-source.js";
import { judgedCatalog } from "./search-index.contract.js";

describeWithRealEngine({ suite: "Search subgraph start after an upgrade", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  it("is ready at once on an index made by an older mapping, answers from it while the new one is built, then from the new one", { timeout: 90_000 }, async () => {
    const base = url.replace(/\/$/, "");
    const alias = `startup_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const catalog = judgedCatalog().slice(0, 60);
    // An index of an older mapping version, holding part of the catalog.
    const old = structuredClone(indexDefinition()) as unknown as { mappings: { _meta?: { mappingVersion: number } } };
    old.mappings._meta = { mappingVersion: 1 };
    await send("PUT", `/${alias}_old`, { ...old, aliases: { [alias]: {} } });
    for (const document of catalog.slice(0, 20)) await send("PUT", `/${alias}/_doc/${document.id}?version=${document.version}&version_type=external`, document);
    await send("POST", `/${alias}/_refresh`);

    // A catalog that holds the rebuild until the test lets it go (a million products' worth).
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowCatalog: CatalogSource = {
      async *scan() {
        await released;
        yield catalog;
      },
      close: async () => {},
    };
    const platform = await openPlatform(loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" }), createLogger("silent"), { needsDatabase: false });
    const index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
    const startedAt = performance.now();
    const search = await startSearchSubgraph(platform, { port: 0, index, catalog: slowCatalog });
    try {
      assert.ok(performance.now() - startedAt < 30_000, "ready without waiting for the rebuild");
      assert.equal(await index.needsRebuild(), true, "the rebuild has not happened yet");
      assert.equal(await index.count(), 20, "the old index answers meanwhile");
      release();
      await waitUntil(async () => !(await index.needsRebuild()));
      await index.refresh();
      assert.equal(await index.count(), catalog.length, "the new index holds the whole catalog");
    } finally {
      release();
      await search.close();
      await platform.close();
      await send("DELETE", `/${alias}_*`).catch(() => undefined);
    }
  });

  it("makes the suggestion index a current product index lacks from that index, in the background, without reading the catalog", { timeout: 90_000 }, async () => {
    const base = url.replace(/\/$/, "");
    const alias = `startup_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const send = (method: string, path: string, body?: unknown, ndjson?: string) =>
      fetch(`${base}${path}`, { method, headers: { "content-type": ndjson ? "application/x-ndjson" : "application/json" }, body: ndjson ?? (body === undefined ? undefined : JSON.stringify(body)) }).then((r) => r.json() as Promise<any>);
    const catalog = judgedCatalog().slice(0, 60);
    await send("PUT", `/${alias}_current`, { ...indexDefinition(), aliases: { [alias]: {} } });
    await send("POST", "/_bulk?refresh=true", undefined, bulkBody(catalog.map((document) => ({ kind: "upsert" as const, document })), [alias]));
    const untouched: CatalogSource = {
      // eslint-disable-next-line require-yield
      async *scan() {
        throw new Error("the catalog was read");
      },
      close: async () => {},
    };
    const platform = await openPlatform(loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent" }), createLogger("silent"), { needsDatabase: false });
    const index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100 });
    const search = await startSearchSubgraph(platform, { port: 0, index, catalog: untouched });
    try {
      assert.equal(await index.needsRebuild(), false);
      await waitUntil(async () => !(await index.suggestionsOutdated()));
      await index.refresh();
      const names = await send("POST", `/${alias}_names/_count`, { query: { exists: { field: "name" } } });
      assert.equal(names.count, new Set(catalog.map((d) => d.name)).size, "a document per distinct name");
    } finally {
      await search.close();
      await platform.close();
      await send("DELETE", `/${alias}_*`).catch(() => undefined);
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("the background rebuild did not finish in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
