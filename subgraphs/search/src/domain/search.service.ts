import { badInput, pageSize } from "#kernel";
import { EVERY_COUNT, type SearchCounts, type SearchFacets, type SearchFilter, type SearchHit, type SearchIndex, type SearchSort, type SortKey } from "../ports/search-index.js";
import { suggestCompletions, type SuggestionKind } from "./autocomplete.js";
import { searchAsTyped } from "./search-as-typed.js";
import { positionAfter, searchCursor } from "./search-cursor.js";
import { engineWords, MAX_SEARCH_WORDS, tooShortToSearch } from "./search-words.js";
import { normaliseSlug } from "../../../products/src/categories/category.js";
import { brandSpellings } from "./brand-spellings.js";
import { spellSymbolNames } from "./symbol-names.js";
import type { CategoryScopes } from "../ports/category-scopes.js";

/** A product search answers with: a search result's carries its name and price as indexed (`@provides`), a suggestion's its id only. */
export type FoundProduct = Pick<SearchHit, "id"> & Partial<Pick<SearchHit, "name" | "price">>;

export interface SearchPage {
  /** Null when the caller did not select it (see SearchCounts). */
  totalCount: number | null;
  /** False when more match than the count cap: `totalCount` is then the cap, a lower bound. */
  totalCountIsExact: boolean;
  edges: { cursor: string; node: Pick<SearchHit, "id" | "name" | "price"> }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  facets: SearchFacets & { countsAreExact: boolean };
  typosForgiven: boolean;
}

export interface SearchArgs {
  query: string;
  filter?: {
    categories?: string[] | null;
    brands?: string[] | null;
    price?: { min?: number | null; max?: number | null } | null;
    options?: { name: string; values: string[] }[] | null;
  } | null;
  sort?: SearchSort | null;
  first?: number | null;
  after?: string | null;
}

function validFilter(filter: SearchArgs["filter"]): SearchFilter {
  const list = (field: string, values: string[] | null | undefined) => {
    if (!values) return undefined;
    if (values.length > 50) throw badInput(`At most 50 ${field} at once`, { field });
    return values;
  };
  const result: SearchFilter = { categories: list("categories", filter?.categories), brands: list("brands", filter?.brands) };
  if (filter?.options) {
    if (filter.options.length > 10) throw badInput("At most 10 options at once", { field: "options" });
    result.options = filter.options.map((option) => {
      const name = option.name.trim();
      if (!name || name.length > 100) throw badInput("An option name has 1 to 100 characters", { field: "options" });
      const values = list(`values of ${name}`, option.values)!.map((value) => value.trim());
      if (values.length === 0) throw badInput(`Option ${name} needs at least one value`, { field: "options", name });
      if (values.some((value) => !value || value.length > 100)) throw badInput("An option value has 1 to 100 characters", { field: "options", name });
      return { name, values };
    });
  }
  const price = filter?.price;
  if (price) {
    const min = price.min ?? undefined;
    const max = price.max ?? undefined;
    if ((min !== undefined && min < 0) || (max !== undefined && max < 0)) throw badInput("Prices are not negative", { field: "price" });
    if (min !== undefined && max !== undefined && min > max) throw badInput("The price minimum is above the maximum", { field: "price" });
    // The range ends before max (as a price facet's bucket does), so min = max holds no price:
    // an answer of no products would read as "nothing at that price".
    if (min !== undefined && min === max) throw badInput(`The price maximum is exclusive: for prices of exactly ${min}, send max ${min + 1}`, { field: "price", min, max });
    result.price = { min, max };
  }
  return result;
}

/** Search rules: input checks, cursors bound to their sort, and pages of entity references. */
/**
 * Facet buckets a search answers at most: the sizes the schema declares for SearchFacets'
 * lists, which the gateway's cost measure counts (the engines' aggregations ask for up to
 * 100 categories, 200 brands and 1,000 option values; the embedded index for all of them).
 */
export const FACET_LIMITS = { categories: 100, brands: 200, options: 20, valuesPerOption: 50 } as const;

/** The most counted buckets of each facet, within FACET_LIMITS (buckets come most first; price ranges are fixed). */
export function boundedFacets(facets: SearchFacets): SearchFacets {
  return {
    ...facets,
    categories: facets.categories.slice(0, FACET_LIMITS.categories),
    brands: facets.brands.slice(0, FACET_LIMITS.brands),
    options: facets.options.slice(0, FACET_LIMITS.options).map((option) => ({ ...option, values: option.values.slice(0, FACET_LIMITS.valuesPerOption) })),
  };
}

