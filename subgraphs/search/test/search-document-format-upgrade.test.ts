import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { createLogger, createSubgraphClient, loadConfig, openPlatform } from "#kernel";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { generateCatalog } from "../../products/src/catalog/generate-catalog.js";
import { EmbeddedSearchIndex } from "../src/adapters/embedded-search-index.js";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { indexDefinition, MAPPING_VERSION } from "../src/adapters/search-dsl.js";
import { DOCUMENT_FORMAT } from "../src/domain/document-format.js";
import { toSearchDocument, type IndexableProduct } from "../src/domain/search-document.js";
import { startSearchSubgraph } from "../src/search-subgraph.js";
import type { CatalogSource } from "../src/ports/catalog-source.js";
import type { SearchDocument, SearchIndex } from "../src/ports/search-index.js";

const SEARCH = `query Search($query: String!) { search(query: $query, first: 5) { totalCount edges { node { id } } } }`;

/** A small catalog with a C# book, each product as this version indexes it and as format 1 did. */
function catalogOfTwoFormats(): { current: SearchDocument[]; older: SearchDocument[]; sku: string; skuOwner: string } {
  const products: IndexableProduct[] = [...generateCatalog({ count: 30 })].map((generated) => generated.product);
  products.push({ ...products[0]!, id: "book-csharp", name: "C# in Depth", description: "The language from C# 1 to C# 12.", attributes: {}, sku: "BOO-CSHARP", variants: undefined });
  const current = products.map((product) => toSearchDocument(product));
  // Format 1 kept a product's attribute values alone: no SKUs, no spelled-out C#.
  const older = products.map((product) => ({ ...toSearchDocument(product), attributes: Object.values(product.attributes ?? {}) }));
  const owner = products[3]!;
  return { current, older, sku: owner.sku!, skuOwner: owner.id };
}

/**
 * An index filled by an older version of `toSearchDocument` answers without error but misses
 * what the new words find (a SKU, "C#"): a start on it rebuilds it behind the alias, under the
 * rebuild claim, and then they are found. `makeOlderIndex` gives an index holding `older`
 * documents as the older version left it.
 */
function defineFormatUpgrade(engine: string, makeOlderIndex: (alias: string, older: SearchDocument[]) => Promise<{ index: SearchIndex; drop(): Promise<void> }>) {
  it(`${engine}: a start on an index of an older document format rebuilds it under the claim, then finds SKUs and C#`, { timeout: 90_000 }, async () => {
    const { current, older, sku, skuOwner } = catalogOfTwoFormats();
    const alias = `format_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const { index, drop } = await makeOlderIndex(alias, older);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let scanned = false;
    const catalog: CatalogSource = {
      async *scan() {
        scanned = true;
        await released;
        yield current;
      },
      close: async () => {},
    };
    const config = loadConfig({ APP_ENV: "test", LOG_LEVEL: "silent", SEARCH_INDEX: alias });
    const platform = await openPlatform(config, createLogger("silent"), { needsDatabase: false });
    const search = await startSearchSubgraph(platform, { port: 0, index, catalog });
    const client = createSubgraphClient({ url: search.url, audience: "search", internalSecret: config.auth.internalSecret, serviceName: "gateway-test" });
    const found = (query: string) => client.request<{ search: { totalCount: number; edges: { node: { id: string } }[] } }>(SEARCH, { query }).then((d) => d.search.edges.map((e) => e.node.id));
    try {
      assert.equal(await index.needsRebuild(), true, "an index of an older document format calls for a rebuild");
      await waitFor("the rebuild reads the catalog", () => scanned, { timeoutMs: 30_000 });
      assert.ok(await platform.kv.get(`search:reorder:${alias}`), "the start's rebuild holds the rebuild claim, so one replica rebuilds");
      assert.deepEqual(await found(sku), [], "the older documents miss the SKU (the gap being closed)");
      assert.equal((await index.count()) > 0, true, "the older index answers meanwhile");

      release();
      await waitFor("the rebuild is done", async () => !(await index.needsRebuild()), { timeoutMs: 60_000, intervalMs: 50 });
      await index.refresh();
      assert.deepEqual(await found(sku), [skuOwner], "found by its SKU once rebuilt");
      assert.deepEqual(await found("C#"), ["book-csharp"], "found by C# once rebuilt");
      await waitFor("the claim is given back", async () => (await platform.kv.get(`search:reorder:${alias}`)) === null);
    } finally {
      release();
      await client.close();
      await search.close();
      await platform.close();
      await drop();
    }
  });
}

describe("Search index document format: embedded", () => {
  defineFormatUpgrade("embedded", async (_alias, older) => {
    const index = new EmbeddedSearchIndex({ documentFormat: 1 });
    await index.apply(older.map((document) => ({ kind: "upsert", document })));
    return { index, drop: async () => {} };
  });
});

describeWithRealEngine({ suite: "Search index document format", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  const base = url.replace(/\/$/, "");
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json() as Promise<any>);

  defineFormatUpgrade("opensearch", async (alias, older) => {
    // The current mapping as the version before formats were recorded made it: no documentFormat in its _meta.
    const definition = structuredClone(indexDefinition()) as unknown as { mappings: { _meta: Record<string, unknown> } };
    definition.mappings._meta = { mappingVersion: MAPPING_VERSION };
    await send("PUT", `/${alias}_old`, { ...definition, aliases: { [alias]: {} } });
    const index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100, writeTargetTtlMs: 100 });
    await index.apply(older.map((document) => ({ kind: "upsert", document })));
    await index.refresh();
    return { index, drop: () => send("DELETE", `/${alias}_*`).then(() => undefined) };
  });

  it("opensearch: an index rebuilt by this version records its document format, and the next start leaves it as it is", { timeout: 60_000 }, async () => {
    const { current } = catalogOfTwoFormats();
    const alias = `format_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const first = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 100, writeTargetTtlMs: 100 });
    try {
      await first.ensureIndex();
      await first.rebuild(
        (async function* () {
          yield current;
        })(),
      );
      const mapping = await send("GET", `/${alias}/_mapping`);
      const metas = Object.values(mapping as Record<string, { mappings: { _meta: { documentFormat?: number; writtenInOrder?: number } } }>).map((i) => i.mappings._meta);
      assert.deepEqual(metas.map((meta) => [meta.documentFormat, meta.writtenInOrder]), [[DOCUMENT_FORMAT, current.length]]);
      const next = await OpenSearchIndex.connect(url, { alias });
      try {
        await next.ensureIndex();
        assert.equal(await next.needsRebuild(), false, "a start after the rebuild does not rebuild again");
      } finally {
        await next.close();
      }
    } finally {
      await first.close();
      await send("DELETE", `/${alias}_*`).catch(() => undefined);
    }
  });
});
