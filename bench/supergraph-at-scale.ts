// The whole supergraph at the catalog's design size on the real engines (FerretDB, PostgreSQL,
// Redis, OpenSearch, Kafka), against the demo size in the same run: `npm start` time to ready,
// the stock mirror built after it, then idle CPU, then through the gateway `product(id)` with
// stock, a listing page with its total, a deep cursor page, search with facets and with hits only, autocomplete at the first keystrokes (all uncached: response cache and hot product
// cache off), write to searchable, and whether the hot product cache fills at that size.
//
//   eval "$(scripts/services.sh env)"
//   nice -n 10 npx tsx bench/supergraph-at-scale.ts --products 1000000 --name catalog_1m [--compare 600]
//       [--duration 10] [--warmup 5] [--connections 1,8] [--writes 20] [--load-only] [--redis-db 8] [--cold]
//
// Before measuring, each size's catalog is read into memory (FerretDB's tables on PostgreSQL,
// `pg_prewarm`), as a store serving its catalog keeps it; `--cold` leaves the caches as they are
// (a product read at random then costs the disk's random reads). Each figure prints the pages
// the document engine read from outside its buffers per request.
//
// Each size is a deployment of its own on the shared engines (see scaleEnvironment), loaded by
// this script (products, stock, search documents; ~20-30 min for 1M here) or reused when a
// previous run left exactly that size. Accounts stay embedded (MariaDB is not on this path).
import { parseArgs } from "node:util";
import { setTimeout as delay } from "node:timers/promises";
import { createProductCache } from "../subgraphs/products/src/domain/product-cache.js";
import { MongoProductStore } from "../subgraphs/products/src/adapters/mongo-product-store.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { loadConfig } from "#kernel";
import { listingCursor } from "../subgraphs/products/src/listing/listing-cursor.js";
import { listingFacts, listingKey } from "../subgraphs/products/src/listing/listing-facts.js";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { postGraphQL } from "../test/support/graphql-client.js";
import { runFreshness, type FreshnessResult } from "./search-freshness.js";
import { loadScaleCatalog, scaleEnvironment } from "./scale/load-scale-catalog.js";
import { processCpuMs, startPlatformProcess } from "./scale/platform-process.js";
import { catalogPagesInMemory, openPageReads, type CatalogPages, type PageReads } from "./scale/catalog-pages.js";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "1000000" },
    name: { type: "string" },
    compare: { type: "string", default: "600" },
    duration: { type: "string", default: "10" },
    // Each query first runs unmeasured this long (JIT, pools, plans), on other ids than the
    // measured ones; its figures are printed as the cold start, apart from the steady state.
    warmup: { type: "string", default: "5" },
    connections: { type: "string", default: "1,8" },
    writes: { type: "string", default: "20" },
    "idle-seconds": { type: "string", default: "30" },
    "load-only": { type: "boolean", default: false },
    // Another size beside the 1M one keeps its stock mirror and hot products apart from it.
    "redis-db": { type: "string", default: "8" },
    // Measure with the catalog's pages where the engines' caches happen to leave them (after a
    // load, a restart or other work), instead of read into memory first.
    cold: { type: "boolean", default: false },
  },
});
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const clientCounts = values.connections.split(",").map(Number);
// Redis databases of their own (9 is `npm run bench`'s, see bench/harness/bench-environment.ts).
const sizes = [...(Number(values.compare) > 0 ? [{ size: Number(values.compare), name: `scale_${values.compare}`, redisDb: 11 }] : []), { size: Number(values.products), name: values.name ?? `scale_${values.products}`, redisDb: Number(values["redis-db"]) }];

interface Figure {
  name: string;
  clients: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Pages the document engine read from outside its own buffers, per request (-1: not known). */
  pageReadsPerRequest: number;
}

interface SizeResult {
  size: number;
  name: string;
  readySeconds: number;
  wallSeconds: number;
  /** From the banner to the stock mirror trusted: the one catalog-sized step after the start. */
  mirrorSeconds: number;
  catalogPages: CatalogPages | undefined;
  idleCpuMs: number;
  idleSeconds: number;
  figures: Figure[];
  freshness: FreshnessResult;
  hotCache: { products: number; filled: number; loadP99: number };
}

