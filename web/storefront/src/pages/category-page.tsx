import { CategoryListingDocument } from "../../../../clients/typescript/src/index.js";
import { href } from "../route.js";
import { useQuery } from "../use-operation.js";
import { ListingPage } from "./listing-page.js";

/**
 * A category's listing, or a not-found page for a slug the catalog does not know: the search
 * behind the listing answers an unknown category with no products, which showed a category
 * page that did not exist. The check runs beside the listing, so a known category waits for nothing.
 */
export function CategoryPage({ category }: { category: string }) {
  const [known] = useQuery(CategoryListingDocument, { slug: category, first: 1, withTotal: false });
  if (known.state === "error" && known.error.code === "NOT_FOUND") {
    return (
      <section aria-labelledby="listing-title">
        <h1 id="listing-title">Category not found</h1>
        <p>
          There is no category “{category}”. <a href={href.home()}>See every category</a>
        </p>
      </section>
    );
  }
  return <ListingPage category={category} />;
}
