import { CategoryListingDocument } from "../../../../clients/typescript/src/index.js";
import { useCategoryListing } from "../category-names.js";
import { href } from "../route.js";
import { useQuery } from "../use-operation.js";
import { ListingPage } from "./listing-page.js";

/**
 * A category's listing, or a not-found page for a slug the catalog does not know: the search
 * behind the listing answers an unknown category with no products, which showed a category
 * page that did not exist. The check runs beside the listing, which waits only for the
 * category tree (one query a page load) to list the category as the catalog spells it and
 * every category below it.
 */
export function CategoryPage({ category }: { category: string }) {
  const [known] = useQuery(CategoryListingDocument, { slug: category, first: 1, withTotal: false });
  const listed = useCategoryListing(category);
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
  if (!listed) {
    return (
      <section aria-labelledby="listing-title">
        <h1 id="listing-title" class="capitalized">
          {category}
        </h1>
        <p aria-busy="true">Loading…</p>
      </section>
    );
  }
  return <ListingPage category={listed[0]} categories={listed} />;
}
