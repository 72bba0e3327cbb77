import type { SubgraphClient } from "#kernel";
import type { OrderHistory, PastOrder } from "../ports/order-history.js";

const LINES = `customerOrderLines(userId: $userId, orderId: $orderId) { variant { id } product { id } quantity name variantTitle }`;
const CUSTOMER_ORDER = `query CustomerOrder($userId: ID!, $orderId: ID!) {
  ${LINES}
  customerOrderCouponGivenBack(userId: $userId, orderId: $orderId)
}`;
/** What an orders subgraph of the release before customerOrderCouponGivenBack answers (during a rolling deploy). */
const CUSTOMER_ORDER_LINES = `query CustomerOrderLines($userId: ID!, $orderId: ID!) {
  ${LINES}
}`;

interface Answer {
  customerOrderLines: { variant: { id: string }; product: { id: string }; quantity: number; name: string; variantTitle: string }[] | null;
  customerOrderCouponGivenBack?: string | null;
}

const isUnknownField = (error: unknown) => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code === "GRAPHQL_VALIDATION_FAILED";

/**
 * Past orders from the orders subgraph's internal `customerOrderLines` and
 * `customerOrderCouponGivenBack` queries (service role, one request), as
 * the cart reads saved addresses from accounts. `client` is asked for on each call, so the
 * cart can start before the orders subgraph listens.
 */
export function createSubgraphOrderHistory(client: () => SubgraphClient): OrderHistory {
  return {
    async orderOf(customerId, orderId): Promise<PastOrder | null> {
      const variables = { userId: customerId, orderId };
      const data = await client()
        .request<Answer>(CUSTOMER_ORDER, variables)
        .catch((error: unknown) => (isUnknownField(error) ? client().request<Answer>(CUSTOMER_ORDER_LINES, variables) : Promise.reject(error)));
      if (!data.customerOrderLines) return null;
      return {
        lines: data.customerOrderLines.map((line) => ({ variantId: line.variant.id, productId: line.product.id, quantity: line.quantity, name: line.name, variantTitle: line.variantTitle })),
        couponGivenBack: data.customerOrderCouponGivenBack ?? null,
      };
    },
  };
}
