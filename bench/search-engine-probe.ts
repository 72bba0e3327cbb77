// What one search costs the engine itself, without the gateway or the search subgraph: this
// tree's search adapter (`SearchEngineIndex.search`: the page and the counts as one
// multi-search) straight to OpenSearch for the words the supergraph bench searches
// (`bench/supergraph-at-scale.ts`), with the index's request cache off while it measures, timed
// by the client and by the engine's CPU.
//
//   eval "$(scripts/services.sh env)"
//   npx tsx bench/search-engine-probe.ts [--index catalog_1m] [--size 1000000] [--rounds 10] [--clients 1]
//       [--exact-up-to 10000] [--build] [--profile]
//
// `--build` first builds the index under that alias from the generator with this tree's
// mapping (search documents only: no products or stock). Run it from two trees (a worktree of
// the old commit against the old index, this one against the index it builds) to see what a
// mapping or query change saves on the engine; its CPU per search is the figure that holds
// on a busy machine.
//
// `--profile` also asks the engine's profiler about the page alone (hits only), each word
// `--rounds` times: the matches the page scored and the blocks its skipping stepped through
// (counts: the same on any machine) and the least time its query phase took (query and collector; the profiler's own cost included, so
// compare it only with another profiled run). Both hold where the machine is too busy for CPU
// or latency figures.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { processCpuMs } from "./scale/platform-process.js";
import { NewestFirstSpool } from "./scale/newest-first-spool.js";
import { createLogger, loadConfig } from "#kernel";
import { connectSearchIndex } from "../subgraphs/search/src/adapters/connect-search-index.js";
import { toSearchDocument } from "../subgraphs/search/src/domain/search-document.js";
import { generateCatalog } from "../subgraphs/products/src/catalog/generate-catalog.js";
import { hitsBody, WORD_RECENCY_SINCE } from "../subgraphs/search/src/adapters/search-dsl.js";
import { EVERY_COUNT, type SearchCounts, type SearchDocument, type SearchRequest } from "../subgraphs/search/src/ports/search-index.js";

const { values } = parseArgs({
  options: {
    // Default: the index the environment names (`npm run bench` runs this with its own).
    index: { type: "string", default: process.env.SEARCH_INDEX ?? "products" },
    // Default: the products the index holds (its generated catalog's size).
    size: { type: "string" },
    rounds: { type: "string", default: "10" },
    clients: { type: "string", default: "1" },
    build: { type: "boolean", default: false },
    "exact-up-to": { type: "string" },
    profile: { type: "boolean", default: false },
  },
});
const url = process.env.OPENSEARCH_URL;
if (!url) {
  console.log('skipped: the engine probe needs OpenSearch (eval "$(scripts/services.sh env)")');
  process.exit(0);
}
const size = Number(values.size ?? ((await (await fetch(`${url}/${values.index}/_count`)).json()) as { count?: number }).count);
if (!(size > 0)) throw new Error(`no products in ${values.index}: give --size (with --build to make them)`);
const rounds = Number(values.rounds);
const clients = Number(values.clients);

if (values.build) {
  const index = await connectSearchIndex(loadConfig({ ...process.env, SEARCH_INDEX: values.index }), createLogger("warn", { service: "search-probe" }));
  const startedAt = performance.now();
  // Newest first, as the platform's rebuild writes a catalog (see NewestFirstSpool).
  const spool = await NewestFirstSpool.create<SearchDocument>();
  let indexed: number;
  try {
    let batch: SearchDocument[] = [];
    for (const generated of generateCatalog({ count: size })) {
      batch.push(toSearchDocument(generated.product));
      if (batch.length === 1_000) await spool.append(batch.splice(0));
    }
    await spool.append(batch);
    ({ indexed } = await index.rebuild(spool.newestFirst()));
  } finally {
    await spool.close();
  }
  await index.close();
  console.log(`built ${values.index}: ${indexed} documents in ${((performance.now() - startedAt) / 1000).toFixed(0)} s (merging to one segment in the background)`);
}

// The same words as the supergraph bench: the nouns of 40 products spread over the catalog.
const words = [...new Set(Array.from({ length: 40 }, (_, i) => generateCatalog({ count: 1, startAt: (i * 7_919) % size }).next().value!.product.name.split(" ").at(-1)!.toLowerCase()))];

// Counted as the search service counts: exactly up to SEARCH_EXACT_COUNT_LIMIT (or
// --exact-up-to; 0 counts every match), lower bounds past it.
const exactUpTo = Number(values["exact-up-to"] ?? loadConfig(process.env).search.exactCountLimit) || undefined;
const SERVED_FACETS: SearchCounts = { total: true, facets: new Set(["categories", "brands", "priceRanges"]), exactUpTo };
const shapes: { name: string; counts: SearchCounts }[] = [
  { name: "total and three facets (the bench's faceted search)", counts: SERVED_FACETS },
  { name: "every count (total and four facets)", counts: { ...EVERY_COUNT, exactUpTo } },
  { name: "hits only", counts: { total: false, facets: new Set() } },
];

