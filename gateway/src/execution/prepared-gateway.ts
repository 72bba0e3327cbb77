import { createHash } from "node:crypto";
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import type { GraphQLDataSource } from "@apollo/gateway";
import { executeQueryPlan } from "@apollo/gateway/dist/executeQueryPlan.js";
import { buildOperationContext, type OperationContext } from "@apollo/gateway/dist/operationContext.js";
import { QueryPlanner, type QueryPlan } from "@apollo/query-planner";
import type { GatewayExecutionResult, GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from "@apollo/server-gateway-interface";
import { setImmediate as nextTurn } from "node:timers/promises";
import { execute, GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { trace } from "@opentelemetry/api";
import { answeredByIntrospection } from "./introspection-only.js";
import { invalidVariables } from "./mistakes-reported.js";
import { PreparedExecution } from "./prepared-execution.js";

/**
 * Operations prepared at most. Clients send a few dozen operation texts, each with a plan of a
 * few KB; but a text is the caller's to write, so the count alone bounds nothing: 2,000 texts
 * of 90 KB (30 aliases of 3,000 characters) held 675 MB, within a minute's budgets of a few
 * guests, and the gateway's container has 1 GiB. What is kept is also bounded by its weight.
 */
const PREPARED_KEPT = 2_000;
/**
 * The weight prepared operations may hold together: the characters of their texts, and of their
 * parses and plans written out as JSON. Filled with the heaviest texts the limits admit, it held
 * 4 MB (43 texts of 30 long aliases) to 17 MB (416 texts of 30 products through one large
 * fragment, whose plans outweigh their texts 15 times), and about 50 MB of the densest texts
 * (30 aliased products of ten fields, 6 bytes a unit; their parses unweighed, 250 MB).
 */
const PREPARED_KEPT_WEIGHT = 8_000_000;

/** One operation text as the gateway runs it: planned once, its definitions gathered once. */
interface PreparedOperation {
  /** The parsed document the context was built from (Apollo Server keeps one per text). */
  document: DocumentNode;
  context: OperationContext;
  plan: QueryPlan;
  /** The plan run by the gateway's own executor; undefined where only the stock executor runs it. */
  execution: PreparedExecution | undefined;
  /** What keeping it weighs against PREPARED_KEPT_WEIGHT: its text's characters and its plan's as JSON (twice with an execution). */
  weight: number;
  /** Planned ahead from the persisted manifest: kept whatever callers' own texts weigh. */
  pinned?: boolean;
}

/**
 * The federation gateway over one fixed supergraph (the checked-in composition: no polling,
 * no managed federation), with what @apollo/gateway does on every request done once per
 * operation text instead.
 *
 * @apollo/gateway's executor, per request: hashed the text with the operation name (SHA-256)
 * to find its plan, gathered the operation's definitions again, awaited its plan cache,
 * rebuilt the map of data sources and started three tracing spans. Here a request finds its
 * prepared operation by Apollo Server's hash of the text in one map lookup, checks its
 * variables against the operation (as @apollo/gateway does: a variable the operation's types
 * refuse is the client's error, never sent to a subgraph) and runs the plan with
 * @apollo/gateway's own plan executor, so what subgraphs are asked and how their answers are
 * merged, shaped and reported is unchanged.
 */
export class PreparedGateway implements GatewayInterface {
  private readonly supergraph: Supergraph;
  private readonly apiSchema;
  /** The API schema clients see (what documents are validated against). */
  readonly schema: GraphQLSchema;
  /** The composed supergraph, directives included (the `@listSize` the request policy reads). */
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly services: Record<string, GraphQLDataSource>;
  private readonly prepared = new Map<string, PreparedOperation>();
  /** The persisted operations planned ahead that run on the own executor, by text, then by the name a client sends. */
  private readonly persistedRuns = new Map<string, Map<string | undefined, PersistedRun>>();
  private readonly listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  private planned?: PlannedListener;

  private readonly ownExecutor: boolean;
  private readonly kept: number;
  private readonly keptWeight: number;
  private weight = 0;
  private stopped = false;

  constructor(
    private readonly supergraphSdl: string,
    buildService: (subgraph: { name: string; url: string }) => GraphQLDataSource,
    options: { kept?: number; keptWeight?: number; executor?: PlanExecutor } = {},
  ) {
    this.ownExecutor = (options.executor ?? "prepared") === "prepared";
    this.kept = options.kept ?? PREPARED_KEPT;
    this.keptWeight = options.keptWeight ?? PREPARED_KEPT_WEIGHT;
    this.supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = this.supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = this.supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(this.supergraph);
    this.services = Object.fromEntries(this.supergraph.subgraphsMetadata().map((subgraph) => [subgraph.name, buildService(subgraph)]));
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
    this.listeners.add(callback);
    return () => void this.listeners.delete(callback);
  }

  async load() {
    for (const listener of this.listeners) listener({ apiSchema: this.schema, coreSupergraphSdl: this.supergraphSdl });
    return { executor: this.executor };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.prepared.clear();
    this.persistedRuns.clear();
    this.weight = 0;
  }

  /** Operation texts prepared now (tests). */
  preparedCount(): number {
    return this.prepared.size;
  }

  /**
   * Whether `query` (chosen by `operationName`, as the client names it) is prepared: running it
   * now would plan nothing. The request policy asks, to charge planning before it happens.
   */
  isPrepared(query: string, operationName: string | undefined): boolean {
    // A persisted text planned ahead is pinned (never evicted): known by its text, without the
    // SHA-256 of it the key needs (1% of the gateway's CPU on a product read, asked every request).
    if (this.persistedRuns.get(query)?.has(operationName)) return true;
    return this.prepared.has(textKey(query, operationName));
  }

  /**
   * Plans the operations of texts clients are known to send (the persisted manifest) before any
   * of them asks, one planning per turn of the event loop so requests meanwhile are served: the
   * first customers after a start wait for no planning and pay no planning deposit. A text the
   * schema or the planner refuses is left to be refused when asked. Resolves with the number of
   * operations prepared.
   */
  async prepareAhead(texts: Iterable<string>): Promise<number> {
    let prepared = 0;
    for (const source of texts) {
      let document: DocumentNode;
      try {
        document = parse(source);
      } catch {
        continue;
      }
      if (validate(this.schema, document).length > 0) continue;
      const names = document.definitions.flatMap((definition) => (definition.kind === Kind.OPERATION_DEFINITION ? [definition.name?.value] : []));
      // A client may name the operation or, when the text holds one, leave its name out.
      const asked = names.length === 1 ? [names[0], undefined] : names;
      for (const operationName of new Set(asked)) {
        await nextTurn();
        if (this.stopped) return prepared;
        try {
          const key = textKey(source, operationName);
          this.prepare(key, source, document, operationName);
          // Pinned: a caller's heavy texts (43 of 90 KB fill the weight) must not evict the plans
          // every customer's first requests rely on.
          const kept = this.prepared.get(key);
          if (kept) kept.pinned = true;
          if (kept?.execution) this.keepPersistedRun(source, operationName, kept, kept.execution);
          prepared++;
        } catch {
          // Refused by the planner: answered so when a client asks.
        }
      }
    }
    return prepared;
  }

  /**
   * The persisted operation `query` and `operationName` (as the client sends them) name, as an
   * answer without Apollo Server runs it (`persisted-answers.ts`): found by its text, no hash,
   * for the persisted texts are a closed set planned ahead. Undefined for any other text, and
   * for one whose plan runs on the stock executor only.
   */
  persisted(query: string, operationName: string | undefined): PersistedRun | undefined {
    return this.persistedRuns.get(query)?.get(operationName);
  }

  private keepPersistedRun(source: string, operationName: string | undefined, operation: PreparedOperation, execution: PreparedExecution): void {
    // Answered by graphql-js from the schema, not by a plan (see the executor).
    if (answeredByIntrospection(operation.document, operationName)) return;
    const definition = operation.context.operation;
    const definitions = definition.variableDefinitions ?? [];
    const run: PersistedRun = {
      document: operation.document,
      operation: definition,
      acceptsVariables: (variables) => definitions.length === 0 || invalidVariables(this.schema, definitions, variables) === undefined,
      execute: (requestContext) => execution.execute(requestContext, this.services, this.supergraphSchema),
    };
    let byName = this.persistedRuns.get(source);
    if (!byName) this.persistedRuns.set(source, (byName = new Map()));
    byName.set(operationName, run);
  }

  /** Whether `query` is prepared to run on the gateway's own executor rather than the stock one (tests). */
  runsOwnExecutor(query: string, operationName: string | undefined): boolean {
    return this.prepared.get(textKey(query, operationName))?.execution !== undefined;
  }

  /** Tells `listener` what each planning took, with the request's context (one listener). */
  whenPlanned(listener: PlannedListener): void {
    this.planned = listener;
  }

  /** What the prepared operations weigh together (tests). */
  preparedWeight(): number {
    return this.weight;
  }

  private readonly executor: GatewayExecutor = async (requestContext) => {
    const { request, document, queryHash } = requestContext;
    const operationName = request.operationName ?? undefined;
    // Nothing to plan: graphql-js answers the schema's own reading, from the schema clients are
    // validated against. The planner's copy of the introspection types lags graphql-js's
    // (no `__Type.isOneOf`), so an explorer asking for it could not read the schema.
    if (answeredByIntrospection(document, operationName)) {
      return execute({ schema: this.schema, document, operationName, variableValues: request.variables ?? {} }) as Awaited<ReturnType<GatewayExecutor>>;
    }
    const key = preparedKey(queryHash, operationName);
    // A prepared operation plans nothing: found without reading the process's CPU time, a
    // system call that cost 4.6% of the gateway's CPU on a product read when made every time.
    let operation = this.preparedFor(key, document, operationName);
    if (!operation) {
      const planning = this.prepareMeasured(requestContext.context, key, requestContext.source ?? "", document, operationName);
      if ("errors" in planning) return planning;
      operation = planning;
    }
    const definitions = operation.context.operation.variableDefinitions;
    if (definitions && definitions.length > 0) {
      const errors = invalidVariables(this.schema, definitions, request.variables ?? {});
      if (errors) return { errors: [...errors] };
    }
    // A traced request (or one whose usage is reported) runs the stock executor, whose spans
    // and trace nodes it records; the gateway's own executor records neither.
    if (operation.execution && !requestContext.metrics.captureTraces && !trace.getActiveSpan()?.isRecording()) {
      return operation.execution.execute(requestContext, this.services, this.supergraphSchema);
    }
    return executeQueryPlan(operation.plan, this.services, requestContext as never, operation.context, this.supergraphSchema, this.apiSchema, undefined);
  };

  /** Prepares an operation the gateway does not hold, telling the listener what it took. */
  private prepareMeasured(contextValue: unknown, key: string, source: string, document: DocumentNode, operationName: string | undefined): PreparedOperation | { errors: GraphQLError[] } {
    let operation: PreparedOperation;
    // CPU time, not the clock's: a busy machine's waits are not the caller's planning.
    const startedAt = process.cpuUsage();
    let planned = false;
    try {
      ({ operation, planned } = this.prepare(key, source, document, operationName));
    } catch (error) {
      planned = true;
      return { errors: [unplannable(error)] };
    } finally {
      // A plan refused is work done too.
      if (planned) {
        const { user, system } = process.cpuUsage(startedAt);
        this.planned?.(contextValue, source, operationName, (user + system) / 1000);
      }
    }
    return operation;
  }

  /** The operation prepared under `key` for this parsed document, if the gateway holds it. */
  private preparedFor(key: string, document: DocumentNode, operationName: string | undefined): PreparedOperation | undefined {
    const known = this.prepared.get(key);
    if (!known) return undefined;
    // Most recently used last: the oldest is the first to go.
    this.prepared.delete(key);
    this.prepared.set(key, known);
    if (known.document === document) return known;
    // The same text parsed again (Apollo Server's document cache let it go): same plan.
    const again = { ...known, document, context: buildOperationContext({ schema: this.schema, operationDocument: document, operationName }) };
    this.prepared.set(key, again);
    return again;
  }

  private prepare(key: string, source: string, document: DocumentNode, operationName: string | undefined): { operation: PreparedOperation; planned: boolean } {
    const known = this.preparedFor(key, document, operationName);
    if (known) return { operation: known, planned: false };
    const context = buildOperationContext({ schema: this.schema, operationDocument: document, operationName });
    const plan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
    // Writing the plan out also flattens the strings the planner built piece by piece.
    const execution = this.ownExecutor ? PreparedExecution.prepare(this.apiSchema, context, plan) : undefined;
    const planWeight = JSON.stringify(plan).length;
    // The execution (the federation operation and its response shape) holds about what the
    // plan does, so it counts as the plan once more: the heap held per unit of weight stays at or
    // below the stock executor's. 40 texts of 30 long aliases: 1.6 bytes a unit (2.3-2.8 stock,
    // 3.0 uncounted); of a large fragment spread 30 times: 5.4 (6.9 stock, 10.7 uncounted). The
    // document is kept parsed with its locations (the context is made of its nodes), weighed as
    // the parsed-document store weighs it, by its JSON: a dense text of the limits (30 aliased
    // products of ten fields, 3.6 KB) holds 360 KB so, and weighed by its text and plan alone
    // such texts held 38 bytes a unit (250 MB in the 8,000,000).
    const weight = source.length + JSON.stringify(document).length + planWeight * (execution ? 2 : 1);
    const operation = { document, context, plan, execution, weight };
    // One heavier than everything kept may weigh is served, not kept.
    if (operation.weight > this.keptWeight) return { operation, planned: true };
    this.prepared.set(key, operation);
    this.weight += operation.weight;
    for (const [oldest, kept] of this.prepared) {
      if (this.prepared.size <= this.kept && this.weight <= this.keptWeight) break;
      if (kept.pinned) continue;
      this.prepared.delete(oldest);
      this.weight -= kept.weight;
    }
    return { operation, planned: true };
  }
}

/**
 * A persisted operation planned ahead, run without Apollo Server's request pipeline: what the
 * executor does for it, its variables checked first, as the executor checks them.
 */
export interface PersistedRun {
  /** The document it was planned from (the request policy and the response cache read it). */
  document: DocumentNode;
  /** The operation the client's name (or its absence) chooses. */
  operation: OperationDefinitionNode;
  /** Whether the variables coerce; where they do not, the executor's answer is an error, Apollo Server's to write. */
  acceptsVariables(variables: Record<string, unknown>): boolean;
  /** Runs the plan on the own executor, as the executor does for a request whose variables coerce. */
  execute(requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult>;
}

/**
 * What runs a prepared operation's plan: `prepared`, the gateway's own executor (the federation
 * operation built once per text, no spans), or `stock`, @apollo/gateway's `executeQueryPlan`.
 */
export type PlanExecutor = "prepared" | "stock";

/** What a planning took (ms of the process's CPU), for the request whose context it was made in. */
export type PlannedListener = (contextValue: unknown, query: string, operationName: string | undefined, milliseconds: number) => void;

/** A prepared operation's key: Apollo Server's hash of the text (SHA-256, hex) and the operation's name. */
function preparedKey(queryHash: string, operationName: string | undefined): string {
  return `${queryHash}\u0000${operationName ?? ""}`;
}

/** The key of a text not yet hashed, as Apollo Server hashes it (SHA-256, hex) for the executor. */
const textKey = (query: string, operationName: string | undefined): string => preparedKey(createHash("sha256").update(query).digest("hex"), operationName);

/**
 * An operation graphql-js validated that the federation planner refuses (a field its own copy
 * of the schema lacks, a shape it cannot plan) is the client's to change, not a fault of ours:
 * refused as validation is, with the planner's reason when it is one written for clients,
 * and nothing logged (a stack a request was anyone's to write into the log).
 */
function unplannable(error: unknown): GraphQLError {
  // federation-internals' INVALID_GRAPHQL errors are graphql-js's wording ("Cannot query field ...").
  const reason = error instanceof GraphQLError && error.extensions?.code === "INVALID_GRAPHQL" ? error.message : "The gateway cannot plan this operation";
  return new GraphQLError(reason, { extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { status: 400 } } });
}
