import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { loadSchemaFile } from "#kernel";
import { Product } from "./resolvers/product.resolvers.js";
import { Query, ProductConnection } from "./resolvers/query.resolvers.js";
import { Mutation } from "./resolvers/mutation.resolvers.js";
import { Category, CategoryMutation, CategoryQuery } from "./resolvers/category.resolvers.js";
import { ProductVariant } from "./resolvers/product-variant.resolvers.js";
import { TrendingMutation, TrendingQuery } from "./resolvers/trending.resolvers.js";
import { Image, ImageMutation } from "./resolvers/image.resolvers.js";

export const typeDefs = loadSchemaFile(import.meta.url, "../schema.graphql");
export const resolvers = { Query: { ...Query, ...CategoryQuery, ...TrendingQuery }, Mutation: { ...Mutation, ...CategoryMutation, ...TrendingMutation, ...ImageMutation }, Category, Product, ProductVariant, ProductConnection, Image };

/** The products subgraph schema; no I/O beyond reading its SDL. */
export const createProductsSchema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
