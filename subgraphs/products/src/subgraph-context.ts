import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { Product } from "./domain/product.js";
import type { ProductService } from "./domain/product.service.js";

export interface ProductsContext extends RequestContext {
  service: ProductService;
  /** One batched store read per tick for every product id a request asks for. */
  productById: DataLoader<string, Product | null>;
}

export function createProductsContext(base: RequestContext, service: ProductService): ProductsContext {
  return {
    ...base,
    service,
    productById: new DataLoader(async (ids) => {
      const found = await service.findByIds(ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
