/**
 * The index mapping and query DSL shared by Elasticsearch 8 and OpenSearch 2: both speak the
 * same REST API for everything here, so the engine bindings only carry requests. Builders are
 * pure functions of the port's types, which keeps the request bodies unit-testable.
 */
import { FACET_NAMES, type FacetName, type IndexChange, type SearchDocument, type SearchHits, type SearchRequest, type SortKey } from "../ports/search-index.js";
import { PRICE_RANGES, inPriceRange } from "../domain/price-ranges.js";
import { INFIX_LENGTH, MAX_WORD_PREFIX } from "../domain/suggestion-match.js";
import { groupOptionFacets, optionKey } from "../domain/variant-facets.js";
import { indexVersion } from "../domain/index-version.js";
import { ENGINE_TIME_LIMIT, refuseTimedOut } from "./search-time-limit.js";
import { capOf, cappedFacets, cappedTotal, countingLimit } from "../domain/count-cap.js";
import { RECENCY_WEIGHT, recencyFeature } from "../domain/recency-rank.js";
import { recencyKeyOf, recencyKeys } from "../domain/word-recency.js";
import { FIELD_SCORES } from "../domain/field-scores.js";
import { engineWords, lastWordIsPrefix } from "../domain/search-words.js";
import { DOCUMENT_FORMAT } from "../domain/document-format.js";
import { describeBulkItem, SUGGESTION_BOOKKEEPING_FIELDS, SUGGESTION_FORMAT } from "./suggestion-names.js";

/**
 * The mapping's version, kept in the index's `_meta`. An index made by an older one is brought
 * up to date by a rebuild (a new index under the alias); until then ADDED_FIELDS are put into
 * its mapping so live changes, which carry them, can still be written to it.
 * 3: documents are versioned by indexVersion (catalog version and popularity), so an index
 * holding plain catalog versions is rebuilt rather than let an old replayed change win.
 * 4: documents carry their price bands (see priceBands), which the price facet counts; facet
 * fields build their global ordinals at refresh.
 * 5: `all_text` indexes its words' prefixes, so the word still being typed is one term.
 * 6: the ranked text fields score a word by the field it is in, not by how rare it is across
 * the catalog (see WORD_SCORING), and documents carry their recency as a rank feature.
 * 7: documents carry their recency a second time under the starts of their words
 * (`wordRecency`, see word-recency.ts); scores are unchanged.
 * A step that changes scores steps RANKING_VERSION (search-cursor.ts) too.
 */
export const MAPPING_VERSION = 7;

/** The first mapping whose documents hold `wordRecency`: a relevance page on an older index reads the product-wide recency. */
export const WORD_RECENCY_SINCE = 7;

/** Plain fields added since version 1, which an existing index can take without a rebuild. */
export const ADDED_FIELDS = {
  popularity: { type: "long" },
  priceMax: { type: "long" },
  // One nested document per variant: option and price filters must hold for the same variant.
  variants: { type: "nested", properties: { options: { type: "keyword" }, price: { type: "long" } } },
  // Option values are searchable words too ("red hoodie").
  optionFacets: { type: "keyword", copy_to: "all_text", eager_global_ordinals: true },
  // The price ranges (priceBandKey) some variant is priced in: the price facet is a plain terms
  // count over them. Counting through the nested variants (nested, range, reverse_nested) cost
  // most of a search at 2,000,000 products.
  priceBands: { type: "keyword", eager_global_ordinals: true },
  // Breaks ties between equally good matches, newer first (see recency-rank.ts).
  recency: { type: "rank_feature" },
  // The same recency under each start of each word (see word-recency.ts): a relevance page reads
  // it under one searched word, a list of that word's products rather than of the whole catalog.
  wordRecency: { type: "rank_features" },
} as const;

/**
 * A price range's key in `priceBands`. Changing PRICE_RANGES changes the keys, so it comes with
 * a MAPPING_VERSION step (a rebuild writes every document's bands again).
 */
