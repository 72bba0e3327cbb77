import { SearchProductsDocument } from "../../../../clients/typescript/src/index.js";
import { Await, ProductGrid } from "../components.js";
import { href } from "../route.js";
import { useQuery } from "../use-operation.js";

/** New arrivals and the categories to browse (trending joins when the catalog ranks it). */
export function HomePage() {
  const [newest] = useQuery(SearchProductsDocument, { query: "", sort: "NEWEST" });
  return (
    <Await loaded={newest}>
      {({ search }) => (
        <>
          <section aria-labelledby="categories-title">
            <h2 id="categories-title">Shop by category</h2>
            <ul class="chips">
              {search.facets.categories.map((category) => (
                <li key={category.value}>
                  <a href={href.category(category.value)}>
                    {category.value} <span class="count">({category.count})</span>
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
  );
}
