import MiniSearch, { type SearchOptions } from "minisearch";
import type { FacetCount, FacetValues, IndexChange, ProductSuggestion, SearchDocument, SearchHits, SearchIndex, SearchRequest, SortKey, StorageOrder } from "../ports/search-index.js";
import { inPriceRange, PRICE_RANGES } from "../domain/price-ranges.js";
import type { TypedText } from "../domain/suggestion-match.js";
import { foldAsEngines } from "../domain/engine-folding.js";
import { groupOptionFacets, variantPredicate } from "../domain/variant-facets.js";
import { EmbeddedSuggestions } from "./embedded-suggestions.js";
import { indexVersion } from "../domain/index-version.js";
import { capOf, cappedFacets, cappedTotal, countingLimit } from "../domain/count-cap.js";
import { recencyScore } from "../domain/recency-rank.js";
import { FIELD_SCORES, type RankedField } from "../domain/field-scores.js";
import { lastWordIsPrefix } from "../domain/search-words.js";
import { DOCUMENT_FORMAT } from "../domain/document-format.js";
import { typoForgivingQuery } from "./embedded-typo-query.js";

/** The same matching rule as the engines: every word, typos forgiven when asked, the last one may be a prefix (see lastWordIsPrefix). */
const MATCHING: SearchOptions = {
  combineWith: "AND",
  fuzzy: false,
  prefix: (_term, i, terms) => i === terms.length - 1 && lastWordIsPrefix(terms),
};

/**
 * A match's relevance, as the engines score it: each matched word scores the fields it is in,
 * whatever other products hold (MiniSearch's own score weighs a word by how many products have
 * it, so a write to one product moved the score of every other, and cursors skipped or
 * repeated), then newer first among equal matches (see recency-rank.ts).
 */
function relevance(match: Record<string, string[]>, createdAt: number): number {
  let score = 0;
  for (const fields of Object.values(match)) for (const field of fields) score += FIELD_SCORES[field as RankedField] ?? 0;
  return score + recencyScore(createdAt);
}

interface Generation {
  text: MiniSearch<SearchDocument>;
  documents: Map<string, SearchDocument>;
  /** Highest version seen per product, deletes included: the embedded external versioning. */
  versions: Map<string, number>;
  suggestions: EmbeddedSuggestions;
  /** The format of the documents it was filled with (document-format.ts). */
  documentFormat: number;
}

function newGeneration(documentFormat = DOCUMENT_FORMAT): Generation {
  return {
    documentFormat,
    text: new MiniSearch<SearchDocument>({
      fields: ["name", "brand", "category", "attributes", "optionValues", "description"],
      extractField: (document, field) => {
        // Option values are searchable words, as the engines copy them into all_text.
        if (field === "optionValues") return document.optionFacets.join(" ").replace(/\u001f/g, " ");
        const value = (document as unknown as Record<string, unknown>)[field];
        return Array.isArray(value) ? value.join(" ") : String(value ?? "");
      },
      processTerm: foldAsEngines,
      searchOptions: MATCHING,
    }),
    documents: new Map(),
    versions: new Map(),
    suggestions: new EmbeddedSuggestions(),
  };
}

function applyTo(generation: Generation, change: IndexChange): void {
  const id = change.kind === "upsert" ? change.document.id : change.id;
  const version = indexVersion(change);
  if ((generation.versions.get(id) ?? 0) >= version) return;
  generation.versions.set(id, version);
  if (generation.documents.has(id)) generation.text.discard(id);
  if (change.kind === "upsert") {
    generation.documents.set(id, change.document);
    generation.text.add(change.document);
    generation.suggestions.add(change.document);
  } else {
    generation.documents.delete(id);
    generation.suggestions.remove(id);
  }
}

type Comparator = (a: SearchDocument & { score: number }, b: SearchDocument & { score: number }) => number;
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const SORTS: Record<SearchRequest["sort"], { key: (d: SearchDocument & { score: number }) => number; compare: Comparator }> = {
  RELEVANCE: { key: (d) => d.score, compare: (a, b) => b.score - a.score || byId(a, b) },
  PRICE_ASC: { key: (d) => d.priceAmount, compare: (a, b) => a.priceAmount - b.priceAmount || byId(a, b) },
  PRICE_DESC: { key: (d) => d.priceAmount, compare: (a, b) => b.priceAmount - a.priceAmount || byId(a, b) },
  NEWEST: { key: (d) => d.createdAt, compare: (a, b) => b.createdAt - a.createdAt || byId(a, b) },
};

