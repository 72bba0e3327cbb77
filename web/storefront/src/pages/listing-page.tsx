import { useState } from "preact/hooks";
import { formatCount, SearchProductsDocument, type SearchSort } from "../../../../clients/typescript/src/index.js";
import { Await, ProductGrid } from "../components.js";
import { useCategoryName } from "../category-names.js";
import { useQuery } from "../use-operation.js";
import { noSearchResults, searchHeading } from "../search-words.js";

const SORTS: { value: SearchSort; label: string }[] = [
  { value: "RELEVANCE", label: "Best match" },
  { value: "PRICE_ASC", label: "Price: low to high" },
  { value: "PRICE_DESC", label: "Price: high to low" },
  { value: "NEWEST", label: "Newest" },
];

/** Adds or removes one value from a list of chosen values. */
const toggle = (chosen: string[], value: string, checked: boolean) => (checked ? [...chosen, value] : chosen.filter((v) => v !== value));

/**
 * A category, or search results: facets to narrow by brand and by option values (Colour, Size),
 * and a sort order. A category lists its `categories` (itself and those below it) when given.
 */
export function ListingPage({ category, categories, query }: { category?: string; categories?: string[]; query?: string }) {
  const [sort, setSort] = useState<SearchSort>(category ? "NEWEST" : "RELEVANCE");
  const [brands, setBrands] = useState<string[]>([]);
  const [options, setOptions] = useState<Record<string, string[]>>({});
  const optionFilter = Object.entries(options)
    .filter(([, values]) => values.length > 0)
    .map(([name, values]) => ({ name, values }));
  const [result] = useQuery(SearchProductsDocument, {
    query: query ?? "",
    sort,
    filter: { ...(category ? { categories: categories ?? [category] } : {}), ...(brands.length ? { brands } : {}), ...(optionFilter.length ? { options: optionFilter } : {}) },
  });
  const categoryName = useCategoryName();
  const title = category ? categoryName(category) : searchHeading(query ?? "");
  return (
    <section aria-labelledby="listing-title">
      {/* A category's slug stands in (capitalized) until its name loads; a query shows as typed. */}
      <h1 id="listing-title" class={category ? "capitalized" : undefined}>
        {title}
      </h1>
      <div class="listing">
        <aside class="facets" aria-label="Filters">
          <label for="sort">Sort by</label>
          <select id="sort" value={sort} onChange={(event) => setSort((event.target as HTMLSelectElement).value as SearchSort)}>
            {SORTS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
          {result.state === "done" && result.data.search.facets.brands.length > 0 && (
            <fieldset>
              <legend>Brand</legend>
              {result.data.search.facets.brands.map((brand) => (
                <label key={brand.value} class="check">
                  <input
                    type="checkbox"
                    checked={brands.includes(brand.value)}
                    onChange={(event) => {
                      const checked = (event.target as HTMLInputElement).checked;
                      setBrands((chosen) => toggle(chosen, brand.value, checked));
                    }}
                  />
                  {brand.value} ({formatCount(brand.count, result.data.search.facets.countsAreExact)})
                </label>
              ))}
            </fieldset>
          )}
          {result.state === "done" &&
            result.data.search.facets.options.map((option) => (
              <fieldset key={option.name}>
                <legend>{option.name}</legend>
                {option.values.map((value) => (
                  <label key={value.value} class="check">
                    <input
                      type="checkbox"
                      checked={options[option.name]?.includes(value.value) ?? false}
                      onChange={(event) => {
                        const checked = (event.target as HTMLInputElement).checked;
                        setOptions((chosen) => ({ ...chosen, [option.name]: toggle(chosen[option.name] ?? [], value.value, checked) }));
                      }}
                    />
                    {value.value} ({formatCount(value.count, result.data.search.facets.countsAreExact)})
                  </label>
                ))}
              </fieldset>
            ))}
        </aside>
        <div>
          <Await loaded={result}>
            {({ search }) => (
              <>
                <p aria-live="polite">
                  {formatCount(search.totalCount, search.totalCountIsExact)} products{search.typosForgiven && <> · nothing matched “{query}” as typed, so these are results for similar words</>}
                </p>
                <ProductGrid label={title} products={search.edges.map((edge) => edge.node)} empty={category ? undefined : noSearchResults(query ?? "")} />
              </>
            )}
          </Await>
        </div>
      </div>
    </section>
  );
}
