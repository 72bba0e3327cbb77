import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Order } from "./resolvers/order.resolvers.js";
import { Payment } from "./resolvers/payment.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = { Order, Payment };

/** The payments subgraph schema; no I/O beyond reading its SDL. */
export const createPaymentsSchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
