import type { SubgraphClient } from "#kernel";
import type { OrderHistory, PastOrder } from "../ports/order-history.js";

const LINES = `customerOrderLines(userId: $userId, orderId: $orderId) { variant { id } product { id } quantity name variantTitle }`;
const COUPON = `customerOrderCouponGivenBack(userId: $userId, orderId: $orderId)`;
const STATUS = `customerOrderStatus(userId: $userId, orderId: $orderId)`;
/**
 * The query, then what orders subgraphs of the releases before customerOrderStatus and before
 * customerOrderCouponGivenBack answer (during a rolling deploy), newest first.
 */
const CUSTOMER_ORDER_QUERIES = [[LINES, COUPON, STATUS], [LINES, COUPON], [LINES]].map((fields) => `query CustomerOrder($userId: ID!, $orderId: ID!) { ${fields.join("\n")} }`);

interface Answer {
  customerOrderLines: { variant: { id: string }; product: { id: string }; quantity: number; name: string; variantTitle: string }[] | null;
  customerOrderCouponGivenBack?: string | null;
  customerOrderStatus?: string | null;
}

const isUnknownField = (error: unknown) => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code === "GRAPHQL_VALIDATION_FAILED";

/**
 * Past orders from the orders subgraph's internal `customerOrderLines`,
 * `customerOrderCouponGivenBack` and `customerOrderStatus` queries (service role, one request), as
 * the cart reads saved addresses from accounts. `client` is asked for on each call, so the
 * cart can start before the orders subgraph listens.
 */
export function createSubgraphOrderHistory(client: () => SubgraphClient): OrderHistory {
  return {
    async orderOf(customerId, orderId): Promise<PastOrder | null> {
      const variables = { userId: customerId, orderId };
      const ask = ([query, ...older]: string[]): Promise<Answer> =>
        client()
          .request<Answer>(query!, variables)
          .catch((error: unknown) => (isUnknownField(error) && older.length > 0 ? ask(older) : Promise.reject(error)));
      const data = await ask(CUSTOMER_ORDER_QUERIES);
      if (!data.customerOrderLines) return null;
      return {
        lines: data.customerOrderLines.map((line) => ({ variantId: line.variant.id, productId: line.product.id, quantity: line.quantity, name: line.name, variantTitle: line.variantTitle })),
        couponGivenBack: data.customerOrderCouponGivenBack ?? null,
        status: data.customerOrderStatus ?? null,
      };
    },
  };
}
