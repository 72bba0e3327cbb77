import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Query } from "./resolvers/query.resolvers.js";
import { Mutation } from "./resolvers/mutation.resolvers.js";
import { Cart, CartItem } from "./resolvers/cart.resolvers.js";
import { OrderAddedToCart, OrderLineToCart } from "./resolvers/order-to-cart.resolvers.js";
import { cartPricing, CartEstimate, CartEstimateLine, Coupon, pricingMutation, pricingQuery } from "./resolvers/pricing.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = {
  Query: { ...Query, ...pricingQuery },
  Mutation: { ...Mutation, ...pricingMutation },
  Cart: { ...Cart, ...cartPricing },
  CartItem,
  OrderAddedToCart,
  OrderLineToCart,
  CartEstimate,
  CartEstimateLine,
  Coupon,
};

/** The cart subgraph schema; no I/O beyond reading its SDL. */
export const createCartSchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
