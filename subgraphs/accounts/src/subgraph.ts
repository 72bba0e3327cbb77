import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Query } from "./resolvers/query.resolvers.js";
import { Mutation } from "./resolvers/mutation.resolvers.js";
import { User, Address } from "./resolvers/user.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = { Query, Mutation, User, Address };

/** The accounts subgraph schema; no I/O beyond reading its SDL. */
export const createAccountsSchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