export const priceBandKey = (range: { min: number | null; max: number | null }): string => `${range.min ?? ""}-${range.max ?? ""}`;

/** The price ranges a product has at least one variant in, as the price filter matches them. */
export function priceBands(document: Pick<SearchDocument, "variants">): string[] {
  return PRICE_RANGES.filter((range) => document.variants.some((variant) => inPriceRange(variant.price, range))).map(priceBandKey);
}

/** The longest word prefix `all_text` keeps as a term (the engines allow up to 19). */
const ALL_TEXT_PREFIX_MAX = 19;

/** Distinct option values a facet reads; a catalog has far fewer. */
const OPTION_FACET_SIZE = 1_000;

/** 0 edits below 4 letters, 1 below 6, 2 from 6 on; a swap of two letters counts as one. */
export const FUZZINESS = "AUTO:4,6";

/** Lucene's LogByteSizeMergePolicy: merges only adjacent segments (see indexDefinition). */
export const MERGE_POLICY = "log_byte_size";

/** How often new writes become searchable; well inside the 2 s write-to-search budget. */
export const REFRESH_INTERVAL = "500ms";

/**
 * How a ranked text field scores a word: its boost when the field has it, nothing else. The
 * engines' default (BM25) also weighs how rare the word is across the catalog, so every write
 * of a product with that word moved the score of every other product with it. A cursor keeps
 * the score of the last hit it saw, so a page asked after any write could skip or repeat a
 * whole run of products. Scored by field alone, a product's score depends on the product and
 * the words only: a change to one product moves no other.
 */
const WORD_SCORING = { similarity: "boolean" } as const;

/** The fields that rank a match with their scores (brand and category as words, not values). */
const RANKING_FIELDS = Object.entries(FIELD_SCORES).map(([field, score]) => `${field === "brand" || field === "category" ? `${field}.text` : field}^${score}`);

/**
 * What an index records of the code that wrote it, in its mapping's `_meta`. An update of
 * `_meta` replaces the whole object, so every write of it names every key.
 */
export function indexMeta(extra: { writtenInOrder?: number } = {}) {
  return { mappingVersion: MAPPING_VERSION, documentFormat: DOCUMENT_FORMAT, ...extra };
}

/** How names and the words inside them are analysed: shared by the product and the suggestion index. */
const ANALYSIS = {
  filter: {
    word_prefixes: { type: "edge_ngram", min_gram: 1, max_gram: MAX_WORD_PREFIX },
    word_infixes: { type: "ngram", min_gram: INFIX_LENGTH.min, max_gram: INFIX_LENGTH.max },
  },
  analyzer: {
    product_text: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding"] },
    // Indexes every prefix of every word: "head" finds "Wireless Headphones".
    word_prefix_index: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding", "word_prefixes"] },
    // Indexes every stretch of 3 to 10 letters inside a word: "phones" finds "Headphones".
    word_infix_index: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding", "word_infixes"] },
    name_phrase_text: { type: "custom", tokenizer: "keyword", char_filter: ["word_separators"], filter: ["lowercase", "asciifolding", "trim"] },
  },
  // A name's words folded and joined by single spaces, as `phraseOf` makes them, as one term
  // (the suggestion index indexes its starts: see NAME_START_PREFIX).
  char_filter: { word_separators: { type: "pattern_replace", pattern: "[^\\p{L}\\p{N}'’]+", replacement: " " } },
  normalizer: { name_phrase: { type: "custom", char_filter: ["word_separators"], filter: ["lowercase", "asciifolding", "trim"] } },
};

/** A name as autocomplete reads it: its words, their starts and insides, its phrase and itself. */
const NAME_FIELD = {
  type: "text",
  analyzer: "product_text",
  ...WORD_SCORING,
  fields: {
    prefix: { type: "text", analyzer: "word_prefix_index", search_analyzer: "product_text" },
    infix: { type: "text", analyzer: "word_infix_index", search_analyzer: "product_text", index_options: "docs" },
    // A name starting with the typed words ranks first.
    phrase: { type: "keyword", normalizer: "name_phrase" },
    raw: { type: "keyword" },
  },
} as const;

