import { ERRORS, assert, errorCodeDef, type Operation } from "@apollo/federation-internals";
import type { GraphQLDataSource } from "@apollo/gateway";
import { GraphQLDataSourceRequestKind } from "@apollo/gateway/dist/datasources/types.js";
import { isObjectOfType, applyRewrites } from "@apollo/gateway/dist/dataRewrites.js";
import { generateHydratedPaths } from "@apollo/gateway/dist/executeQueryPlan.js";
import { deepMerge } from "@apollo/gateway/dist/utilities/deepMerge.js";
import { evaluateCondition, type FetchNode, type PlanNode, type QueryPlanSelectionNode, type ResponsePath, type SubscriptionNode } from "@apollo/query-planner";
import { GraphQLError, Kind, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { withoutStack } from "#kernel";

/** A place in the merged result a node writes into (what `executeQueryPlan` calls a cursor). */
interface Cursor {
  path: ResponsePath;
  data: Record<string, unknown> | Record<string, unknown>[];
  fullResult: Record<string, unknown>;
}

/** What one request's run of a plan shares between its nodes. */
export interface PlanRun {
  operation: Operation;
  services: Record<string, GraphQLDataSource>;
  supergraphSchema: GraphQLSchema;
  /** Apollo Server's request context, handed to every data source as the stock executor does. */
  requestContext: {
    request: { variables?: Record<string, unknown> };
    context: unknown;
    metrics: { nonFtv1ErrorPaths?: { subgraph: string; path?: readonly (string | number)[] }[] };
  };
  /** Fetch errors, in the order the fetches answered. */
  errors: unknown[];
}

/**
 * Runs a query plan's Sequence, Parallel, Flatten, Fetch and Condition nodes into `data`, asking
 * the subgraphs exactly what `@apollo/gateway`'s `executeQueryPlan` asks (same variables, same
 * representations, same order) and merging their answers with its own `deepMerge` and
 * rewrites, so the merged result and its errors are the stock executor's. What it leaves out is
 * per request bookkeeping this gateway never reads: three tracing spans and a usage-reporting
 * trace node per plan node (requests with either run the stock executor instead).
 */
export async function runPlanNode(run: PlanRun, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case "Sequence":
      for (const child of node.nodes) await runPlanNode(run, child, cursor);
      return;
    case "Parallel":
      await Promise.all(node.nodes.map((child) => runPlanNode(run, child, cursor)));
      return;
    case "Flatten":
      return runPlanNode(run, node.node, moveIntoCursor(cursor, node.path));
    case "Fetch":
      try {
        await runFetch(run, node, cursor);
      } catch (error) {
        run.errors.push(error);
      }
      return;
    case "Condition": {
      const branch = evaluateCondition(node, run.operation.variableDefinitions, run.requestContext.request.variables) ? node.ifClause : node.elseClause;
      if (branch) await runPlanNode(run, branch, cursor);
      return;
    }
    default:
      // Plans holding any other node run the stock executor (see `runsOnOwnExecutor`).
      throw new Error(`Unsupported query plan node ${node.kind}`);
  }
}

/** The plan nodes `runPlanNode` runs; a plan with any other (@defer, subscriptions) runs the stock executor. */
export function runsOnOwnExecutor(node: PlanNode | SubscriptionNode): boolean {
  switch (node.kind) {
    case "Sequence":
    case "Parallel":
      return node.nodes.every(runsOnOwnExecutor);
    case "Flatten":
      return runsOnOwnExecutor(node.node);
    case "Fetch":
      return !node.hasDefers && !(node.contextRewrites && node.contextRewrites.length > 0);
    case "Condition":
      return (!node.ifClause || runsOnOwnExecutor(node.ifClause)) && (!node.elseClause || runsOnOwnExecutor(node.elseClause));
    default:
      return false;
  }
}