/** Closed loop: `clients` workers call `op` back to back for `forMs`; any error fails the run. */
async function closedLoop(clients: number, forMs: number, firstN: number, op: (n: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const endAt = performance.now() + forMs;
  let n = firstN;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < endAt) {
        const startedAt = performance.now();
        await op(n++);
        latencies.push(performance.now() - startedAt);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

function figureOf(name: string, clients: number, forMs: number, latencies: number[], pagesRead: number | undefined): Figure {
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!.toFixed(1));
  const pageReadsPerRequest = pagesRead === undefined ? -1 : Number((pagesRead / latencies.length).toFixed(2));
  return { name, clients, perSecond: Math.round(latencies.length / (forMs / 1000)), p50: at(0.5), p99: at(0.99), max: at(1), pageReadsPerRequest };
}

function printFigure(label: string, figure: Figure): void {
  const reads = figure.pageReadsPerRequest >= 0 ? `  ${figure.pageReadsPerRequest} page reads/request` : "";
  console.log(`  ${label.padEnd(40)} ${String(figure.clients).padStart(2)} clients ${String(figure.perSecond).padStart(6)}/s  p50 ${figure.p50} ms  p99 ${figure.p99} ms  max ${figure.max} ms${reads}`);
}

/**
 * The warm-up (its figures printed as the cold start), then the measured window. `op(n)` gets
 * numbers from `warmupFrom` during the warm-up and from 0 after, so callers that derive ids
 * from `n` keep the two apart.
 */
async function measure(pages: PageReads | undefined, name: string, clients: number, warmupFrom: number, op: (n: number) => Promise<void>): Promise<Figure> {
  const window = async (forMs: number, firstN: number): Promise<Figure> => {
    const before = await pages?.count();
    const latencies = await closedLoop(clients, forMs, firstN, op);
    const after = await pages?.count();
    return figureOf(name, clients, forMs, latencies, before === undefined || after === undefined ? undefined : after - before);
  };
  if (warmupMs > 0) printFigure(`${name}, warm-up`, await window(warmupMs, warmupFrom));
  const figure = await window(durationMs, 0);
  printFigure(name, figure);
  return figure;
}

async function query(url: string, text: string, variables: Record<string, unknown> = {}) {
  const response = await postGraphQL(url, text, variables);
  if (response.errors || !response.data) throw new Error(`${text.slice(0, 60)}: ${JSON.stringify(response.errors)}`);
  return response.data;
}

const PRODUCT = `query($id: ID!) { product(id: $id) { id name price { amount currency } stock } }`;
const PAGE = `query($after: String) { products(first: 20, after: $after) { totalCount edges { cursor node { id name price { amount currency } stock } } pageInfo { hasNextPage endCursor } } }`;
const DEEP_PAGE = `query($after: String) { products(first: 20, after: $after) { edges { cursor node { id name price { amount currency } stock } } pageInfo { hasNextPage endCursor } } }`;
// A results list without counts (a phone's first screen, an infinite scroll): no facet or
// total is made for it.
const SEARCH_HITS = `query($q: String!) { search(query: $q, first: 20) { edges { node { id name price { amount currency } } } pageInfo { hasNextPage } } }`;
// What the search box asks at each of the first keystrokes.
const AUTOCOMPLETE = `query($prefix: String!) { autocomplete(prefix: $prefix, first: 8) { __typename } }`;
const SEARCH = `query($q: String!) { search(query: $q, first: 20) { totalCount edges { node { id name price { amount currency } } } facets { categories { value count } brands { value count } priceRanges { min max count } } } }`;

/** Turns the engine's request cache for one search alias off or back on. */
async function engineRequestCache(alias: string, enable: boolean): Promise<void> {
  const response = await fetch(`${process.env.OPENSEARCH_URL}/${alias}/_settings`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ "index.requests.cache.enable": enable }),
  });
  if (!response.ok) throw new Error(`request cache of ${alias}: ${response.status} ${await response.text()}`);
}