/** What the product and the suggestion index share: one shard, their bulk-load mode, the name analysis. */
function sharedSettings(options: { bulkLoad?: boolean }) {
  return {
    number_of_shards: 1,
    number_of_replicas: 0,
    // A bulk load refreshes once at the end rather than every interval.
    refresh_interval: options.bulkLoad ? "-1" : REFRESH_INTERVAL,
    // A bulk load that fails is simply redone, so it need not fsync every request.
    ...(options.bulkLoad ? { "translog.durability": "async" } : {}),
    max_ngram_diff: INFIX_LENGTH.max - INFIX_LENGTH.min,
    analysis: ANALYSIS,
  };
}

export function indexDefinition(options: { bulkLoad?: boolean } = {}) {
  return {
    settings: {
      ...sharedSettings(options),
      // Merges join neighbouring segments only, so documents keep the order they were written
      // in: a rebuild writes the catalog newest first, and a relevance page costs least on an
      // index stored so (SearchEngineIndex.rebuild). The default policy merges segments by
      // size, wherever they lie, and its merge to one segment shuffles them.
      "merge.policy": MERGE_POLICY,
    },
    mappings: {
      dynamic: "strict",
      _meta: indexMeta(),
      properties: {
        id: { type: "keyword" },
        // Every searchable word in one field, so the words of a query may match in different
        // fields (brand in one, colour in another) and still all be required. The prefixes of
        // its words are terms of their own: the last word as typed ("head") reads one posting
        // list, where a prefix query gathered every word starting so into a set first.
        all_text: { type: "text", analyzer: "product_text", ...WORD_SCORING, index_prefixes: { min_chars: 1, max_chars: ALL_TEXT_PREFIX_MAX } },
        name: { ...NAME_FIELD, copy_to: "all_text" },
        description: { type: "text", analyzer: "product_text", ...WORD_SCORING, copy_to: "all_text" },
        // Facet fields build their global ordinals at refresh, not in the first search after it.
        category: { type: "keyword", copy_to: "all_text", eager_global_ordinals: true, fields: { text: { type: "text", analyzer: "product_text", ...WORD_SCORING } } },
        brand: { type: "keyword", copy_to: "all_text", eager_global_ordinals: true, fields: { text: { type: "text", analyzer: "product_text", ...WORD_SCORING } } },
        attributes: { type: "text", analyzer: "product_text", ...WORD_SCORING, copy_to: "all_text" },
        priceAmount: { type: "long" },
        currency: { type: "keyword" },
        createdAt: { type: "date", format: "epoch_millis" },
        version: { type: "long" },
        ...ADDED_FIELDS,
      },
    },
  };
}

/** Typed phrases up to this long are one term of the suggestion index's `name.start` (the engines allow at most 19). */
export const NAME_START_PREFIX = 19;

/**
 * A name's phrase (as `name.phrase` holds it) with its starts as terms of their own: "a name
 * starts with what was typed" is one posting list to walk, where a prefix query over the
 * phrases gathers the documents of every phrase starting so before the first match is read.
 */
const NAME_START_FIELD = { type: "text", analyzer: "name_phrase_text", index_options: "docs", index_prefixes: { min_chars: 1, max_chars: NAME_START_PREFIX } } as const;

/**
 * The order a suggestion index stores its documents in, which is the order autocomplete ranks
 * equally good matches in (popularity, then name, then id). A read sorted so, scoring nothing,
 * stops after the first matches of each segment instead of visiting every match.
 */
export const SUGGESTION_ORDER = [
  { field: "popularity", order: "desc" },
  { field: "name.raw", order: "asc" },
  { field: "id", order: "asc" },
] as const;

