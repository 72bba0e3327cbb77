// Every catalog query shape the public API reaches, each asked a few times against a catalog
// loaded at scale (bench/scale/load-scale-catalog.ts), read-only: search and autocomplete
// through the search service on the engine's index, listings and products through the listing
// service and the store on FerretDB. Prints each shape's client time (least and median of the
// rounds) and, for search, the engine's own `took`, so a shape whose cost grows with the catalog
// shows beside the ones that do not.
//
//   eval "$(scripts/services.sh env)"
//   npx tsx bench/catalog-shapes-at-scale.ts --name catalog_2m [--rounds 3] [--only search|listings|products]
//
// Writes nothing to the deployment: no index, mapping, document or counter is made or changed
// (the stores are opened on the collections as they are, without their index checks).
import { parseArgs } from "node:util";
import { MongoClient } from "mongodb";
import { EmbeddedKeyValueStore, createLockService } from "#kernel";
import { SearchEngineIndex, type EngineTransport } from "../subgraphs/search/src/adapters/search-engine-index.js";
import { createSearchService, type SearchArgs } from "../subgraphs/search/src/domain/search.service.js";
import { EVERY_COUNT, type SearchCounts } from "../subgraphs/search/src/ports/search-index.js";
import { facetValuesBody } from "../subgraphs/search/src/adapters/suggest-dsl.js";
import { searchCursor } from "../subgraphs/search/src/domain/search-cursor.js";
import { SUGGESTION_FORMAT } from "../subgraphs/search/src/adapters/suggestion-names.js";

const { values } = parseArgs({
  options: {
    name: { type: "string", default: "catalog_2m" },
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    match: { type: "string" },
  },
});
const rounds = Number(values.rounds);
const alias = values.name!;
const openSearchUrl = process.env.OPENSEARCH_URL;
if (!openSearchUrl) throw new Error('OPENSEARCH_URL is not set: eval "$(scripts/services.sh env)" first');

/** The engine's own time of the last requests (`took`, each search of a multi-search). */
let tooks: number[] = [];
const transport: EngineTransport = async ({ method, path, body, ndjson, querystring, timeoutMs }) => {
  if (method !== "POST" || !/_(m)?search$/.test(path)) throw new Error(`the probe only reads: ${method} ${path}`);
  // The engine's request cache off, so a repeated shape is measured as the first time: a query
  // parameter of a search, a header line's field of a multi-search.
  const multi = path.endsWith("_msearch");
  const query = new URLSearchParams({ ...(querystring as Record<string, string> | undefined), ...(multi ? {} : { request_cache: "false" }) });
  if (multi) ndjson = ndjson!.replace(/^\{\}$/gm, '{"request_cache":false}');
  const response = await fetch(`${openSearchUrl}${path}?${query}`, {
    method,
    headers: { "content-type": ndjson !== undefined ? "application/x-ndjson" : "application/json" },
    body: ndjson ?? JSON.stringify(body),
    signal: AbortSignal.timeout((timeoutMs ?? 30_000) + 5_000),
  });
  const answer = (await response.json()) as { took?: number; responses?: { took?: number }[]; error?: unknown };
  if (answer.responses) tooks.push(...answer.responses.map((each) => each.took ?? NaN));
  else if (answer.took !== undefined) tooks.push(answer.took);
  if (response.status >= 400) return { status: response.status, body: answer };
  return { status: response.status, body: answer };
};

interface Figure {
  shape: string;
  minMs: number;
  medianMs: number;
  engineMs: string;
  outcome: string;
}
const figures: Figure[] = [];

async function measure(shape: string, work: () => Promise<string>): Promise<void> {
  if (values.match && !shape.includes(values.match)) return;
  const times: number[] = [];
  const engine: number[] = [];
  let outcome = "";
  for (let round = 0; round < rounds; round++) {
    tooks = [];
    const startedAt = performance.now();
    try {
      outcome = await work();
    } catch (error) {
      const e = error as { message?: string; extensions?: { code?: string } };
      outcome = `ERROR ${e.extensions?.code ?? ""} ${String(e.message).slice(0, 120)}`;
    }
    times.push(performance.now() - startedAt);
    engine.push(tooks.reduce((sum, took) => sum + took, 0));
  }
  times.sort((a, b) => a - b);
  engine.sort((a, b) => a - b);
  const figure = { shape, minMs: times[0]!, medianMs: times[Math.floor(times.length / 2)]!, engineMs: tooks.length ? `${engine[0]}/${engine[Math.floor(engine.length / 2)]}` : "-", outcome };
  figures.push(figure);
  console.log(`${figure.minMs.toFixed(0).padStart(7)} ${figure.medianMs.toFixed(0).padStart(7)} ms  engine ${figure.engineMs.padStart(11)}  ${shape}  -> ${outcome}`);
}