async function runSize({ size, name, redisDb }: (typeof sizes)[number]): Promise<SizeResult | undefined> {
  console.log(`\n${size.toLocaleString("en")} products ("${name}")`);
  const env = {
    ...scaleEnvironment(name, redisDb),
    APP_ENV: "development",
    LOG_LEVEL: "warn",
    EMBEDDED_DATA_DIR: `.run/bench-data/${name}`,
    MYSQL_URL: "",
    // Uncached: every read reaches the subgraphs and their engines.
    RESPONSE_CACHE_TTL_SECONDS: "0",
    PRODUCT_CACHE_TTL_MS: "0",
    RATE_LIMIT_PER_MINUTE: "100000000",
    RATE_LIMIT_COST_PER_MINUTE: "2000000000",
    // The load comes from one address, with more sockets than one client may hold.
    GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "100000",
    GATEWAY_NEW_CONNECTIONS_PER_MINUTE: "100000000",
    RATE_LIMIT_SEARCH_PER_MINUTE: "100000000",
  };
  await loadScaleCatalog(env, size, (line) => console.log(`  ${line}`));
  if (values["load-only"]) return undefined;

  const platform = await startPlatformProcess(env, `.run/bench-logs/scale/${name}-platform.log`);
  // Uncached in the engine too: a search's counts are a request without hits, which the
  // engine's request cache would otherwise answer from the second time on.
  await engineRequestCache(name, false);
  const pages = await openPageReads(name);
  try {
    console.log(platform.banner.replace(/^/gm, "  | "));
    console.log(`  npm start ready in ${platform.readySeconds} s (its banner); ${platform.wallSeconds.toFixed(1)} s from spawning the process`);
    const mirrorSeconds = await stockMirrorBuilt(platform.gatewayUrl);
    console.log(`  stock mirror built ${mirrorSeconds} s after the banner (reservations use the ledger alone until then)`);
    const catalogPages = values.cold
      ? undefined
      : await catalogPagesInMemory(name).catch((error: unknown) => {
          console.log(`  catalog pages not read into memory (${String(error)}): figures as with --cold`);
          return undefined;
        });
    if (catalogPages) console.log(`  catalog pages read into memory: ${(catalogPages.bytes / 2 ** 20).toFixed(0)} MiB in ${catalogPages.seconds} s (a store serving traffic keeps them there; --cold measures without)`);
    await delay(5_000);
    const idleSeconds = Number(values["idle-seconds"]);
    const cpuBefore = await processCpuMs(platform.pid);
    await delay(idleSeconds * 1000);
    const idleCpuMs = (await processCpuMs(platform.pid)) - cpuBefore;
    console.log(`  idle: ${idleCpuMs} ms of CPU in ${idleSeconds} s (${((idleCpuMs / (idleSeconds * 1000)) * 100).toFixed(2)}% of a core)`);

    const url = platform.gatewayUrl;
    // Spread over the whole catalog, so the engines' caches hold few of them; 7,919 is odd, so
    // numbers from size/2 (the warm-up's) give the other half of the catalog at first.
    const id = (n: number) => `prod_${String(((n * 7_919) % size) + 1).padStart(7, "0")}`;
    // Cursors of the default order (newest first) at products spread over the catalog.
    const newestFirst = { field: "NEWEST", direction: "DESC" } as const;
    const deepCursors = Array.from({ length: 50 }, (_, i) =>
      listingCursor(newestFirst, listingKey("NEWEST", listingFacts(generateCatalog({ count: 1, startAt: 40 + Math.floor((i * (size - 40)) / 50) }).next().value!.product, 0))),
    );
    const words = [...new Set(Array.from({ length: 40 }, (_, i) => generateCatalog({ count: 1, startAt: (i * 7_919) % size }).next().value!.product.name.split(" ").at(-1)!.toLowerCase()))];
    const figures: Figure[] = [];
    for (const clients of clientCounts) {
      figures.push(
        await measure(pages, "product(id) with stock", clients, Math.floor(size / 2), async (n) => {
          const data = await query(url, PRODUCT, { id: id(n) });
          if (data.product?.id !== id(n)) throw new Error(`product ${id(n)} missing`);
        }),
      );
      figures.push(
        await measure(pages, "listing page 1 with totalCount", clients, 0, async () => {
          const data = await query(url, PAGE);
          if (data.products.edges.length !== 20 || data.products.totalCount !== size) throw new Error(`page 1 of ${data.products.edges.length} of ${data.products.totalCount}`);
        }),
      );
      figures.push(
        await measure(pages, "deep cursor page (50 across the catalog)", clients, 0, async (n) => {
          const data = await query(url, DEEP_PAGE, { after: deepCursors[n % deepCursors.length] });
          if (data.products.edges.length !== 20) throw new Error(`deep page of ${data.products.edges.length}`);
        }),
      );
      figures.push(
        await measure(pages, "search with facets", clients, 0, async (n) => {
          const data = await query(url, SEARCH, { q: words[n % words.length] });
          if (data.search.facets.categories.length === 0) throw new Error(`no facets for ${words[n % words.length]}`);
        }),
      );
      figures.push(
        await measure(pages, "search, hits only", clients, 0, async (n) => {
          const data = await query(url, SEARCH_HITS, { q: words[n % words.length] });
          if (data.search.edges.length === 0) throw new Error(`no hits for ${words[n % words.length]}`);
        }),
      );
      figures.push(
        await measure(pages, "autocomplete, 1-3 letters typed", clients, 0, async (n) => {
          const prefix = words[n % words.length]!.slice(0, 1 + (n % 3));
          const data = await query(url, AUTOCOMPLETE, { prefix });
          if (data.autocomplete.length === 0) throw new Error(`no suggestion for ${prefix}`);
        }),
      );
    }
    const config = loadConfig(env);
    const freshness = await runFreshness({ supergraph: { gatewayUrl: url } as never, config, engines: "", close: async () => {} }, { writes: Number(values.writes), products: size });
    console.log(`  write to searchable (${freshness.writes} writes): p50 ${freshness.p50} ms  p99 ${freshness.p99} ms  max ${freshness.max} ms`);
    const hotCache = await checkHotCache(config, size);
    console.log(`  hot product cache: ${hotCache.filled} of ${hotCache.products} products read once were served from it after (catalog load p99 ${hotCache.loadP99} ms)`);
    return { size, name, readySeconds: platform.readySeconds, wallSeconds: Number(platform.wallSeconds.toFixed(1)), mirrorSeconds, catalogPages, idleCpuMs, idleSeconds, figures, freshness, hotCache };
  } finally {
    await engineRequestCache(name, true);
    await pages?.close();
    await platform.stop();
  }
}