// The engine's own CPU per search (from /proc) reads the same on a busy machine, where the
// client's wall time also counts waiting for a core.
const enginePid = Number(execFileSync("pgrep", ["-f", "-o", "org.codelibs.opensearch.runner.OpenSearchRunner"], { encoding: "utf8" }).trim());

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const setRequestCache = (enable: boolean) =>
  fetch(`${url}/${values.index}/_settings`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ "index.requests.cache.enable": enable }) });

const index = await connectSearchIndex(loadConfig({ ...process.env, SEARCH_INDEX: values.index }), createLogger("warn", { service: "search-probe" }));
// An index of mapping 7 or later holds recency under words, and its pages read it there (the
// index learns so from its mapping, read without writing); an older one's read the product-wide
// feature, as a platform does until its upgrade rebuild. Nothing is written to an older index.
const mappings = (await (await fetch(`${url}/${values.index}/_mapping`)).json()) as Record<string, { mappings?: { _meta?: { mappingVersion?: number } } }>;
const recencyByWord = Math.min(...Object.values(mappings).map((each) => each.mappings?._meta?.mappingVersion ?? 1)) >= WORD_RECENCY_SINCE;
if (recencyByWord) await index.ensureIndex();
const request = (text: string, counts: SearchCounts): SearchRequest => ({ text, filter: {}, sort: "RELEVANCE", first: 20, forgiveTypos: false, counts });

console.log(`${values.index}: ${words.length} words, ${rounds} rounds after one unmeasured, ${clients} client(s), counts exact up to ${exactUpTo ?? "every match"}, recency read ${recencyByWord ? "under a searched word" : "for the whole product (an index older than mapping 7)"}`);
await setRequestCache(false);
try {
  for (const shape of shapes) {
    const requests = words.map((text) => request(text, shape.counts));
    for (const each of requests) await index.search(each);
    const wall: number[] = [];
    const cpuBefore = await processCpuMs(enginePid);
    let next = 0;
    const total = requests.length * rounds;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let n = next++; n < total; n = next++) {
          const startedAt = performance.now();
          const result = await index.search(requests[n % requests.length]!);
          if (result.hits.length === 0) throw new Error(`no hits for ${words[n % requests.length]}`);
          wall.push(performance.now() - startedAt);
        }
      }),
    );
    const cpuPerSearch = (await processCpuMs(enginePid)) - cpuBefore;
    wall.sort((a, b) => a - b);
    const mean = (list: number[]) => (list.reduce((sum, v) => sum + v, 0) / list.length).toFixed(1);
    console.log(`  ${shape.name}: client mean ${mean(wall)} ms, p50 ${percentile(wall, 50).toFixed(1)}, p99 ${percentile(wall, 99).toFixed(1)}; engine CPU ${(cpuPerSearch / total).toFixed(2)} ms a search`);
  }
  if (values.profile) await profilePage();
} finally {
  await setRequestCache(true);
  await index.close();
}

interface ProfiledQuery {
  time_in_nanos: number;
  breakdown: { score_count: number; shallow_advance_count: number };
  children?: ProfiledQuery[];
}

interface ProfiledSearch {
  profile: { shards: { searches: { query: ProfiledQuery[]; collector: { time_in_nanos: number }[] }[] }[] };
}

/**
 * The blocks the page's skipping stepped through: each step bounds the next block's best score
 * and skips it or reads it. The busiest clause reports them all (its parent steps it).
 */
function blocksStepped(query: ProfiledQuery): number {
  return Math.max(query.breakdown.shallow_advance_count, ...(query.children ?? []).map(blocksStepped));
}

/** The page alone, as the profiler sees it: matches scored (a count) and the fastest query phase of the rounds. */
async function profilePage(): Promise<void> {
  let scored = 0;
  let stepped = 0;
  let fastest = 0;
  for (const text of words) {
    let least = Infinity;
    for (let round = 0; round < rounds; round++) {
      const body = { ...hitsBody(request(text, { total: false, facets: new Set() }), { recencyByWord }), profile: true };
      const response = await fetch(`${url}/${values.index}/_search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const search = ((await response.json()) as ProfiledSearch).profile.shards[0]!.searches[0]!;
      if (round === 0) {
        scored += search.query.reduce((sum, query) => sum + query.breakdown.score_count, 0);
        stepped += Math.max(...search.query.map(blocksStepped));
      }
      const nanos = [...search.query, ...search.collector].reduce((sum, part) => sum + part.time_in_nanos, 0);
      least = Math.min(least, nanos / 1e6);
    }
    fastest += least;
  }
  console.log(`  page alone, profiled: ${Math.round(scored / words.length).toLocaleString("en")} matches scored and ${Math.round(stepped / words.length).toLocaleString("en")} blocks stepped through a search; query phase ${(fastest / words.length).toFixed(2)} ms a search (the fastest of ${rounds})`);
}
