import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Product } from "./resolvers/product.resolvers.js";
import { Mutation } from "./resolvers/mutation.resolvers.js";
import { Reservation } from "./resolvers/reservation.resolvers.js";
import { ProductVariant } from "./resolvers/product-variant.resolvers.js";
import { StockLevel } from "./resolvers/stock-level.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = { Product, ProductVariant, StockLevel, Mutation, Reservation };

/** The inventory subgraph schema; no I/O beyond reading its SDL. */
export const createInventorySchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
