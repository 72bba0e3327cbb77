import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Query } from "./resolvers/query.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = { Query };

/** The search subgraph schema; no I/O beyond reading its SDL. */
export const createSearchSchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
