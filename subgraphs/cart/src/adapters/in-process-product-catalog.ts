import { createInProcessCaller, type Logger } from "#kernel";
import type { ProductCatalog } from "../ports/product-catalog.js";

/**
 * The products service of this process (the one-process layout) as the cart's catalog,
 * answering as its `_entities` lookups do (see createSubgraphProductCatalog, whose deadline
 * this keeps) without the HTTP and GraphQL hop a checkout paid for pricing its cart.
 */
export function createInProcessProductCatalog(products: ProductCatalog, options: { logger: Logger; timeoutMs?: number }): ProductCatalog {
  const call = createInProcessCaller({ service: "products", logger: options.logger, timeoutMs: options.timeoutMs ?? 5000 });
  return {
    findVariants: (ids) => call("_entities", () => products.findVariants(ids)),
    variantIdsOf: (productIds) => call("_entities", () => products.variantIdsOf(productIds)),
  };
}
