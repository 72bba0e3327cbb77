import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { Product } from "./domain/product.js";
import type { ProductService } from "./domain/product.service.js";

export interface ProductsContext extends RequestContext {
  service: ProductService;
  /** The URL clients load an image from: blob paths resolve against the image CDN. */
  imageUrl: (stored: string) => string;
  /** One batched store read per tick for every product id a request asks for. */
  productById: DataLoader<string, Product | null>;
}

export function createProductsContext(base: RequestContext, service: ProductService, imageCdnUrl: string): ProductsContext {
  return {
    ...base,
    service,
    imageUrl: (stored) => (/^https?:\/\//.test(stored) ? stored : `${imageCdnUrl}/${stored}`),
    productById: new DataLoader(async (ids) => {
      const found = await service.findByIds(ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
