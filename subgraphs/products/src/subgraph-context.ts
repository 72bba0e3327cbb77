import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { Product } from "./domain/product.js";
import type { ProductService } from "./domain/product.service.js";
import type { CategoryService } from "./categories/category.service.js";
import type { ProductListingService } from "./listing/product-listing.service.js";
import type { ProductViewService } from "./trending/product-view.service.js";
import type { TrendingRanking } from "./trending/trending-ranking.js";
import type { ImageUploadService } from "./images/image-upload.service.js";

export interface ProductsContext extends RequestContext {
  service: ProductService;
  /** Sorted and filtered listings (products(filter, sort)). */
  listing: ProductListingService;
  categories: CategoryService;
  /** Counts product views (recordProductView). */
  views: ProductViewService;
  /** Reads the trending rankings (trendingProducts). */
  trending: TrendingRanking;
  /** The URL clients load an image from: blob paths resolve against the image origin or its CDN. */
  imageUrl: (stored: string) => string;
  /** Admin image uploads (createImageUpload, attachProductImage). */
  uploads: ImageUploadService;
  /** One batched store read per tick for every product id a request asks for. */
  productById: DataLoader<string, Product | null>;
}

export function createProductsContext(
  base: RequestContext,
  service: ProductService,
  imageCdnUrl: string,
  browse: { listing: ProductListingService; categories: CategoryService; views: ProductViewService; trending: TrendingRanking; uploads: ImageUploadService },
): ProductsContext {
  return {
    ...base,
    service,
    ...browse,
    imageUrl: (stored) => (/^https?:\/\//.test(stored) ? stored : `${imageCdnUrl}/${stored}`),
    productById: new DataLoader(async (ids) => {
      const found = await service.findByIds(ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