/**
 * The suggestion index beside the product index: one flat document per distinct name (its best
 * product's id and units sold) and one member document per product (suggestion-names.ts),
 * sorted by SUGGESTION_ORDER. The product index cannot be sorted so: the engines refuse index
 * sorting on an index with nested fields, and it keeps its newest-first order for relevance
 * pages. Member documents hold no name field, so they match no suggestion filter and sort last.
 */
export function suggestionIndexDefinition(options: { bulkLoad?: boolean } = {}) {
  return {
    settings: {
      ...sharedSettings(options),
      "sort.field": SUGGESTION_ORDER.map((key) => key.field),
      "sort.order": SUGGESTION_ORDER.map((key) => key.order),
    },
    mappings: {
      dynamic: "strict",
      _meta: { ...indexMeta(), suggestionFormat: SUGGESTION_FORMAT },
      properties: {
        id: { type: "keyword" },
        name: { ...NAME_FIELD, fields: { ...NAME_FIELD.fields, start: NAME_START_FIELD } },
        popularity: { type: "long" },
        ...SUGGESTION_BOOKKEEPING_FIELDS,
      },
    },
  };
}

/**
 * What matches: every word (typos forgiven when asked), or every word with the last one still
 * being typed (a prefix; see lastWordIsPrefix). A lone short word matches whole:
 * the second clause is then the first again, so a product matching the words scores what it
 * did when the prefix clause matched it too, and relevance cursors keep their ranking version.
 */
function matchingClause(text: string, forgiveTypos: boolean) {
  const typos = forgiveTypos ? { fuzziness: FUZZINESS, prefix_length: 0 } : {};
  const words = { match: { all_text: { query: text, operator: "and", ...typos } } };
  return {
    bool: {
      should: [words, lastWordIsPrefix(engineWords(text)) ? { match_bool_prefix: { all_text: { query: text, operator: "and", ...typos } } } : words],
      minimum_should_match: 1,
    },
  };
}

/** How a match ranks: exact words in telling fields first, whole phrases in the name above all. */
function rankingClauses(text: string, forgiveTypos: boolean) {
  return [
    { multi_match: { query: text, fields: RANKING_FIELDS, type: "most_fields" } },
    // Typo'd words found in the name rank above those found elsewhere. Only the name: each
    // fuzzy field costs the engine an automaton per word, and over the five ranking fields
    // this clause was most of a forgiving search (4 words of 19 letters at 1,000,000
    // products: 100 ms of engine CPU of 130, where a search costs 10-30).
    ...(forgiveTypos ? [{ match: { name: { query: text, fuzziness: FUZZINESS, prefix_length: 0, boost: 2 } } }] : []),
    { match_phrase: { name: { query: text, boost: 3 } } },
  ];
}

function textQuery(text: string, forgiveTypos: boolean) {
  return { bool: { must: [matchingClause(text, forgiveTypos)], should: rankingClauses(text, forgiveTypos) } };
}

/**
 * A relevance page of words as typed: what must match is a filter, and every clause that scores
 * (the matching words, the ranking clauses, recency) is one flat disjunction beside it. Each
 * score is the same as with the words as a scoring clause and recency beside them, to the bit.
 *
 * Why: the engine steps through the scoring clauses' blocks, bounding each block's best score
 * before it skips it, and a block ends where any clause's block ends. With the words nested under
 * a required clause, each step walked their query tree twice; flat, the filter is never bounded
 * and each step reads each scoring clause once (BENCHMARKS.md, "One flat disjunction"). Recency
 * is read under a start of a searched word (`recencyClause`), so the blocks are those of the
 * word's products; the product-wide feature had one block per 128 products of the catalog.
 *
 * Why the score is the same: every part but recency is a field score or a boost of 1, a multiple
 * of 0.5 under 2^10, and recency is one float; the engine adds the parts in double precision,
 * exactly in any order, and rounds the sum to a float once, as the nested form's float additions
 * rounded it. Typos forgiven keep the nested form: fuzzy matches score fractions of a boost,
 * whose sums round differently by grouping, and the flat form would build each fuzzy automaton
 * twice (filter and score).
 */
