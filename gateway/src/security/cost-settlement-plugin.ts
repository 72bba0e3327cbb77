import type { ApolloServerPlugin } from "@apollo/server";
import type { ExecutedResult } from "./actual-operation-cost.js";

/** What a request's context carries to settle its cost: `RequestPolicy.settlementFor` the admitted operations. */
export interface CostSettling {
  settleCost?: (request: { query?: string; operationName?: string | null; variables?: Record<string, unknown> | null }, result: ExecutedResult) => Promise<void>;
}

/**
 * Settles every HTTP operation's cost once its answer is ready (each operation of a batch on
 * its own answer): the request policy charged its measured maximum at admission, and gives back
 * what the answer did not cost (the gateway's own nulls, `extensions.valueCompletion`, read
 * there as errors, whatever the transport).
 */
export function costSettlementPlugin<TContext extends CostSettling>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, request, response }) {
          if (!contextValue.settleCost || response.body.kind !== "single") return;
          const { data, errors, extensions } = response.body.singleResult;
          await contextValue.settleCost(request, { data, errors, extensions });
        },
      };
    },
  };
}
