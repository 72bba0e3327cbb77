import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { operationFromDocument, Supergraph } from "@apollo/federation-internals";
import { QueryPlanner } from "@apollo/query-planner";
import { SUPERGRAPH_PATH } from "../../schema/subgraphs.js";

interface FetchLike {
  kind: "Fetch";
  serviceName: string;
  operation: string;
  requires?: unknown;
}

/**
 * The operation the gateway sends `service` for `query` at the root of its query plan (not an
 * entity fetch), planned from the composed supergraph as the gateway plans it: what a subgraph
 * test can send to see exactly what the gateway will ask.
 */
export function plannedFetch(query: string, service: string): string {
  const supergraph = Supergraph.build(readFileSync(SUPERGRAPH_PATH, "utf8"));
  const plan = new QueryPlanner(supergraph).buildQueryPlan(operationFromDocument(supergraph.schema, parse(query)));
  const fetches: FetchLike[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    if ((node as FetchLike).kind === "Fetch") fetches.push(node as FetchLike);
    for (const value of Object.values(node)) visit(value);
  };
  visit(plan.node);
  const root = fetches.find((fetch) => fetch.serviceName === service && !fetch.requires);
  if (!root) throw new Error(`the plan has no root fetch to ${service}`);
  return root.operation;
}