function relevanceQuery(text: string, filters: Record<string, unknown>[], recencyByWord: boolean) {
  const matching = matchingClause(text, false);
  return { bool: { filter: [matching, ...filters], should: [...matching.bool.should, ...rankingClauses(text, false), recencyByWord ? recencyClause(text) : RECENCY_CLAUSE] } };
}

function filterClauses(request: SearchRequest) {
  const clauses: Record<string, unknown>[] = [];
  const { categories, brands, price, options } = request.filter;
  if (categories?.length) clauses.push({ terms: { category: categories } });
  if (brands?.length) clauses.push({ terms: { brand: brands } });
  const variant: Record<string, unknown>[] = (options ?? []).map((option) => ({ terms: { "variants.options": option.values.map((value) => optionKey(option.name, value)) } }));
  if (price && (price.min != null || price.max != null)) {
    variant.push({ range: { "variants.price": { ...(price.min != null ? { gte: price.min } : {}), ...(price.max != null ? { lt: price.max } : {}) } } });
  }
  // ignore_unmapped: an index awaiting its upgrade rebuild has no variants yet and matches none.
  if (variant.length) clauses.push({ nested: { path: "variants", query: { bool: { filter: variant } }, ignore_unmapped: true } });
  return clauses;
}

/** Newer first among equal matches (see recency-rank.ts): `RECENCY_WEIGHT · ln(1 + recency)`. */
const RECENCY_CLAUSE = { rank_feature: { field: "recency", log: { scaling_factor: 1 }, boost: RECENCY_WEIGHT } };

/**
 * The same recency read under a start of one searched word (see word-recency.ts), which every
 * product matching the words holds: the same score, from a list of that word's products. Words
 * too short for a key read the product-wide feature.
 */
function recencyClause(text: string) {
  const key = recencyKeyOf(text);
  return key === undefined ? RECENCY_CLAUSE : { rank_feature: { ...RECENCY_CLAUSE.rank_feature, field: `wordRecency.${key}` } };
}

const SORTS = {
  RELEVANCE: [{ _score: "desc" }, { id: "asc" }],
  PRICE_ASC: [{ priceAmount: "asc" }, { id: "asc" }],
  PRICE_DESC: [{ priceAmount: "desc" }, { id: "asc" }],
  NEWEST: [{ createdAt: "desc" }, { id: "asc" }],
} as const;

/** The aggregation behind each facet. */
const FACET_AGGREGATIONS = {
  categories: { terms: { field: "category", size: 100 } },
  brands: { terms: { field: "brand", size: 200 } },
  // Products with a variant priced in each range, as the price filter matches.
  priceRanges: { terms: { field: "priceBands", size: PRICE_RANGES.length } },
  options: { terms: { field: "optionFacets", size: OPTION_FACET_SIZE } },
} as const satisfies Record<FacetName, unknown>;

/** Where a hit's shown fields are read: doc values of fields holding exactly what was indexed. */
const HIT_FIELDS = { name: "name.raw", priceAmount: "priceAmount", currency: "currency" } as const;

/**
 * The page: its hits (plus one to know whether another follows), with nothing counted; the
 * counts over all matches are `countsBody`, sent alongside. `recencyByWord: false` for an index
 * made before `wordRecency` (mapping 7), whose documents do not hold it until it is rebuilt.
 */
