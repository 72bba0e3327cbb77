import { useEffect, useState } from "preact/hooks";
import {
  describeOrderState,
  isFinalOrderStatus,
  OrderDetailsDocument,
  OrderStatusDocument,
  type OrderStatus,
  type PaymentStatus,
  type StorefrontError,
} from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { Await, ErrorNotice, Money } from "../components.js";
import { useQuery } from "../use-operation.js";

const STEPS: OrderStatus[] = ["PENDING", "PAID", "SHIPPED", "DELIVERED"];
const LABELS: Record<OrderStatus, string> = {
  PENDING: "Placed",
  PAID: "Paid",
  SHIPPED: "Shipped",
  DELIVERED: "Delivered",
  CANCELLED: "Cancelled",
  PAYMENT_FAILED: "Payment failed",
  RETURN_REQUESTED: "Return requested",
  PARTIALLY_REFUNDED: "Partially refunded",
  REFUNDED: "Refunded",
};

/** The order, following its status live until a final one; the page never needs a reload. */
export function OrderPage({ id }: { id: string }) {
  const [details] = useQuery(OrderDetailsDocument, { id });
  const [live, setLive] = useState<{ status: OrderStatus; payment: PaymentStatus | undefined; reason: string | null } | undefined>();
  const [following, setFollowing] = useState<"live" | "reconnecting" | "ended">("live");
  const [error, setError] = useState<StorefrontError | undefined>();

  useEffect(
    () =>
      client.subscribe(OrderStatusDocument, { orderId: id }, {
        next: ({ orderStatusChanged: order }) => {
          setFollowing("live");
          setLive({ status: order.status, payment: order.payment?.status, reason: order.statusReason });
        },
        reconnecting: () => setFollowing("reconnecting"),
        error: (failure) => {
          setError(failure);
          setFollowing("ended");
        },
        complete: () => setFollowing("ended"),
      }),
    [id],
  );

  return (
    <Await loaded={details}>
      {({ order }) => {
        if (!order) return <p>This order does not exist.</p>;
        const status = live?.status ?? order.status;
        const payment = live ? live.payment : order.payment?.status;
        return (
          <section aria-labelledby="order-title">
            <h1 id="order-title">Order {order.id}</h1>
            <div class="order-status" role="status" aria-live="polite">
              <p>
                Status: <strong data-testid="order-status">{LABELS[status]}</strong>
              </p>
              <p>{describeOrderState(status, payment)}</p>
              {live?.reason && <p class="muted">{live.reason}</p>}
            </div>
            <ol class="steps" aria-label="Progress">
              {STEPS.map((step) => (
                <li key={step} aria-current={step === status ? "step" : undefined} class={STEPS.indexOf(step) <= STEPS.indexOf(status) ? "done" : ""}>
                  {LABELS[step]}
                </li>
              ))}
            </ol>
            <p class="muted">
              {following === "live" && !isFinalOrderStatus(status) && "Following this order live."}
              {following === "reconnecting" && "Connection lost; reconnecting…"}
              {following === "ended" && isFinalOrderStatus(status) && "This order is complete."}
            </p>
            <ErrorNotice error={error} />
            <ul class="summary">
              {order.items.map((item, line) => (
                // An order's lines never change and their product may have left the catalog.
                <li key={line}>
                  {item.quantity} × {item.name} <Money money={item.lineTotal} />
                </li>
              ))}
            </ul>
            <p class="total">
              Total: <Money money={order.total} />
            </p>
          </section>
        );
      }}
    </Await>
  );
}
