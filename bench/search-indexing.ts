// Indexing throughput (documents per second) for a large catalog: a zero-downtime rebuild
// (new index, bulk load, alias switch) of N generated products, then search latency on the
// result. The catalog is generated in memory, so this measures the search engine and our
// bulk path, not the catalog store (`scripts/catalog/reindex.ts --from-store` adds that).
//
//   npx tsx bench/search-indexing.ts [--count 100000] [--scale] [--batch 1000] [--queries 200]
//
// `--scale` is the design's 1,000,000 products. Engine: OPENSEARCH_URL (a fresh alias of
// this run's own, deleted afterwards), else the embedded index.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { createLogger, loadConfig } from "#kernel";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { toSearchDocument } from "../subgraphs/search/src/domain/search-document.js";
import { EmbeddedSearchIndex } from "../subgraphs/search/src/adapters/embedded-search-index.js";
import { OpenSearchIndex } from "../subgraphs/search/src/adapters/open-search-index.js";
import { searchAsTyped } from "../subgraphs/search/src/domain/search-as-typed.js";
import { EVERY_COUNT, type SearchDocument, type SearchIndex, type SearchRequest } from "../subgraphs/search/src/ports/search-index.js";
import { createProgressBar } from "../scripts/catalog/progress-bar.js";

export interface IndexingResult {
  engine: string;
  documents: number;
  seconds: number;
  documentsPerSecond: number;
  search: { queries: number; p50: number; p99: number };
}

async function* generatedPages(count: number, batch: number): AsyncIterable<SearchDocument[]> {
  let page: SearchDocument[] = [];
  for (const { product } of generateCatalog({ count })) {
    page.push(toSearchDocument(product));
    if (page.length === batch) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

const QUERIES: Partial<SearchRequest>[] = [
  { text: "wireless headphones" },
  { text: "headphnoes" },
  { text: "mech" },
  { text: "cast iron skilet", sort: "PRICE_ASC" },
  { text: "", filter: { categories: ["books"] }, sort: "NEWEST" },
  { text: "parka", filter: { price: { max: 15_000 } } },
  { text: "sonora", filter: { brands: ["Sonora"] }, sort: "PRICE_DESC" },
  { text: "organic coffee beans" },
];

/** Rebuilds `index` from `count` generated products and times it, then times searches on it. */
export async function runIndexingBenchmark(index: SearchIndex, options: { count: number; batch: number; queries: number }): Promise<IndexingResult> {
  await index.ensureIndex();
  const progress = createProgressBar(`indexing into ${index.engine}`, options.count);
  const startedAt = performance.now();
  const { indexed } = await index.rebuild(generatedPages(options.count, options.batch), (n) => progress.update(n));
  const seconds = (performance.now() - startedAt) / 1000;
  progress.finish(indexed);
  const latencies: number[] = [];
  for (let i = 0; i < options.queries; i++) {
    const query = QUERIES[i % QUERIES.length]!;
    const started = performance.now();
    await searchAsTyped(index, { text: "", filter: {}, sort: "RELEVANCE", first: 20, counts: EVERY_COUNT, ...query });
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return {
    engine: index.engine,
    documents: indexed,
    seconds,
    documentsPerSecond: Math.round(indexed / seconds),
    search: { queries: latencies.length, p50: Number(percentile(latencies, 50).toFixed(1)), p99: Number(percentile(latencies, 99).toFixed(1)) },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { count: { type: "string", default: "100000" }, scale: { type: "boolean", default: false }, batch: { type: "string", default: "1000" }, queries: { type: "string", default: "200" } },
  });
  const count = values.scale ? 1_000_000 : Number(values.count);
  const config = loadConfig();
  const alias = `bench_indexing_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
  const url = config.search.openSearchUrl;
  const index: SearchIndex = url ? await OpenSearchIndex.connect(url, { alias, retireDelayMs: 0, logger: createLogger("warn") }) : new EmbeddedSearchIndex();
  try {
    const result = await runIndexingBenchmark(index, { count, batch: Number(values.batch), queries: Number(values.queries) });
    console.log(`\nSearch indexing, ${result.documents.toLocaleString("en-US")} generated products (bulk of ${values.batch})\n`);
    console.log("| engine | documents | seconds | documents/s | search p50 ms | search p99 ms |");
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(`| ${result.engine} | ${result.documents} | ${result.seconds.toFixed(1)} | ${result.documentsPerSecond} | ${result.search.p50} | ${result.search.p99} |`);
  } finally {
    await index.close();
    if (url) await fetch(`${url.replace(/\/$/, "")}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
