import type { SubgraphClient } from "#kernel";
import type { OrderPayment, PaymentOutcomes } from "../ports/payment-outcomes.js";

// The payments subgraph's own field on the order entity: a service identity may read any
// order's payment, and the payments service keeps answering it whatever its storage.
const PAYMENTS_OF_ORDERS = `query PaymentsOfOrders($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Order { id payment { id status failureReason attempts amount { amount currency } } }
  }
}`;

interface Answer {
  _entities: ({ id: string; payment: { id: string; status: OrderPayment["status"]; failureReason: string | null; attempts: number; amount: { amount: number; currency: string } } | null } | null)[];
}

/**
 * Payments of orders through the payments subgraph, as the orders service. `client` is asked
 * for on each call, so it can be made once the payments subgraph is up.
 */
export function createSubgraphPaymentOutcomes(client: () => SubgraphClient, options: { timeoutMs?: number } = {}): PaymentOutcomes {
  return {
    async ofOrders(orderIds) {
      const found = new Map<string, OrderPayment>();
      if (orderIds.length === 0) return found;
      const representations = orderIds.map((id) => ({ __typename: "Order", id }));
      const data = await client().request<Answer>(PAYMENTS_OF_ORDERS, { representations }, { timeoutMs: options.timeoutMs ?? 10_000 });
      for (const entity of data._entities) {
        const payment = entity?.payment;
        if (!entity || !payment) continue;
        found.set(entity.id, {
          paymentId: payment.id,
          status: payment.status,
          failureReason: payment.failureReason,
          attempts: payment.attempts,
          amount: payment.amount.amount,
          currency: payment.amount.currency,
        });
      }
      return found;
    },
  };
}
