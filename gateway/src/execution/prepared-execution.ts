import { operationFromDocument, type Operation, type Schema } from "@apollo/federation-internals";
import type { GraphQLDataSource } from "@apollo/gateway";
import type { OperationContext } from "@apollo/gateway/dist/operationContext.js";
import { computeResponse } from "@apollo/gateway/dist/resultShaping.js";
import type { PlanNode, QueryPlan } from "@apollo/query-planner";
import type { GatewayExecutionResult, GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { GraphQLError, Kind, type GraphQLSchema, type SelectionNode } from "graphql";
import { ResponseShape } from "./response-shape.js";
import { runPlanNode, runsOnOwnExecutor, type PlanRun } from "./plan-runner.js";

/**
 * One operation's plan, run by the gateway's own executor: what `executeQueryPlan` rebuilt on
 * every request (the federation `Operation`, from the operation's definitions) is built once
 * here, when the operation is prepared, and so is its response shape (`response-shape.ts`). The
 * answer is the stock executor's, byte for byte: the same fetches, merged by the same functions,
 * shaped as `computeResponse` shapes it, with the same errors
 * (`prepared-execution-equality.test.ts` compares them over the persisted operations and
 * crafted ones).
 */
export class PreparedExecution {
  private readonly responseShape: ResponseShape;

  private constructor(
    private readonly plan: QueryPlan,
    private readonly operation: Operation,
  ) {
    this.responseShape = ResponseShape.compile(operation);
  }

  /**
   * The execution of `plan`, or undefined when the plan holds what only the stock executor runs
   * (@defer, subscriptions, schema fields beside fetched ones) or the operation cannot be
   * rebuilt (the stock executor answers that request with its own error).
   */
  static prepare(apiSchema: Schema, operationContext: OperationContext, plan: QueryPlan): PreparedExecution | undefined {
    if (plan.node && !runsOnOwnExecutor(plan.node)) return undefined;
    if (readsSchema(operationContext.operation.selectionSet.selections, operationContext.fragments)) return undefined;
    let operation: Operation;
    try {
      operation = operationFromDocument(apiSchema, { kind: Kind.DOCUMENT, definitions: [operationContext.operation, ...Object.values(operationContext.fragments)] }, { validate: false });
    } catch {
      return undefined;
    }
    return new PreparedExecution(plan, operation);
  }

  async execute(requestContext: GatewayGraphQLRequestContext, services: Record<string, GraphQLDataSource>, supergraphSchema: GraphQLSchema): Promise<GatewayExecutionResult> {
    const errors: unknown[] = [];
    const merged: Record<string, unknown> = Object.create(null);
    const run: PlanRun = { operation: this.operation, services, supergraphSchema, requestContext: requestContext as unknown as PlanRun["requestContext"], errors };
    if (this.plan.node) await runPlanNode(run, this.plan.node as PlanNode, { path: [], data: merged, fullResult: merged });
    return this.shape(requestContext, merged, errors as GraphQLError[]);
  }

  /** The client's answer from the merged fetches, as `executeQueryPlan`'s post-processing writes it. */
  private shape(requestContext: GatewayGraphQLRequestContext, merged: Record<string, unknown>, errors: GraphQLError[]): GatewayExecutionResult {
    const variables = requestContext.request.variables;
    let data: Record<string, unknown> | null | undefined;
    try {
      let completionErrors: GraphQLError[];
      ({ data, errors: completionErrors } =
        this.responseShape.shape(merged, variables) ??
        computeResponse({
          operation: this.operation,
          variables,
          input: merged,
          introspectionHandling: () => {
            throw new Error("Operations reading the schema run the stock executor");
          },
        }));
      if (errors.length === 0 && completionErrors.length > 0) return { extensions: { valueCompletion: completionErrors }, data };
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      if (error instanceof Error) return { errors: [new GraphQLError(error.message, { originalError: error })] };
      requestContext.logger.error("Unexpected error during query plan execution: " + String(error));
      return { errors: [new GraphQLError("Unexpected error during query plan execution")] };
    }
    return errors.length === 0 ? { data } : { errors, data };
  }
}

/** Whether the operation reads the schema (`__schema`, `__type`) beside what it fetches: the stock executor answers those. */
function readsSchema(selections: readonly SelectionNode[], fragments: OperationContext["fragments"], seen = new Set<string>()): boolean {
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === "__schema" || selection.name.value === "__type") return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (readsSchema(selection.selectionSet.selections, fragments, seen)) return true;
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      if (seen.has(name) || !fragment) continue;
      seen.add(name);
      if (readsSchema(fragment.selectionSet.selections, fragments, seen)) return true;
    }
  }
  return false;
}
