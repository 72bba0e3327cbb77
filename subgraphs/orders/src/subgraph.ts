import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Query, OrderConnection } from "./resolvers/query.resolvers.js";
import { Mutation } from "./resolvers/mutation.resolvers.js";
import { Order, OrderItem, OrderStatusChange } from "./resolvers/order.resolvers.js";
import { Refund, Return, ReturnItem } from "./resolvers/after-sale.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = { Query, Mutation, Order, OrderItem, OrderStatusChange, OrderConnection, Refund, Return, ReturnItem };

/** The orders subgraph schema; no I/O beyond reading its SDL. */
export const createOrdersSchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
