import { DomainError, ErrorCode, badInput, notFound, pageSize } from "#kernel";
import type { Product } from "../domain/product.js";
import type { CategoryTree } from "../categories/category.js";
import type { ListingIndex } from "../ports/listing-index.js";
import { cursorKey, listingCursor, listingScope } from "./listing-cursor.js";
import { listedPrice, listingFacts, listingKey } from "./listing-facts.js";
import type { ProductCard, ProductSource } from "./listing-card.js";
import { SORT_FIELDS, type ListingFilter, type ListingSort, type OptionCriterion } from "./listing-query.js";

export interface ListingArgs {
  first?: number | null;
  after?: string | null;
  /** Deprecated alias of filter.categorySlug. */
  category?: string | null;
  filter?: {
    categorySlug?: string | null;
    priceMin?: number | null;
    priceMax?: number | null;
    inStock?: boolean | null;
    options?: readonly { name: string; values: readonly string[] }[] | null;
  } | null;
  sort?: { field?: string | null; direction?: string | null } | null;
}

export interface ProductListingPage {
  edges: { cursor: string; node: ProductSource }[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: () => Promise<number>;
}

const MAX_OPTION_FILTERS = 10;
const MAX_OPTION_VALUES = 50;
const DEFAULT_SORT: ListingSort = { field: "NEWEST", direction: "DESC" };

/**
 * `products(filter, sort)`: validates and normalises the query, reads a page of ids from the
 * listing index and the products from the catalog. A product the index still lists at an old
 * place (its change not synced yet) is left out rather than shown twice or out of order.
 *
 * With `cards`, when the query asks only for what a card holds (see CARD_SELECTION), entries with
 * a card are answered from it and no product is read: a card and its place come from the same
 * listing entry, so they always agree. Entries listed before cards are read as before.
 */
export function createProductListingService(deps: {
  listings: ListingIndex;
  tree: () => Promise<CategoryTree>;
  findByIds: (ids: readonly string[]) => Promise<Map<string, Product>>;
  /** The catalog's maintained live count, overall or of one category. */
  count: (category?: string) => Promise<number>;
}) {
  return {
    async list(args: ListingArgs, options: { cards?: boolean } = {}): Promise<ProductListingPage> {
      const first = pageSize(args.first);
      const sort = validSort(args.sort);
      const filter = validFilter(args);
      let categories: string[] | undefined;
      const slug = args.filter?.categorySlug ?? args.category;
      const scope = listingScope(slug ?? undefined, filter);
      const after = args.after ? cursorKey(args.after, sort, scope) : undefined;
      if (slug != null) {
        const tree = await deps.tree();
        const category = tree.get(slug);
        if (!category) throw notFound("Category", slug.trim().toLowerCase().slice(0, 100));
        categories = tree.subtree(category.slug);
      }
      const page = await deps.listings.list({ first, after, sort, filter: { ...filter, categories } });
      const cards = new Map<string, ProductCard>();
      if (options.cards) for (const { id, card } of page.items) if (card) cards.set(id, { ...card, card: true, id });
      const unread = page.items.flatMap((item) => (cards.has(item.id) ? [] : [item.id]));
      const products = unread.length ? await deps.findByIds(unread) : new Map<string, Product>();
      const edges = page.items.flatMap(({ id, key }): { cursor: string; node: ProductSource }[] => {
        const card = cards.get(id);
        if (card) return [{ cursor: listingCursor(sort, key, scope), node: card }];
        const product = products.get(id);
        if (!product) return [];
        // Popularity lives in the index only; the other sort values can be checked against the product.
        const facts = listingFacts(product, 0);
        const expected = listingKey(sort.field, sort.field === "PRICE" ? { ...facts, min: listedPrice(facts.prices, filter) ?? facts.min } : facts);
        if (sort.field !== "POPULARITY" && expected !== key) return [];
        return [{ cursor: listingCursor(sort, key, scope), node: product }];
      });
      return {
        edges,
        hasNextPage: page.hasNextPage,
        endCursor: page.endKey === null ? null : listingCursor(sort, page.endKey, scope),
        totalCount: async () => {
          if (filter.priceMin !== undefined || filter.priceMax !== undefined || filter.inStock !== undefined || filter.options?.length) {
            // Only whole categories have maintained counts; counting a price, stock or option
            // filter would read every matching listing entry, a million at scale.
            throw new DomainError(ErrorCode.QUERY_TOO_COMPLEX, "totalCount is only available for the whole catalog or a category; leave it out when filtering by price, stock or options");
          }
          if (!categories) return deps.count();
          return (await Promise.all(categories.map((each) => deps.count(each)))).reduce((sum, n) => sum + n, 0);
        },
      };
    },
  };
}

export type ProductListingService = ReturnType<typeof createProductListingService>;

function validSort(sort: ListingArgs["sort"]): ListingSort {
  if (!sort) return DEFAULT_SORT;
  const field = (sort.field ?? DEFAULT_SORT.field) as ListingSort["field"];
  const direction = (sort.direction ?? (field === "PRICE" || field === "NAME" ? "ASC" : "DESC")) as ListingSort["direction"];
  if (!SORT_FIELDS.includes(field) || (direction !== "ASC" && direction !== "DESC")) throw badInput("Unknown sort", { field: "sort" });
  return { field, direction };
}

function validFilter(args: ListingArgs): Omit<ListingFilter, "categories"> {
  const given = args.filter ?? {};
  if (given.categorySlug != null && args.category != null && given.categorySlug.trim().toLowerCase() !== args.category.trim().toLowerCase()) {
    throw badInput("Give the category once: filter.categorySlug (category is its deprecated alias)", { field: "category" });
  }
  const price = (value: number | null | undefined, field: string) => {
    if (value == null) return undefined;
    if (!Number.isSafeInteger(value) || value < 0) throw badInput(`${field} is an amount in minor units, 0 or more`, { field });
    return value;
  };
  const priceMin = price(given.priceMin, "priceMin");
  const priceMax = price(given.priceMax, "priceMax");
  if (priceMin !== undefined && priceMax !== undefined && priceMin > priceMax) throw badInput("priceMin is above priceMax", { field: "priceMin" });
  const options = given.options ?? [];
  if (options.length > MAX_OPTION_FILTERS) throw badInput(`At most ${MAX_OPTION_FILTERS} option filters`, { field: "options" });
  const criteria = new Map<string, Set<string>>();
  for (const option of options) {
    const name = option.name.trim().toLowerCase();
    if (name.length === 0 || name.length > 50) throw badInput("An option filter names an option of 1 to 50 characters", { field: "options" });
    if (option.values.length === 0 || option.values.length > MAX_OPTION_VALUES) throw badInput(`An option filter gives 1 to ${MAX_OPTION_VALUES} values`, { field: "options" });
    const values = option.values.map((value) => value.trim().toLowerCase());
    if (values.some((value) => value.length === 0 || value.length > 100)) throw badInput("An option value is 1 to 100 characters", { field: "options" });
    // The same option named twice: a product must match both lists (names AND).
    const existing = criteria.get(name);
    criteria.set(name, existing ? new Set(values.filter((value) => existing.has(value))) : new Set(values));
  }
  const optionCriteria: OptionCriterion[] = [...criteria].map(([name, values]) => ({ name, values: [...values] }));
  return {
    ...(priceMin !== undefined && { priceMin }),
    ...(priceMax !== undefined && { priceMax }),
    ...(given.inStock != null && { inStock: given.inStock }),
    ...(optionCriteria.length > 0 && { options: optionCriteria }),
  };
}