export function hitsBody(request: SearchRequest, options: { recencyByWord?: boolean } = {}) {
  const text = request.text.trim();
  return {
    size: request.first + 1,
    ...ENGINE_TIME_LIMIT,
    // Nothing counted here (see countsBody): tracked up to one match, which costs nothing.
    track_total_hits: 1,
    // What a result shows (see SearchHit), from doc values: no stored field is read. Stored
    // fields (the _source, the _id) are compressed in blocks of many products, and a page's
    // hits lie in as many blocks as it has hits, each decompressed for one product: at
    // 1,000,000 products that was 0.88 ms of a page's 4.3 ms of engine time (0.22 ms from doc
    // values). The id is the sort's last value (every sort ends with it).
    stored_fields: "_none_",
    docvalue_fields: Object.values(HIT_FIELDS),
    query:
      text && request.sort === "RELEVANCE" && !request.forgiveTypos
        ? relevanceQuery(text, filterClauses(request), options.recencyByWord ?? true)
        : {
            bool: {
              must: text ? [textQuery(text, request.forgiveTypos)] : [{ match_all: {} }],
              filter: filterClauses(request),
              // Beside the words, not among their ranking clauses: the engine then bounds each
              // block of matches by the words' best score plus the block's newest product, and
              // skips the blocks that cannot make the page.
              ...(text && request.sort === "RELEVANCE" ? { should: [RECENCY_CLAUSE] } : {}),
            },
          },
    sort: SORTS[request.sort],
    ...(request.after ? { search_after: request.after } : {}),
  };
}

/**
 * The counts the caller reads over every match (the total, each facet asked for), with the
 * words as a filter: nothing is scored, and the engine runs it beside the page. Undefined
 * when nothing is counted, unless `whetherAny`: past the last page, whether anything matched.
 */
export function countsBody(request: SearchRequest, options: { whetherAny?: boolean } = {}) {
  const facets = FACET_NAMES.filter((facet) => request.counts.facets.has(facet));
  if (!request.counts.total && facets.length === 0 && !options.whetherAny) return undefined;
  const text = request.text.trim();
  const cap = capOf(request.counts);
  return {
    size: 0,
    ...ENGINE_TIME_LIMIT,
    // Uncounted, the total is tracked up to one match: whether any exists at all. Capped, the
    // engine stops collecting after the first countingLimit matches, and the facets count
    // those only (aggregations run as matches are collected): the work no longer grows with
    // the catalog. terminate_after is per shard; the indexes have one, and more shards only
    // count more of the matches, which the cap still bounds.
    ...(cap !== undefined
      ? { track_total_hits: countingLimit(cap), terminate_after: countingLimit(cap) }
      : { track_total_hits: request.counts.total ? true : 1 }),
    query: { bool: { filter: [...(text ? [matchingClause(text, request.forgiveTypos)] : []), ...filterClauses(request)] } },
    ...(facets.length > 0 ? { aggs: Object.fromEntries(facets.map((facet) => [facet, FACET_AGGREGATIONS[facet]])) } : {}),
  };
}

interface RawHit {
  sort: unknown[];
  fields: Record<string, unknown[]>;
}

interface RawSearchResponse {
  hits: { total: { value: number } | number; hits: RawHit[] };
  aggregations?: {
    categories?: { buckets: { key: string; doc_count: number }[] };
    brands?: { buckets: { key: string; doc_count: number }[] };
    priceRanges?: { buckets: { key: string; doc_count: number }[] };
    options?: { buckets: { key: string; doc_count: number }[] };
  };
}

