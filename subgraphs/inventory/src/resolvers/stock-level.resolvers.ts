import { productIdOfVariant } from "#kernel";
import type { StockLevelResolvers } from "../generated/resolvers-types.js";

export const StockLevel: StockLevelResolvers = {
  productId: (level) => productIdOfVariant(level.variantId),
};
