import { GraphQLError } from "graphql";
import type { ApolloServerPlugin } from "@apollo/server";
import { ErrorCode } from "#kernel";
import type { GatewayContext } from "../gateway-context.js";
import { measureOperation } from "./measure-operation.js";
import type { OperationBudgets } from "./operation-budgets.js";

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/**
 * Refuses operations too deep, too aliased or too costly before any subgraph is called,
 * then charges the caller's budget for expensive operations (sign-in, checkout, search).
 */
export function operationGuardPlugin(limits: OperationLimits, budgets: OperationBudgets): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue }) {
          const measure = measureOperation(document, request.operationName, request.variables ?? {});
          // Introspection (explorers, codegen) nests type references deeper than any data
          // query; it is switched off in production, where the limits matter most.
          if (!measure || measure.rootFields.every((field) => field.startsWith("__"))) return;
          const refuse = (what: string, value: number, max: number) => {
            throw new GraphQLError(`The operation is too complex: ${what} ${value} exceeds ${max}`, {
              extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, [what]: value, limit: max, http: { status: 400 } },
            });
          };
          if (measure.depth > limits.maxDepth) refuse("depth", measure.depth, limits.maxDepth);
          if (measure.aliases > limits.maxAliases) refuse("aliases", measure.aliases, limits.maxAliases);
          if (measure.cost > limits.maxCost) refuse("cost", measure.cost, limits.maxCost);
          const refused = await budgets.charge(measure.rootFields, contextValue.callerKey);
          if (refused) {
            throw new GraphQLError(`Too many ${refused.budget} requests; retry in ${refused.retryAfterSeconds} s`, {
              extensions: {
                code: ErrorCode.RATE_LIMITED,
                retryAfterSeconds: refused.retryAfterSeconds,
                http: { status: 429, headers: new Map([["retry-after", String(refused.retryAfterSeconds)]]) },
              },
            });
          }
        },
      };
    },
  };
}