function facetCounts(values: string[]): FacetCount[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

/**
 * The search index in process, for the zero-setup mode and tests: MiniSearch for fuzzy and
 * prefix matching and relevance, with filters, facets, sorts and pages computed here the way
 * the engines compute them. A rebuild fills a second generation while live changes reach
 * both, then swaps it in, as the engines' alias swap does.
 */
export class EmbeddedSearchIndex implements SearchIndex {
  readonly engine = "embedded";
  private current: Generation;
  private building?: Generation;

  /**
   * `documentFormat`: the format of the documents it is first given, when they were made by an
   * older version (a process holding documents from before an upgrade); such an index calls for
   * a rebuild as an engine's does. A rebuild writes the current format.
   */
  constructor(options: { documentFormat?: number } = {}) {
    this.current = newGeneration(options.documentFormat);
  }

  async ensureIndex(): Promise<void> {}

  async apply(changes: readonly IndexChange[]): Promise<void> {
    for (const change of changes) {
      applyTo(this.current, change);
      if (this.building) applyTo(this.building, change);
    }
  }

  async search(request: SearchRequest): Promise<SearchHits> {
    const { documents, text } = this.current;
    const query = request.text.trim();
    const scored = (query ? text.search(request.forgiveTypos ? typoForgivingQuery(query, foldAsEngines, MATCHING) : query) : text.search(MiniSearch.wildcard)).map((hit) => {
      const document = documents.get(hit.id as string)!;
      return { ...document, score: query ? relevance(hit.match, document.createdAt) : 0 };
    });
    const { categories, brands } = request.filter;
    const variantMatches = variantPredicate(request.filter);
    const matches = scored.filter(
      (d) => (!categories?.length || categories.includes(d.category)) && (!brands?.length || brands.includes(d.brand)) && (!variantMatches || d.variants.some(variantMatches)),
    );
    // As the engines count past a cap: the first matches met in the index's own order (here
    // the text index's), not the page's.
    const cap = capOf(request.counts);
    const counted = cap === undefined ? matches : matches.slice(0, countingLimit(cap));
    const sort = SORTS[request.sort];
    matches.sort(sort.compare);
    let start = 0;
    if (request.after) {
      const [value, id] = request.after;
      const cursor = { ...matches[0]!, id, score: value, priceAmount: value, createdAt: value };
      start = matches.findIndex((d) => sort.compare(d, cursor) > 0);
      if (start < 0) start = matches.length;
    }
    const page = matches.slice(start, start + request.first);
    const asked = request.counts.facets;
    const { total, exact } = cappedTotal(counted.length, cap);
    return {
      totalCount: request.counts.total ? total : null,
      anyMatch: matches.length > 0,
      hits: page.map((d) => ({ id: d.id, name: d.name, price: { amount: d.priceAmount, currency: d.currency }, sortKey: [sort.key(d), d.id] as SortKey })),
      hasNextPage: start + request.first < matches.length,
      facets: cappedFacets(
        {
          categories: asked.has("categories") ? facetCounts(counted.map((d) => d.category)) : [],
          brands: asked.has("brands") ? facetCounts(counted.map((d) => d.brand)) : [],
          priceRanges: asked.has("priceRanges") ? PRICE_RANGES.map((range) => ({ ...range, count: counted.filter((d) => d.variants.some((v) => inPriceRange(v.price, range))).length })) : [],
          options: asked.has("options") ? groupOptionFacets(facetCounts(counted.flatMap((d) => d.optionFacets))) : [],
        },
        exact ? undefined : cap,
      ),
      countsExact: exact,
    };
  }

  async suggestProducts(typed: TypedText, limit: number): Promise<ProductSuggestion[]> {
    return this.current.suggestions.suggest(typed, limit);
  }

  async facetValues(): Promise<FacetValues> {
    return this.current.suggestions.facetValues();
  }

  async needsRebuild(): Promise<boolean> {
    return this.current.documents.size === 0 || this.current.documentFormat < DOCUMENT_FORMAT;
  }

  async count(): Promise<number> {
    return this.current.documents.size;
  }

  /** Every page reads every match here, in no stored order: always as good as rebuilt. */
  async storageOrder(): Promise<StorageOrder> {
    return { documents: this.current.documents.size, writtenInOrder: this.current.documents.size };
  }

  async refresh(): Promise<void> {}

  async rebuild(source: AsyncIterable<SearchDocument[]>, onProgress?: (indexed: number) => void): Promise<{ indexed: number }> {
    const building = newGeneration();
    this.building = building;
    let indexed = 0;
    try {
      for await (const documents of source) {
        for (const document of documents) applyTo(building, { kind: "upsert", document });
        indexed += documents.length;
        onProgress?.(indexed);
      }
      this.current = building;
      return { indexed };
    } finally {
      if (this.building === building) this.building = undefined;
    }
  }

  async close(): Promise<void> {}
}