/**
 * Seconds until the platform's `/metrics` says the stock mirror is trusted: the inventory
 * builds it once the platform serves, reading every stock level (the idle figure starts after).
 */
async function stockMirrorBuilt(gatewayUrl: string): Promise<number> {
  const startedAt = performance.now();
  const metricsUrl = gatewayUrl.replace(/\/graphql$/, "/metrics");
  for (;;) {
    const text = await (await fetch(metricsUrl)).text();
    if (/^storefront_stock_mirror_trusted\{[^}]*\} 1$/m.test(text)) return Number(((performance.now() - startedAt) / 1000).toFixed(1));
    if (performance.now() - startedAt > 600_000) throw new Error("the stock mirror was not built in 10 min");
    await delay(250);
  }
}

/**
 * The hot product cache as the products subgraph wires it (Redis, default fill deadline) on
 * this catalog: 200 products read by pages of 20 with 8 readers at once, then read again;
 * each product served the second time without a catalog read was filled.
 */
async function checkHotCache(config: ReturnType<typeof loadConfig>, size: number) {
  const store = await MongoProductStore.connect(config.documents.mongoUrl!);
  const kv = new RedisKeyValueStore(config.cache.redisUrl!);
  await kv.connect();
  try {
    const cache = createProductCache({ kv, ttlMs: 60_000 });
    const pages = Array.from({ length: 10 }, (_, p) => Array.from({ length: 20 }, (_, i) => `prod_${String(((p * 20 + i) * 104_729 + Date.now()) % size + 1).padStart(7, "0")}`));
    const loads: number[] = [];
    const timedLoad = async (ids: readonly string[]) => {
      const startedAt = performance.now();
      const found = await store.findByIds(ids);
      loads.push(performance.now() - startedAt);
      return found;
    };
    for (let i = 0; i < pages.length; i += 8) await Promise.all(pages.slice(i, i + 8).map((ids) => cache.getMany(ids, timedLoad)));
    let reloaded = 0;
    for (const ids of pages) await cache.getMany(ids, async (missing) => ((reloaded += missing.length), store.findByIds(missing)));
    loads.sort((a, b) => a - b);
    const products = new Set(pages.flat()).size;
    return { products, filled: products - reloaded, loadP99: Number(loads.at(-1)!.toFixed(1)) };
  } finally {
    await store.close();
    await kv.close();
  }
}

const results: SizeResult[] = [];
for (const size of sizes) {
  const result = await runSize(size);
  if (result) results.push(result);
}
if (results.length === 2) {
  const [small, large] = results as [SizeResult, SizeResult];
  console.log(`\n| figure | ${small.size.toLocaleString("en")} products | ${large.size.toLocaleString("en")} products | ratio |`);
  console.log("|---|---:|---:|---:|");
  const row = (name: string, a: number, b: number, unit: string) => console.log(`| ${name} | ${a} ${unit} | ${b} ${unit} | ${(b / a).toFixed(2)}x |`);
  row("npm start, ready in", small.readySeconds, large.readySeconds, "s");
  row("stock mirror built, after ready", small.mirrorSeconds, large.mirrorSeconds, "s");
  row(`idle CPU over ${large.idleSeconds} s`, small.idleCpuMs, large.idleCpuMs, "ms");
  for (const [i, figure] of large.figures.entries()) {
    const other = small.figures[i]!;
    row(`${figure.name}, ${figure.clients} client(s), p50`, other.p50, figure.p50, "ms");
    row(`${figure.name}, ${figure.clients} client(s), p99`, other.p99, figure.p99, "ms");
    if (figure.pageReadsPerRequest >= 0 && other.pageReadsPerRequest >= 0) console.log(`| ${figure.name}, ${figure.clients} client(s), pages read from outside the buffers per request | ${other.pageReadsPerRequest} | ${figure.pageReadsPerRequest} | |`);
  }
  row("write to searchable, p50", small.freshness.p50, large.freshness.p50, "ms");
  row("write to searchable, p99", small.freshness.p99, large.freshness.p99, "ms");
}
console.log(JSON.stringify({ durationMs, warmupMs, clientCounts, results }));
process.exit(0);
