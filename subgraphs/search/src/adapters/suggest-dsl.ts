/**
 * Autocomplete on Elasticsearch 8 and OpenSearch 2: `domain/suggestion-match.ts` written as a
 * query. Each typed word must match (bool must); its score is the best of constant-score
 * clauses, one per kind of match, so the engine's score equals `matchQuality` exactly and the
 * order (score, popularity, name, id) is the embedded index's.
 */
import type { FacetValues, ProductSuggestion } from "../ports/search-index.js";
import { ENGINE_TIME_LIMIT, refuseTimedOut } from "./search-time-limit.js";
import { INFIX_LENGTH, MAX_WORD_PREFIX, NAME_START_BONUS, typoBudget, WORD_QUALITY, type TypedText } from "../domain/suggestion-match.js";

/** Terms a typo'd word may stand for; enough for a catalog's vocabulary, bounded per keystroke. */
const TYPO_EXPANSIONS = 128;

const scored = (filter: Record<string, unknown>, boost: number) => ({ constant_score: { filter, boost } });

/** One way a typed word can match a word of a name: its quality and the engine's filter for it. */
export interface WordLevel {
  quality: number;
  filter: Record<string, unknown>;
}

/** The ways a typed word can match a name's words, best first (suggestion-match.ts wordQuality). */
export function wordLevels(word: string): WordLevel[] {
  const budget = typoBudget(word);
  return [
    { quality: WORD_QUALITY.exact, filter: { term: { name: word } } },
    ...(word.length <= MAX_WORD_PREFIX ? [{ quality: WORD_QUALITY.wordStart, filter: { term: { "name.prefix": word } } }] : []),
    ...(word.length >= INFIX_LENGTH.min && word.length <= INFIX_LENGTH.max ? [{ quality: WORD_QUALITY.infix, filter: { term: { "name.infix": word } } }] : []),
    // A fuzzy term over the word prefixes is a typo'd prefix: "hedph" finds "headphones". A
    // word too long to come within the budget of any indexed prefix is not sent (nor is the
    // engine asked to build an automaton for it).
    ...(budget > 0 && word.length <= MAX_WORD_PREFIX + budget
      ? [{ quality: WORD_QUALITY.typo, filter: { fuzzy: { "name.prefix": { value: word, fuzziness: budget, transpositions: true, prefix_length: 0, max_expansions: TYPO_EXPANSIONS } } } }]
      : []),
  ];
}

/** A word's score is its best level's: the best of constant scores. */
const wordClause = (word: string) => ({ dis_max: { queries: wordLevels(word).map((level) => scored(level.filter, level.quality)) } });

/**
 * Distinct names (collapsed), best first; sort values carry the score, popularity, name and id,
 * so no stored field is read (see hitsBody: each hit's would be a block decompressed).
 */
export function suggestBody(typed: TypedText, limit: number) {
  return {
    size: limit,
    ...ENGINE_TIME_LIMIT,
    stored_fields: "_none_",
    query: {
      bool: {
        must: typed.words.map(wordClause),
        should: [scored({ prefix: { "name.phrase": typed.phrase } }, NAME_START_BONUS)],
      },
    },
    sort: [{ _score: "desc" }, { popularity: { order: "desc", unmapped_type: "long" } }, { "name.raw": "asc" }, { id: "asc" }],
    collapse: { field: "name.raw" },
  };
}

interface RawSuggestResponse {
  hits: { hits: { sort: unknown[] }[] };
}

export function parseSuggestResponse(body: unknown): ProductSuggestion[] {
  refuseTimedOut(body);
  return (body as RawSuggestResponse).hits.hits.map((hit) => ({
    productId: String(hit.sort[3]),
    quality: Math.round(Number(hit.sort[0] ?? 0)),
    popularity: Math.max(0, Number(hit.sort[1] ?? 0)),
    text: String(hit.sort[2] ?? ""),
  }));
}

/** Every brand and category with its product count and units sold. */
export function facetValuesBody() {
  const popularity = { popularity: { sum: { field: "popularity" } } };
  return {
    size: 0,
    ...ENGINE_TIME_LIMIT,
    aggs: {
      brands: { terms: { field: "brand", size: 2_000 }, aggs: popularity },
      categories: { terms: { field: "category", size: 1_000 }, aggs: popularity },
    },
  };
}

interface RawFacetBucket {
  key: string;
  doc_count: number;
  popularity?: { value: number | null };
}

export function parseFacetValuesResponse(body: unknown): FacetValues {
  refuseTimedOut(body);
  const aggregations = (body as { aggregations?: Record<"brands" | "categories", { buckets: RawFacetBucket[] }> }).aggregations;
  const values = (buckets: RawFacetBucket[] = []) => buckets.map((b) => ({ value: b.key, products: b.doc_count, popularity: b.popularity?.value ?? 0 }));
  return { brands: values(aggregations?.brands.buckets), categories: values(aggregations?.categories.buckets) };
}
