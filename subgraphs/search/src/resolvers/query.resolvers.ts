import type { QueryResolvers } from "../generated/resolvers-types.js";

export const Query: QueryResolvers = {
  search: (_root, args, ctx) => ctx.service.search(args),
  autocomplete: (_root, args, ctx) => ctx.service.autocomplete(args),
};
