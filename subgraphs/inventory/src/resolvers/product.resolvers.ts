import type { ProductReference } from "../domain/stock.js";
import type { ProductResolvers } from "../generated/resolvers-types.js";
import type { InventoryContext } from "../subgraph-context.js";

/** Units of every variant of the product: the variants the gateway sent, else those the ledger has stock rows for. */
async function variantStock(product: ProductReference, ctx: InventoryContext): Promise<number[]> {
  const ids = product.variants ? product.variants.map((variant) => variant.id) : await ctx.variantsOfProduct.load(product.id);
  return Promise.all(ids.map((id) => ctx.availability.load(id)));
}

/** GraphQL's Int: a product whose variants together hold more shows this many (each variant's own count is exact). */
const MOST_UNITS_SHOWN = 2_147_483_647;

export const Product: ProductResolvers = {
  __resolveReference: (ref) => ({ id: ref.id, variants: (ref as ProductReference).variants }),
  stock: async (product, _args, ctx) => Math.min(MOST_UNITS_SHOWN, (await variantStock(product, ctx)).reduce((sum, units) => sum + units, 0)),
  inStock: async (product, _args, ctx) => (await variantStock(product, ctx)).some((units) => units > 0),
};
