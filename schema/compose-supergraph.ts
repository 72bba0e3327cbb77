import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { SUBGRAPHS } from "./subgraphs.js";

/**
 * Composes the subgraphs' SDL into the supergraph SDL, or lists every composition error.
 * `sdlOf` replaces a subgraph's SDL text by name (tests of what a schema change would do).
 */
export function composeSupergraph(root = ".", sdlOf: Partial<Record<string, string>> = {}): { supergraphSdl: string } | { errors: string[] } {
  const result = composeServices(
    SUBGRAPHS.map(({ name, sdl, url }) => ({ name, url, typeDefs: parse(sdlOf[name] ?? readFileSync(`${root}/${sdl}`, "utf8")) })),
  );
  if (result.errors) return { errors: result.errors.map((e) => e.message) };
  return { supergraphSdl: result.supergraphSdl };
}
