import type { SubgraphClient } from "#kernel";
import type { OrderedLine, OrderHistory } from "../ports/order-history.js";

const CUSTOMER_ORDER_LINES = `query CustomerOrderLines($userId: ID!, $orderId: ID!) {
  customerOrderLines(userId: $userId, orderId: $orderId) { variant { id } product { id } quantity name variantTitle }
}`;

interface Answer {
  customerOrderLines: { variant: { id: string }; product: { id: string }; quantity: number; name: string; variantTitle: string }[] | null;
}

/**
 * Past orders from the orders subgraph's internal `customerOrderLines` query (service role), as
 * the cart reads saved addresses from accounts. `client` is asked for on each call, so the
 * cart can start before the orders subgraph listens.
 */
export function createSubgraphOrderHistory(client: () => SubgraphClient): OrderHistory {
  return {
    async linesOf(customerId, orderId): Promise<OrderedLine[] | null> {
      const data = await client().request<Answer>(CUSTOMER_ORDER_LINES, { userId: customerId, orderId });
      return (
        data.customerOrderLines?.map((line) => ({ variantId: line.variant.id, productId: line.product.id, quantity: line.quantity, name: line.name, variantTitle: line.variantTitle })) ?? null
      );
    },
  };
}