async function runFetch(run: PlanRun, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = run.services[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities = Array.isArray(cursor.data) ? cursor.data.filter((entity) => entity !== null && entity !== undefined) : [cursor.data];
  if (entities.length < 1) return;
  const provided = run.requestContext.request.variables;
  const variables: Record<string, unknown> = Object.create(null);
  if (fetch.variableUsages) {
    for (const name of fetch.variableUsages) {
      if (provided && Object.prototype.hasOwnProperty.call(provided, name) && typeof provided[name] !== "undefined") variables[name] = provided[name];
    }
  }
  if (!fetch.requires) {
    const received = await send(run, fetch, cursor, service, variables);
    if (received) applyRewrites(run.supergraphSchema, fetch.outputRewrites, received);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }
  const representations: Record<string, unknown>[] = [];
  const representationToEntity: number[] = [];
  entities.forEach((entity, index) => {
    const representation = selectRepresentation(run.supergraphSchema, entity, fetch.requires!);
    if (representation && representation.__typename) {
      applyRewrites(run.supergraphSchema, fetch.inputRewrites, representation);
      representations.push(representation);
      representationToEntity.push(index);
    }
  });
  if (representations.length < 1) return;
  if ("representations" in variables) throw new Error(`Variables cannot contain key "representations"`);
  const received = await send(run, fetch, cursor, service, { ...variables, representations });
  if (!received) return;
  if (!(received._entities && Array.isArray(received._entities))) throw new Error(`Expected "data._entities" in response to be an array`);
  const receivedEntities = received._entities as (Record<string, unknown> | null)[];
  if (receivedEntities.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  for (let i = 0; i < representations.length; i++) {
    const receivedEntity = receivedEntities[i];
    const existingEntity = entities[representationToEntity[i]!] as Record<string, unknown>;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existingEntity.__typename;
    applyRewrites(run.supergraphSchema, fetch.outputRewrites, receivedEntity as Record<string, unknown>);
    deepMerge(entities[representationToEntity[i]!], receivedEntity);
  }
}

async function send(run: PlanRun, fetch: FetchNode, cursor: Cursor, service: GraphQLDataSource, variables: Record<string, unknown>): Promise<Record<string, unknown> | null | undefined> {
  const response = await service.process({
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
    request: { query: fetch.operation, variables, operationName: fetch.operationName, http: undefined },
    incomingRequestContext: run.requestContext as never,
    context: run.requestContext.context as never,
    document: fetch.operationDocumentNode,
    pathInIncomingRequest: cursor.path,
  });
  if (response.errors) {
    const errorPath = lazyErrorPath(fetch, cursor);
    run.errors.push(...response.errors.map((error) => downstreamServiceError(error, fetch.serviceName, errorPath)));
    if (!response.extensions?.ftv1) {
      const paths = response.errors.map((error) => ({ subgraph: fetch.serviceName, path: error.path }));
      const metrics = run.requestContext.metrics;
      if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...paths);
      else metrics.nonFtv1ErrorPaths = paths;
    }
  }
  return response.data as Record<string, unknown> | null | undefined;
}

type ErrorPath = readonly (string | number)[] | undefined;

/** Where a subgraph's error sits in the client's result: an entity's index becomes its path there. */
function lazyErrorPath(fetch: FetchNode, cursor: Cursor): (path: ErrorPath) => (string | number)[] | undefined {
  let hydrated: (string | number)[][] | undefined;
  return (path) => {
    if (fetch.requires && typeof path?.[1] === "number") {
      if (!hydrated) {
        hydrated = [];
        generateHydratedPaths([], cursor.path, cursor.fullResult, hydrated);
      }
      return [...(hydrated[path[1]] ?? []), ...path.slice(2)];
    }
    return path ? [...cursor.path, ...path.slice()] : undefined;
  };
}

/**
 * A subgraph's error as the client sees it: its code kept (or DOWNSTREAM_SERVICE_ERROR), the
 * subgraph named. Built without a stack: it is the subgraph's answer relayed, and where the
 * gateway built it says nothing (a page of 3,000 relayed errors spent a seventh of its CPU
 * capturing stacks).
 */
function downstreamServiceError(original: GraphQLFormattedError, serviceName: string, errorPath: (path: ErrorPath) => (string | number)[] | undefined): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const { extensions } = original;
  const options = { originalError: original as Error, path: errorPath(original.path), extensions: { ...extensions, serviceName } };
  const codeDef = errorCodeDef(original as GraphQLError);
  if (!codeDef && extensions?.code) return withoutStack(() => new GraphQLError(message, options));
  return withoutStack(() => (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options));
}

/** The representation of `source` the fetch's `requires` selects, or null when it lacks a required field. */
function selectRepresentation(schema: GraphQLSchema, source: Record<string, unknown> | null, selections: readonly QueryPlanSelectionNode[]): Record<string, unknown> | null {
  if (source === null) return null;
  const result: Record<string, unknown> = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      const responseName = selection.alias || selection.name;
      const nested = selection.selections;
      if (!Object.prototype.hasOwnProperty.call(source, responseName) || typeof source[responseName] === "undefined") return null;
      const value = source[responseName];
      if (Array.isArray(value)) result[responseName] = value.map((element) => (nested ? selectRepresentation(schema, element, nested) : element));
      else if (nested) result[responseName] = selectRepresentation(schema, value as Record<string, unknown> | null, nested);
      else result[responseName] = value;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (!selection.typeCondition || !source) continue;
      if (isObjectOfType(schema, source, selection.typeCondition)) deepMerge(result, selectRepresentation(schema, source, selection.selections));
    }
  }
  return result;
}

function moveIntoCursor(cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = flattenResultsAtPath(cursor.data, path) as Cursor["data"] | null | undefined;
  return data ? { path: cursor.path.concat(path), data, fullResult: cursor.fullResult } : undefined;
}

function flattenResultsAtPath(value: unknown, path: ResponsePath): unknown {
  if (path.length === 0) return value;
  if (value === undefined || value === null) return value;
  const [current, ...rest] = path;
  if (current === "@") return (value as unknown[]).flatMap((element) => flattenResultsAtPath(element, rest));
  assert(typeof current === "string", () => `Unexpected ${typeof current} found in path`);
  assert(!Array.isArray(value), () => `Unexpected array in result for path element ${current}`);
  const record = value as Record<string, unknown>;
  return flattenResultsAtPath(Object.prototype.hasOwnProperty.call(record, current) ? record[current] : undefined, rest);
}
