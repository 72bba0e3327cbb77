import { SearchProductsDocument, TrendingProductsDocument } from "../../../../clients/typescript/src/index.js";
import { Await, ProductGrid } from "../components.js";
import { useCategoryName } from "../category-names.js";
import { href } from "../route.js";
import { useQuery } from "../use-operation.js";

/**
 * What is trending (the most viewed products of the last hour), new arrivals, and the
 * categories to browse. A shop nobody has looked at yet has no trend: the rail stays away
 * rather than show an empty shelf, and a failure to rank costs the page nothing.
 */
export function HomePage() {
  const [trending] = useQuery(TrendingProductsDocument, { window: "LAST_HOUR", first: 8 });
  const [newest] = useQuery(SearchProductsDocument, { query: "", sort: "NEWEST" });
  const categoryName = useCategoryName();
  return (
    <>
      {/* The page's main heading, as every page has one (screen readers jump to it); the
          header shows the store's name already. */}
      <h1 class="visually-hidden">Storefront</h1>
      <Await loaded={newest}>
        {({ search }) => (
          <>
            {trending.state === "done" && trending.data.trendingProducts.length > 0 && (
              <section aria-labelledby="trending-title">
                <h2 id="trending-title">Trending now</h2>
                <ProductGrid label="Trending now" products={trending.data.trendingProducts} />
              </section>
            )}
            <section aria-labelledby="categories-title">
              <h2 id="categories-title">Shop by category</h2>
              <ul class="chips">
                {search.facets.categories.map((category) => (
                  <li key={category.value}>
                    <a href={href.category(category.value)}>
                      {categoryName(category.value)} <span class="count">({category.count})</span>
                    </a>
                  </li>
                ))}
              </ul>
            </section>
            <section aria-labelledby="new-title">
              <h2 id="new-title">New arrivals</h2>
              <ProductGrid label="New arrivals" products={search.edges.map((edge) => edge.node)} />
            </section>
          </>
        )}
      </Await>
    </>
  );
}
