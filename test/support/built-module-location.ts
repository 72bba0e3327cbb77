// Built by test/build-server.test.ts: what a module learns of its own location once bundled.
import { createRequire } from "node:module";
import { loadSchemaFile } from "#kernel/graphql/load-schema-file.ts";

export const ownUrl = import.meta.url;
/** A package resolved from this file, as the tracing and Kafka modules do. */
export const graphqlPackage = createRequire(import.meta.url).resolve("graphql");
/** A file beside the source, as every subgraph loads its schema. */
export const productsSchemaTypes = loadSchemaFile(import.meta.url, "../../subgraphs/products/schema.graphql").definitions.length;