async function searchShapes() {
  const index = new SearchEngineIndex("opensearch", transport, { alias });
  const mapping = (await (await fetch(`${openSearchUrl}/${alias}/_mapping`)).json()) as Record<string, { mappings?: { _meta?: { mappingVersion?: number } } }>;
  const version = Object.values(mapping)[0]?.mappings?._meta?.mappingVersion;
  // As a process of the platform on an index of this mapping would read it (see ensureIndex).
  (index as unknown as { wordRecencyHeld: boolean }).wordRecencyHeld = (version ?? 0) >= 7;
  // Likewise autocomplete reads the suggestion index when it is of the current format (as the
  // platform's start finds it), and the scored query on the products otherwise.
  const names = await fetch(`${openSearchUrl}/${alias}_names/_mapping`);
  const nameFormats = names.ok ? Object.values((await names.json()) as Record<string, { mappings?: { _meta?: { suggestionFormat?: number } } }>).map((each) => each.mappings?._meta?.suggestionFormat) : [];
  const suggestionsHeld = nameFormats.length > 0 && nameFormats.every((format) => format === SUGGESTION_FORMAT);
  (index as unknown as { suggestionsHeld: boolean }).suggestionsHeld = suggestionsHeld;
  console.log(`search index ${alias}: mapping ${version}, suggestions from ${suggestionsHeld ? "the suggestion index" : "the products (no current suggestion index)"}, ${((await (await fetch(`${openSearchUrl}/${alias}/_count`)).json()) as { count: number }).count} documents`);
  const service = createSearchService({ index, exactCountLimit: 1_000 });
  const pageOnly: SearchCounts = { total: false, facets: new Set() };
  const run = (args: SearchArgs, counts: SearchCounts = EVERY_COUNT) => async () => {
    const page = await service.search(args, counts);
    return `${page.edges.length} hits, total ${page.totalCount ?? "-"}${page.totalCountIsExact ? "" : "+"}${page.typosForgiven ? ", typos forgiven" : ""}`;
  };
  const repeat = (word: string, length = 200) => Array.from({ length: Math.floor(length / (word.length + 1)) }, () => word).join(" ");
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const texts: [string, string][] = [
    ["empty", ""],
    ["one common word", "game"],
    ["two words", "wireless headphones"],
    ["one letter", "a"],
    ["one letter s", "s"],
    ["two letters", "ab"],
    ["digits", "2024"],
    ["a common word 40 times", repeat("game")],
    ["a letter 100 times", repeat("a")],
    ["every letter, 4 times", repeat(letters.split("").join(" "), 200).slice(0, 200)],
    ["100 one-letter words", Array.from({ length: 100 }, (_, i) => letters[i % 26]).join(" ")],
    ["200 CJK characters", "東京タワー家電製品無線".repeat(20)],
    ["50 CJK characters", "東京タワー家電製品無線".repeat(5)],
    ["Cyrillic words", "беспроводные наушники игра"],
    ["emoji", "🎮🎧"],
    ["one 200-letter word", "a".repeat(200)],
    ["wildcards", "ga* *ame g?me"],
    ["star alone", "*"],
    ["query syntax", '"game" AND (board OR video)~2 name:game^10 /ga.*/'],
    ["punctuation only", "!!! ??? ..."],
    ["misspelt 5 words of 20 letters", "qwertyuiopasdfghjklz zxcvbnmqwertyuiopas plmoknijbuhvygctfxrd esxwzaqplmoknijbuhvy gctfxrdeszwaqxplmokn"],
    ["misspelt 2 words", "wirelss headphnes"],
    ["8 common words", "black wireless game board kitchen garden book sports"],
    ["30 distinct vocabulary words", "game board black red blue green small large wireless kitchen garden book sports home audio light steel wood cotton leather classic smart mini pro max ultra premium basic travel outdoor"],
  ];
  for (const [name, query] of texts) {
    await measure(`search "${name}" RELEVANCE, every count`, run({ query, first: 20 }));
  }
  for (const [name, query] of texts.slice(0, 8)) {
    await measure(`search "${name}" RELEVANCE, page only, 100`, run({ query, first: 100 }, pageOnly));
    for (const sort of ["PRICE_ASC", "PRICE_DESC", "NEWEST"] as const) await measure(`search "${name}" ${sort}, every count`, run({ query, sort, first: 20 }));
  }
  // Deep pages: a cursor near the end of each order.
  const deep: [string, SearchArgs][] = [
    ["common word RELEVANCE, past the weakest score", { query: "game", after: searchCursor("RELEVANCE", "RELEVANCE", [0.000001, "prod_9999999"]) }],
    ["one letter RELEVANCE, past the weakest score", { query: "a", after: searchCursor("RELEVANCE", "RELEVANCE", [0.000001, "prod_9999999"]) }],
    ["empty NEWEST, oldest", { query: "", sort: "NEWEST", after: searchCursor("NEWEST", "NEWEST", [1, "prod_0000001"]) }],
    ["empty RELEVANCE (as NEWEST), oldest", { query: "", after: searchCursor("RELEVANCE", "NEWEST", [1, "prod_0000001"]) }],
    ["empty PRICE_ASC, dearest", { query: "", sort: "PRICE_ASC", after: searchCursor("PRICE_ASC", "PRICE_ASC", [99_999_999, "prod_9999999"]) }],
    ["empty PRICE_ASC, middle", { query: "", sort: "PRICE_ASC", after: searchCursor("PRICE_ASC", "PRICE_ASC", [5_000, "prod_1000000"]) }],
    ["common word PRICE_DESC, middle", { query: "game", sort: "PRICE_DESC", after: searchCursor("PRICE_DESC", "PRICE_DESC", [5_000, "prod_1000000"]) }],
  ];
  for (const [name, args] of deep) {
    await measure(`search deep: ${name}, page only`, run({ first: 20, ...args }, pageOnly));
    await measure(`search deep: ${name}, every count`, run({ first: 20, ...args }));
  }
  const manyValues = Array.from({ length: 50 }, (_, i) => `value-${i}`);
  const filters: [string, SearchArgs["filter"]][] = [
    ["50 unknown categories", { categories: manyValues }],
    ["50 unknown brands", { brands: manyValues }],
    ["10 options of 50 values", { options: Array.from({ length: 10 }, (_, i) => ({ name: `option${i}`, values: manyValues })) }],
    ["colour black", { options: [{ name: "Colour", values: ["Black"] }] }],
    ["price 0 and up", { price: { min: 0 } }],
    ["price narrow", { price: { min: 1_999, max: 2_000 } }],
    ["price and colour", { price: { min: 1_000, max: 5_000 }, options: [{ name: "Colour", values: ["Black", "White"] }] }],
  ];
  for (const [name, filter] of filters) {
    for (const query of ["", "game"]) {
      for (const sort of ["RELEVANCE", "PRICE_ASC", "NEWEST"] as const) {
        await measure(`search filter ${name}, "${query}" ${sort}, every count`, run({ query, filter, sort, first: 20 }));
      }
    }
  }
  // Autocomplete.
  const prefixes: [string, string][] = [
    ["one letter", "a"],
    ["two letters", "ga"],
    ["a word", "head"],
    ["a typo", "hedphon"],
    ["8 words of 20 letters with typos", Array.from({ length: 8 }, (_, i) => "qwertyuiopasdfghjklz".slice(i) + "abcdefgh".slice(0, i)).join(" ").slice(0, 100)],
    ["8 one-letter words", "a b c d e f g h"],
    ["100 characters of one word", "a".repeat(100)],
    ["CJK", "東京タワー家電製品無線".repeat(9).slice(0, 100)],
    ["one accented letter", "é"],
    ["one Cyrillic letter", "ж"],
    ["one ideograph", "東"],
    ["one emoji", "🎮"],
    ["one digit", "7"],
  ];
  for (const [name, prefix] of prefixes) {
    await measure(`autocomplete "${name}" products`, async () => `${(await service.autocomplete({ prefix, first: 20, kinds: ["PRODUCT"] })).length} suggestions`);
  }
  await measure("autocomplete's facet values (a whole-index aggregation, once per 30 s per process)", async () => {
    const { body } = await transport({ method: "POST", path: `/${alias}/_search`, body: facetValuesBody(), timeoutMs: 10_000 });
    const answer = body as { timed_out?: boolean; aggregations?: { brands?: { buckets: unknown[] }; categories?: { buckets: unknown[] } } };
    return `${answer.aggregations?.brands?.buckets.length} brands, ${answer.aggregations?.categories?.buckets.length} categories${answer.timed_out ? ", TIMED OUT" : ""}`;
  });
}