/**
 * The order an index pages in. Without words every product matches equally well, so "best
 * match first" has nothing to rank by: such a page came in id order, which the engine finds
 * only by comparing every match (137 ms of engine time for a page of the whole 1,000,000-product
 * catalog, 205 ms with a price filter), where newest first skips all but the page (10 ms). The
 * cursor keeps the sort asked for; the text, and so the order, is the same on every page.
 */
export const orderOf = (text: string, sort: SearchSort): SearchSort => (sort === "RELEVANCE" && text === "" ? "NEWEST" : sort);

/**
 * The filter as the index applies it: a category names itself in any case and every category
 * below it (as the products subgraph's `categorySlug` does), a brand every spelling of it
 * whatever its case. The index knows each product by its own category and brand as written,
 * so `categories: ["Clothing"]` or a parent category matched nothing.
 */
async function scopedFilter(filter: SearchFilter, index: SearchIndex, categories: CategoryScopes | undefined): Promise<SearchFilter> {
  const scoped = { ...filter };
  if (filter.categories?.length) {
    const slugs = filter.categories.map(normaliseSlug);
    scoped.categories = categories ? await categories.within(slugs) : [...new Set(slugs)];
  }
  if (filter.brands?.length) scoped.brands = brandSpellings(filter.brands, (await index.facetValues()).brands);
  return scoped;
}

export interface SearchServiceDeps {
  index: SearchIndex;
  /** What lies below each category; without it a category filter matches the named categories only. */
  categories?: CategoryScopes;
  /**
   * Matches counted exactly (SEARCH_EXACT_COUNT_LIMIT); past it the total and facets are lower
   * bounds (see count-cap.ts). Unset: every match is counted.
   */
  exactCountLimit?: number;
}

export function createSearchService(deps: SearchServiceDeps) {
  const { index, exactCountLimit, categories } = deps;
  return {
    /** `counts`: what the caller reads of the counts over all matches (by default, all of them). */
    async search(args: SearchArgs, counts: SearchCounts = EVERY_COUNT): Promise<SearchPage> {
      const typed = args.query.trim();
      if (typed.length > 200) throw badInput("A search query has at most 200 characters", { field: "query" });
      // "C#" as the one word the index holds for it, not the letter "c" (see symbol-names.ts).
      const text = spellSymbolNames(typed);
      // Refused, not cut: the words past the bound would change what matches, unseen.
      if (engineWords(text).length > MAX_SEARCH_WORDS) {
        throw badInput(`A search query has at most ${MAX_SEARCH_WORDS} words (each Chinese or Japanese character and each emoji counts as one)`, { field: "query", maxWords: MAX_SEARCH_WORDS });
      }
      if (tooShortToSearch(text)) {
        // Said so a storefront can show it as it is; the schema points developers to autocomplete.
        throw badInput("Type a word of at least 2 letters or digits to search", { field: "query", minWordLength: 2 });
      }
      const sort = args.sort ?? "RELEVANCE";
      const first = pageSize(args.first, { fallback: 20, max: 100 });
      const order = orderOf(text, sort);
      const after: SortKey | undefined = args.after ? positionAfter(args.after, sort, order) : undefined;
      const filter = await scopedFilter(validFilter(args.filter), index, categories);
      const result = await searchAsTyped(index, { text, filter, sort: order, first, after, counts: { ...counts, exactUpTo: exactCountLimit } });
      const edges = result.hits.map((hit) => ({ cursor: searchCursor(sort, order, hit.sortKey), node: { id: hit.id, name: hit.name, price: hit.price } }));
      return {
        totalCount: result.totalCount,
        totalCountIsExact: result.countsExact,
        edges,
        pageInfo: { hasNextPage: result.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
        facets: { ...boundedFacets(result.facets), countsAreExact: result.countsExact },
        typosForgiven: result.typosForgiven,
      };
    },

    /** Suggestions as the shopper types; the gateway's search budget bounds how often. */
    async autocomplete(args: { prefix: string; first?: number | null; kinds?: readonly SuggestionKind[] | null }) {
      const prefix = args.prefix.trim();
      if (prefix.length > 100) throw badInput("A prefix has at most 100 characters", { field: "prefix" });
      const limit = pageSize(args.first, { fallback: 8, max: 20 });
      const suggestions = await suggestCompletions(index, prefix, { limit, kinds: args.kinds ?? undefined });
      return suggestions.map((s) => ({
        kind: s.kind,
        text: s.text,
        product: s.kind === "PRODUCT" ? { id: s.productId } : null,
        category: s.kind === "CATEGORY" ? s.value : null,
        brand: s.kind === "BRAND" ? s.value : null,
      }));
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