/** Reads a page (`hitsBody`'s answer) and, when counts were asked, `countsBody`'s answer; either cut at the time limit is refused. */
export function parseSearchResponse(request: SearchRequest, page: unknown, counted?: unknown): SearchHits {
  refuseTimedOut(page);
  refuseTimedOut(counted);
  const raw = (page as RawSearchResponse).hits.hits.slice(0, request.first + 1);
  const counts = counted as RawSearchResponse | undefined;
  const matchesCounted = !counts ? 0 : typeof counts.hits.total === "number" ? counts.hits.total : counts.hits.total.value;
  const cap = capOf(request.counts);
  const { total, exact } = cappedTotal(matchesCounted, cap);
  const terms = (buckets: { key: string; doc_count: number }[] = []) => buckets.map((b) => ({ value: b.key, count: b.doc_count }));
  const productsInBand = new Map((counts?.aggregations?.priceRanges?.buckets ?? []).map((bucket) => [bucket.key, bucket.doc_count]));
  const asked = request.counts.facets;
  return {
    totalCount: request.counts.total ? total : null,
    anyMatch: raw.length > 0 || total > 0,
    hits: raw.slice(0, request.first).map((hit) => {
      const id = String(hit.sort.at(-1));
      const field = (name: keyof typeof HIT_FIELDS) => {
        const value = hit.fields?.[HIT_FIELDS[name]]?.[0];
        if (value === undefined) throw new Error(`search hit ${id} came without its ${name}`);
        return value;
      };
      return { id, name: String(field("name")), price: { amount: Number(field("priceAmount")), currency: String(field("currency")) }, sortKey: [Number(hit.sort[0]), id] as SortKey };
    }),
    hasNextPage: raw.length > request.first,
    facets: cappedFacets(
      {
        categories: terms(counts?.aggregations?.categories?.buckets),
        brands: terms(counts?.aggregations?.brands?.buckets),
        priceRanges: asked.has("priceRanges") ? PRICE_RANGES.map((range) => ({ min: range.min, max: range.max, count: productsInBand.get(priceBandKey(range)) ?? 0 })) : [],
        options: groupOptionFacets(terms(counts?.aggregations?.options?.buckets)),
      },
      exact ? undefined : cap,
    ),
    countsExact: exact,
  };
}

/** The document's recency under each start of the words its `all_text` holds (the fields copied to it). */
function wordRecency(document: SearchDocument, recency: number): Record<string, number> {
  const texts = [document.name, document.description, document.category, document.brand, ...document.attributes, ...document.optionFacets];
  return Object.fromEntries(recencyKeys(texts).map((key) => [key, recency]));
}

/**
 * A bulk body (NDJSON) writing each change to each target, and its name and popularity to each
 * suggestion target, with external versioning (see indexVersion): the engine keeps a document
 * (or a delete's tombstone) unless the change's version is higher, which makes indexing
 * idempotent and ordered per product whatever the delivery order.
 */
export function bulkBody(changes: readonly IndexChange[], targets: readonly string[]): string {
  const lines: string[] = [];
  for (const target of targets) {
    for (const change of changes) {
      if (change.kind === "upsert") {
        lines.push(JSON.stringify({ index: { _index: target, _id: change.document.id, version: indexVersion(change), version_type: "external" } }));
        const recency = recencyFeature(change.document.createdAt);
        lines.push(JSON.stringify({ ...(change.document satisfies SearchDocument), priceBands: priceBands(change.document), recency, wordRecency: wordRecency(change.document, recency) }));
      } else {
        lines.push(JSON.stringify({ delete: { _index: target, _id: change.id, version: indexVersion(change), version_type: "external" } }));
      }
    }
  }
  return lines.join("\n") + "\n";
}

interface BulkItem {
  status: number;
  _index?: string;
  error?: { type?: string; reason?: string };
}

/**
 * The failures of a bulk response that matter: a version conflict means the index already
 * holds this change or a newer one, a missing document on delete means it is already gone,
 * and a missing alias in `optionalTargets` means a rebuild finished meanwhile.
 */
export function bulkFailures(body: unknown, optionalTargets: readonly string[] = []): string[] {
  const response = body as { errors?: boolean; items?: Record<string, BulkItem>[] };
  if (!response.errors) return [];
  const failures: string[] = [];
  for (const entry of response.items ?? []) {
    const item = Object.values(entry)[0];
    if (!item || item.status < 300 || item.status === 409 || (item.status === 404 && !item.error)) continue;
    if (item.error?.type === "index_not_found_exception" && optionalTargets.some((t) => item.error?.reason?.includes(t))) continue;
    failures.push(describeBulkItem(item));
  }
  return failures;
}
