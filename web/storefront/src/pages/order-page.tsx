import { useEffect, useState } from "preact/hooks";
import {
  describeOrderState,
  isFinalOrderStatus,
  OrderAfterSaleDocument,
  OrderDetailsDocument,
  OrderStatusDocument,
  type OrderStatus,
  type PaymentStatus,
  type StorefrontError,
} from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { href } from "../route.js";
import { Await, ErrorNotice, Money } from "../components.js";
import { useQuery } from "../use-operation.js";
import { ORDER_STATUS_LABELS } from "./order-status-labels.js";
import { OrderAfterSale } from "./order-after-sale.js";
import { CancelOrderAction, RequestReturnAction, type OrderChanged } from "./order-actions.js";
import { AddOrderToCartAction } from "./order-to-cart-action.js";

const STEPS: OrderStatus[] = ["PENDING", "PAID", "SHIPPED", "DELIVERED"];

/** How far along the happy path an order got: after-sale statuses all come after delivery. */
function stepReached(status: OrderStatus): number {
  if (status === "RETURN_REQUESTED" || status === "PARTIALLY_REFUNDED") return STEPS.indexOf("DELIVERED");
  return STEPS.indexOf(status);
}

interface LiveState {
  status: OrderStatus;
  payment: PaymentStatus | undefined;
  reason: string | null;
}

/**
 * The order, following its status live until a final one; the page never needs a reload. The
 * customer cancels it here until it ships, asks for returns once it is delivered, and puts its
 * items back in the cart (after a declined payment or a cancel, or to buy again); refunds
 * and returns show below, refreshed whenever the status moves.
 */
export function OrderPage({ id }: { id: string }) {
  // Signed out, no order can be read (the API answers UNAUTHENTICATED): a mailed order link
  // opened in a new tab lands here, and the way to it is signing in.
  if (!client.session)
    return (
      <p>
        <a href={href.logIn(href.order(id))}>Sign in</a> to see this order.
      </p>
    );
  return <SignedInOrderPage id={id} />;
}

function SignedInOrderPage({ id }: { id: string }) {
  const [details] = useQuery(OrderDetailsDocument, { id });
  const [afterSale, reloadAfterSale] = useQuery(OrderAfterSaleDocument, { id });
  const [live, setLive] = useState<LiveState | undefined>();
  const [following, setFollowing] = useState<"live" | "reconnecting" | "ended">("live");
  const [error, setError] = useState<StorefrontError | undefined>();
  // A result in part or a failure the gateway is retrying: the page keeps following.
  const [stale, setStale] = useState(false);

  useEffect(
    () =>
      client.subscribe(OrderStatusDocument, { orderId: id }, {
        next: ({ orderStatusChanged: order }) => {
          setFollowing("live");
          setStale(false);
          setLive({ status: order.status, payment: order.payment?.status, reason: order.statusReason });
        },
        reconnecting: () => setFollowing("reconnecting"),
        problem: () => setStale(true),
        error: (failure) => {
          setError(failure);
          setFollowing("ended");
        },
        complete: () => setFollowing("ended"),
      }),
    [id],
  );

  // A new status may come with a refund or a decided return.
  useEffect(() => {
    if (live) reloadAfterSale();
  }, [live?.status]);

  return (
    <Await loaded={details}>
      {({ order }) => {
        if (!order) return <p>This order is not in your account.</p>;
        const status = live?.status ?? order.status;
        const payment = live ? live.payment : order.payment?.status;
        const reason = live ? live.reason : order.statusReason;
        const changed: OrderChanged = (change) =>
          setLive((known) => ({ status: change.status, payment: known ? known.payment : order.payment?.status, reason: change.statusReason !== undefined ? change.statusReason : (known?.reason ?? null) }));
        const reached = stepReached(status);
        return (
          <section aria-labelledby="order-title">
            <h1 id="order-title">Order {order.id}</h1>
            <div class="order-status" role="status" aria-live="polite">
              <p>
                Status: <strong data-testid="order-status">{ORDER_STATUS_LABELS[status]}</strong>
              </p>
              <p>{describeOrderState(status, payment)}</p>
              {reason && <p class="muted">{reason}</p>}
            </div>
            {reached >= 0 && (
              <ol class="steps" aria-label="Progress">
                {STEPS.map((step, index) => (
                  <li key={step} aria-current={index === reached ? "step" : undefined} class={index <= reached ? "done" : ""}>
                    {ORDER_STATUS_LABELS[step]}
                  </li>
                ))}
              </ol>
            )}
            <p class="muted">
              {following === "live" && !isFinalOrderStatus(status) && "Following this order live."}
              {following === "reconnecting" && "Connection lost; reconnecting…"}
              {following === "live" && stale && " Some details could not be refreshed for a moment; they will update on their own."}
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
            <CancelOrderAction id={order.id} status={status} onChanged={changed} />
            <AddOrderToCartAction orderId={order.id} status={status} />
            {afterSale.state === "done" && afterSale.data.order && (
              <>
                <RequestReturnAction orderId={order.id} status={status} items={order.items} afterSale={afterSale.data.order} onChanged={changed} onReturnMade={reloadAfterSale} />
                <OrderAfterSale afterSale={afterSale.data.order} reload={reloadAfterSale} />
              </>
            )}
          </section>
        );
      }}
    </Await>
  );
}
