import { useState } from "preact/hooks";
import { AddOrderToCartDocument, type AddOrderToCartMutation, type OrderStatus } from "../../../../clients/typescript/src/index.js";
import { ErrorNotice } from "../components.js";
import { href } from "../route.js";
import { useMutation } from "../use-operation.js";

/** Orders whose items never reached the customer while checkout emptied the cart for them. */
const PUT_BACK: ReadonlySet<OrderStatus> = new Set(["PAYMENT_FAILED", "CANCELLED"]);

type PutBack = AddOrderToCartMutation["addOrderToCart"];
type PutBackLine = PutBack["lines"][number];

/** What the shopper is told of a line that did not go back whole; null when it did. */
export function lineNote(line: PutBackLine): string | null {
  const name = line.variantTitle !== line.name ? `${line.name} (${line.variantTitle})` : line.name;
  switch (line.outcome) {
    case "ADDED":
    case "ALREADY_IN_CART":
      return null;
    case "NO_LONGER_SOLD":
      return `${name} is no longer sold.`;
    case "OUT_OF_STOCK":
      return `${name} is sold out.`;
    case "LIMITED_BY_STOCK":
      return `${name}: only ${line.quantityInCart} of the ${line.ordered} ordered are in stock, and in your cart.`;
    case "QUANTITY_LIMIT":
      return `${name}: at most ${line.quantityInCart} fit in one order, and are in your cart.`;
    case "ORDER_VALUE_LIMIT":
      return `${name}: ${line.quantityInCart} of the ${line.ordered} ordered are in your cart; more would cost more than one order may.`;
    case "CART_FULL":
      return `${name} did not fit: your cart holds as many different items as it can.`;
    case "CURRENCY_MISMATCH":
      return `${name} is priced in another currency than your cart.`;
    case "ALREADY_PUT_BACK":
      return `${name} was put back in your cart before (in another tab or window), so it is not added again: see your orders if you bought it.`;
    default:
      return `${name} could not go back in your cart.`;
  }
}

/**
 * Puts the order's items back in the cart: "Put these items back in my cart" after a declined
 * payment or a cancel, "Buy again" otherwise. The server raises each line to the order's
 * quantity, so a second click or a retry adds nothing; a double click still sends one call
 * (useMutation). Lines that could not go back, or only in part, are named.
 */
export function AddOrderToCartAction({ orderId, status }: { orderId: string; status: OrderStatus }) {
  const putBack = useMutation(AddOrderToCartDocument);
  const [done, setDone] = useState<PutBack | undefined>();
  const isPutBack = PUT_BACK.has(status);
  const notes = done ? done.lines.map(lineNote).filter((note): note is string => note !== null) : [];
  return (
    <div class="order-action">
      {isPutBack && <p class="muted">Checkout emptied your cart for this order: put its items back to change them or pay again.</p>}
      <button
        type="button"
        disabled={putBack.busy}
        aria-busy={putBack.busy}
        onClick={async () => {
          const result = await putBack.run({ orderId });
          if (result) setDone(result.addOrderToCart);
        }}
      >
        {isPutBack ? "Put these items back in my cart" : "Buy again"}
      </button>
      {done && (
        <div role="status" data-testid="order-to-cart-result">
          <p>{notes.length === 0 ? "The order's items are in your cart." : done.lines.some((line) => line.quantityInCart > 0) ? "Some of the order's items are in your cart:" : "None of the order's items could go in your cart:"}</p>
          {notes.length > 0 && (
            <ul>
              {notes.map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          )}
          <a href={href.cart()}>Go to your cart</a>
        </div>
      )}
      <ErrorNotice error={putBack.error} />
    </div>
  );
}
