import { readFileSync } from "node:fs";
import { parse, type DocumentNode } from "graphql";

/** Reads a subgraph's `schema.graphql`, resolved relative to the calling module. */
export function loadSchemaFile(relativeTo: string, path: string): DocumentNode {
  return parse(readFileSync(new URL(path, relativeTo), "utf8"));
}
