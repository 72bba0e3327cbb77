import type { IncomingMessage, ServerResponse } from "node:http";
import { execute, getOperationAST, Kind, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { unstorableLiteral, unstorableVariable } from "./text-input-guard-plugin.js";
import { recordGraphQLOperation } from "../observability/metrics-graphql.js";
import { tracingEnabled } from "../observability/tracing-context.js";
import { preparedCachePolicies, type PreparedCachePolicy } from "./prepared-cache-policy.js";
import { WeighedMemo } from "../cache/weighed-memo.js";

/** A query text seen before: its document, valid against the schema, and the operations it holds. */
interface PreparedText {
  document: DocumentNode;
  /** By name; the one anonymous operation under "". */
  operations: Map<string, OperationDefinitionNode>;
  /** With cache hints: each operation's header, or undefined where it is Apollo Server's to work out. */
  cachePolicies: Map<OperationDefinitionNode, PreparedCachePolicy | undefined> | undefined;
}

/**
 * At most this many texts are kept, and this weight of them (each its text's characters and its
 * parse's, written as JSON, as the parsed-document store weighs them): the oldest goes first past
 * either. The gateway's planned fetches of the clients' operations are a closed set far smaller,
 * but a fetch's text is a caller's to shape: kept by count alone, 2,000 product ids written as
 * 90 KB literals were held with their parses, 190 MB, and 150 texts of 900 aliased fields (10 KB
 * of text, 700 KB parsed with locations) 106 MB. Filled with such texts, this weight holds 15 MB.
 */
const KEPT_TEXTS = 2_000;
const KEPT_WEIGHT = 4_000_000;

/**
 * The answer to an error-free query a subgraph has prepared, without Apollo Server's request
 * pipeline (the text's SHA-256 and document store, plugin hooks, content negotiation, its
 * response assembly): about a fifth of a subgraph's CPU per entity fetch. It answers byte for
 * byte what Apollo Server answers (status 200, `content-type: application/json;
 * charset=utf-8`, `JSON.stringify(result) + "\n"`), and counts the operation in the same
 * metrics. `test/prepared-subgraph-queries.test.ts` compares both paths.
 *
 * It answers only what it can answer exactly, and hands everything else to Apollo Server
 * (`false`) before any resolver runs: a POST whose JSON body holds a string `query` and nothing
 * but `operationName` and `variables` objects, no `Accept` header (the gateway sends none), a
 * text that parses and validates and names a query operation, text input the guard admits,
 * variables that coerce, and tracing off (Apollo's plugin names the span). A query whose
 * execution ends in errors is answered by Apollo Server too, asked again from the start, so
 * errors, their codes, statuses, logs and metrics come from the one formatter; only queries
 * (reads) come here, so asking again changes nothing but the time the failure takes. Mutations
 * never come here. With `cacheHints` (a schema with declared `@cacheControl` hints), the answer
 * carries the `Cache-Control` header `declaredCacheHintsPlugin` gives it, worked out once per
 * text (`prepared-cache-policy.ts`); a text or request whose header would depend on what the
 * resolvers return is handed over.
 */
export function preparedSubgraphQueries<TContext>(options: { schema: GraphQLSchema; server: string; context: (req: IncomingMessage) => Promise<TContext>; cacheHints?: boolean }) {
  /** Each text's preparation (null: refused), weighed against KEPT_WEIGHT. */
  const prepared = new WeighedMemo<string, PreparedText | null>({ weight: KEPT_WEIGHT, entries: KEPT_TEXTS });
  const cachePolicyOf = options.cacheHints ? preparedCachePolicies(options.schema) : undefined;

  const prepare = (text: string): PreparedText | null => {
    let document: DocumentNode;
    try {
      document = parse(text);
    } catch {
      return null;
    }
    if (validate(options.schema, document).length > 0 || unstorableLiteral(document)) return null;
    const operations = new Map<string, OperationDefinitionNode>();
    const cachePolicies = cachePolicyOf ? new Map<OperationDefinitionNode, PreparedCachePolicy | undefined>() : undefined;
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      operations.set(definition.name?.value ?? "", definition);
      cachePolicies?.set(definition, cachePolicyOf!(document, definition));
    }
    return { document, operations, cachePolicies };
  };

  const preparedFor = (text: string): PreparedText | null => {
    const known = prepared.get(text);
    if (known !== undefined) return known;
    const found = prepare(text);
    prepared.set(text, found, text.length + (found ? JSON.stringify(found.document).length : 0));
    return found;
  };

  /** Answers `body` on `res` and resolves true, or resolves false having sent nothing nor run anything. */
  return async (body: unknown, req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const startedAt = performance.now();
    if (req.method !== "POST" || req.headers.accept !== undefined || tracingEnabled()) return false;
    const request = plainRequest(body);
    if (!request) return false;
    const text = preparedFor(request.query);
    if (!text) return false;
    const operation = getOperationAST(text.document, request.operationName);
    if (!operation || operation.operation !== "query") return false;
    if (unstorableVariable(request.variables) !== undefined) return false;
    let cacheControl: string | undefined;
    if (text.cachePolicies) {
      cacheControl = text.cachePolicies.get(operation)?.(request.variables);
      if (cacheControl === undefined) return false;
    }
    let result: ExecutionResult;
    try {
      const contextValue = await options.context(req);
      result = await execute({ schema: options.schema, document: text.document, operationName: request.operationName, variableValues: request.variables, contextValue });
    } catch {
      // A context that could not be made, an execution that threw: Apollo Server's answer.
      return false;
    }
    // Variables that did not coerce (nothing ran), or errors of the execution: Apollo Server's answer.
    if (result.errors) return false;
    const answer = JSON.stringify({ data: result.data }) + "\n";
    recordGraphQLOperation(options.server, operation.name?.value ?? request.operationName, "query", [], startedAt);
    res.statusCode = 200;
    res.setHeader("content-type", "application/json; charset=utf-8");
    if (cacheControl !== undefined) res.setHeader("cache-control", cacheControl);
    res.end(answer);
    return true;
  };
}

/** The body as the gateway sends it, or undefined for anything Apollo Server must judge. */
function plainRequest(body: unknown): { query: string; operationName: string | undefined; variables: Record<string, unknown> | undefined } | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  let query: string | undefined;
  let operationName: string | undefined;
  let variables: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key === "query" && typeof value === "string") query = value;
    else if (key === "operationName" && (typeof value === "string" || value === null)) operationName = value ?? undefined;
    else if (key === "variables" && (value === null || (typeof value === "object" && !Array.isArray(value)))) variables = (value ?? undefined) as Record<string, unknown> | undefined;
    else return undefined;
  }
  return query ? { query, operationName, variables } : undefined;
}
