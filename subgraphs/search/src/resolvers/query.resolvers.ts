import type { QueryResolvers } from "../generated/resolvers-types.js";
import { selectedCounts } from "./selected-counts.js";

export const Query: QueryResolvers = {
  search: (_root, args, ctx, info) => ctx.service.search(args, selectedCounts(info)),
  autocomplete: (_root, args, ctx) => ctx.service.autocomplete(args),
};
