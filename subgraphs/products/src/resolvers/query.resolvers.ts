import { forbidden } from "#kernel";
import type { ProductConnectionResolvers, QueryResolvers } from "../generated/resolvers-types.js";
import { asksOnlyFor } from "../listing/card-selection.js";
import { CARD_SELECTION } from "../listing/listing-card.js";

export const Query: QueryResolvers = {
  product: (_root, { id }, ctx) => ctx.productById.load(id),
  // A page of product cards reads no product (see listing-card.ts).
  products: (_root, args, ctx, info) => ctx.listing.list(args, { cards: asksOnlyFor(info, CARD_SELECTION) }),
  catalogPage: (_root, args, ctx) => {
    if (!ctx.identity?.roles.includes("service")) throw forbidden("The catalog scan is for other services only");
    return ctx.service.catalogPage(args);
  },
};

export const ProductConnection: ProductConnectionResolvers = {
  pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
  totalCount: (page) => page.totalCount(),
};
