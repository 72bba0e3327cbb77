import { trace } from "@opentelemetry/api";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { tracingEnabled } from "./tracing-context.js";

/**
 * Names the HTTP server span of a GraphQL request after the service and the operation
 * (`orders mutation Checkout__orders__1`), so a trace reads as the gateway's plan did and
 * the subgraphs of one process (`npm start`) stay apart. Off, it adds nothing per request.
 */
export function tracingOperationPlugin<TContext extends BaseContext>(service: string): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      if (!tracingEnabled()) return;
      // Over HTTP the server span is active here; a WebSocket operation has none to name.
      const span = trace.getActiveSpan();
      if (!span) return;
      return {
        async didResolveOperation({ operationName, operation }) {
          const name = operationName ?? "anonymous";
          const type = operation?.operation ?? "operation";
          span.updateName(`${service} ${type} ${name}`);
          span.setAttributes({ "storefront.service": service, "graphql.operation.type": type, "graphql.operation.name": name });
        },
      };
    },
  };
}
