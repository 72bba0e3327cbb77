import { createSubgraphClient } from "#kernel";
import type { CatalogSource } from "../ports/catalog-source.js";
import { toSearchDocument, type IndexableProduct } from "../domain/search-document.js";

const CATALOG_PAGE = `query CatalogPage($after: ID, $first: Int) {
  catalogPage(after: $after, first: $first) {
    products { id sku name description category brand attributes { name value } price { amount currency } variants { sku options { name value } price { amount } } createdAt version popularity }
    endCursor
    hasNextPage
  }
}`;

type CatalogProduct = Omit<IndexableProduct, "attributes"> & { attributes: { name: string; value: string }[] };

interface CatalogPageData {
  catalogPage: { products: CatalogProduct[]; endCursor: string | null; hasNextPage: boolean };
}

/**
 * The catalog read through the products subgraph's internal `catalogPage` query, signed as
 * the search service: search never reads the products database itself.
 */
export function productsSubgraphCatalog(options: { url: string; internalSecret: string }): CatalogSource {
  const client = createSubgraphClient({ url: options.url, audience: "products", internalSecret: options.internalSecret, serviceName: "search" });
  return {
    async *scan(batchSize: number) {
      let after: string | null = null;
      for (;;) {
        const data: CatalogPageData = await client.request<CatalogPageData>(CATALOG_PAGE, { after, first: batchSize }, { timeoutMs: 30_000 });
        const page = data.catalogPage;
        if (page.products.length) yield page.products.map((p) => toSearchDocument({ ...p, attributes: Object.fromEntries(p.attributes.map((a) => [a.name, a.value])) }));
        if (!page.hasNextPage || !page.endCursor) return;
        after = page.endCursor;
      }
    },
    close: () => client.close(),
  };
}