async function listingShapes() {
  const mongoUrl = new URL(process.env.MONGO_URL!);
  mongoUrl.pathname = `/${alias}`;
  // The collections opened as they are: no index check (a write), no lock beyond this process.
  const { MongoListingIndex } = await import("../subgraphs/products/src/adapters/mongo-listing-index.js");
  const { MongoProductStore } = await import("../subgraphs/products/src/adapters/mongo-product-store.js");
  const { createProductListingService } = await import("../subgraphs/products/src/listing/product-listing.service.js");
  const { CategoryTree } = await import("../subgraphs/products/src/categories/category.js");
  const { DEMO_CATEGORY_TREE } = await import("../subgraphs/products/src/categories/demo-category-tree.js");
  const { listingCursor } = await import("../subgraphs/products/src/listing/listing-cursor.js");
  const client = await MongoClient.connect(mongoUrl.toString());
  const existing = await client.db(alias).listCollections().toArray();
  console.log(`FerretDB ${alias}: ${existing.map((c) => c.name).join(", ")}`);
  await client.close();
  // Connecting makes missing indexes: only on collections that are there with theirs.
  if (!["products", "products_listings", "products_listed"].every((name) => existing.some((c) => c.name === name))) {
    console.log("the listings are not there (yet): skipped");
    return;
  }
  const locks = createLockService(new EmbeddedKeyValueStore());
  const lock = <T>(resource: string, work: () => Promise<T>) => locks.withLock(resource, work, { ttlMs: 5_000, waitMs: 5_000 });
  const store = await MongoProductStore.connect(mongoUrl.toString(), { database: alias, lock });
  const listings = await MongoListingIndex.connect(mongoUrl.toString(), { database: alias, lock });
  const tree = new CategoryTree(DEMO_CATEGORY_TREE);
  const service = createProductListingService({ listings, tree: async () => tree, findByIds: (ids) => store.findByIds(ids), count: (category) => store.count({ category }) });
  type Args = Parameters<typeof service.list>[0];
  const run = (args: Args, withTotal = false) => async () => {
    const page = await service.list(args, { cards: true });
    return `${page.edges.length} edges, next ${page.hasNextPage}${withTotal ? `, total ${await page.totalCount()}` : ""}`;
  };
  const sorts = [
    { field: "NEWEST", direction: "DESC" },
    { field: "NEWEST", direction: "ASC" },
    { field: "PRICE", direction: "ASC" },
    { field: "PRICE", direction: "DESC" },
    { field: "NAME", direction: "ASC" },
    { field: "NAME", direction: "DESC" },
    { field: "POPULARITY", direction: "DESC" },
    { field: "POPULARITY", direction: "ASC" },
  ] as const;
  for (const sort of sorts) {
    await measure(`products ${sort.field} ${sort.direction}, first 100`, run({ first: 100, sort }));
    await measure(`products ${sort.field} ${sort.direction}, parent category leisure, first 100`, run({ first: 100, sort, filter: { categorySlug: "leisure" } }));
    await measure(`products ${sort.field} ${sort.direction}, nothing matches (option), first 100`, run({ first: 100, sort, filter: { options: [{ name: "colour", values: ["no-such-colour"] }], inStock: false } }));
    await measure(`products ${sort.field} ${sort.direction}, leisure + nothing matches`, run({ first: 100, sort, filter: { categorySlug: "leisure", priceMin: 1, priceMax: 1 } }));
    const key = sort.field === "PRICE" ? "000000005000\u0001prod_1000000" : sort.field === "NAME" ? "m\u0001prod_1000000" : sort.field === "POPULARITY" ? "000000000000000\u0001prod_1000000" : "000001767225600000\u0001prod_1000000";
    await measure(`products ${sort.field} ${sort.direction}, forged cursor mid-listing`, run({ first: 100, sort, after: listingCursor(sort, key) }));
  }
  await measure("products PRICE ASC priceMin 99,999,999", run({ first: 100, sort: { field: "PRICE", direction: "ASC" }, filter: { priceMin: 99_999_999 } }));
  await measure("products PRICE DESC priceMax 0", run({ first: 100, sort: { field: "PRICE", direction: "DESC" }, filter: { priceMax: 0 } }));
  await measure("products with totalCount", run({ first: 20 }, true));
  await measure("products leisure with totalCount", run({ first: 20, filter: { categorySlug: "leisure" } }, true));
  await measure("product by id", async () => `${(await store.findByIds(["prod_1234567"])).size} found`);
  await measure("product by unknown id", async () => `${(await store.findByIds(["prod_x"])).size} found`);
  await measure("product by a 10,000-character id", async () => `${(await store.findByIds(["p".repeat(10_000)])).size} found`);
  await measure("100 products by id", async () => `${(await store.findByIds(Array.from({ length: 100 }, (_, i) => `prod_${String(1 + i * 19_997).padStart(7, "0")}`))).size} found`);
  await store.close();
  await listings.close();
}

if (!values.only || values.only === "search") await searchShapes();
if (!values.only || values.only === "listings") await listingShapes();
console.log("\nslowest first:");
for (const figure of [...figures].sort((a, b) => b.medianMs - a.medianMs).slice(0, 25)) console.log(`${figure.medianMs.toFixed(0).padStart(7)} ms  engine ${figure.engineMs.padStart(11)}  ${figure.shape}  -> ${figure.outcome}`);
