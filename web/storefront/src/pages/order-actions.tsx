import { useEffect, useState } from "preact/hooks";
import { CancelOrderDocument, RequestReturnDocument, type OrderDetailsQuery, type OrderStatus } from "../../../../clients/typescript/src/index.js";
import { ErrorNotice } from "../components.js";
import { useMutation } from "../use-operation.js";
import type { AfterSale } from "./order-after-sale.js";

type OrderLine = NonNullable<OrderDetailsQuery["order"]>["items"][number];

/** An order its customer may still cancel: nothing has shipped. */
const CANCELLABLE: ReadonlySet<OrderStatus> = new Set(["PENDING", "PAID"]);
/** The customer has the goods: returns may be asked for (the server checks the window). */
const AFTER_DELIVERY: ReadonlySet<OrderStatus> = new Set(["DELIVERED", "RETURN_REQUESTED", "PARTIALLY_REFUNDED"]);
/** A return in these states holds its units: they cannot be asked back a second time. */
const HOLDING_RETURNS: ReadonlySet<string> = new Set(["REQUESTED", "APPROVED"]);

/** What the page learns from an action: the order's new status, at once, before the stream says it. */
export type OrderChanged = (change: { status: OrderStatus; statusReason?: string | null }) => void;

/**
 * Cancel until shipped, asked twice: a cancel cannot be undone and the button sits near "Buy
 * again", so one tap only asks whether to cancel. The confirming button is disabled while the call
 * is in flight, and a second click in the same moment gets the first call's answer
 * (useMutation): one cancel is sent.
 */
export function CancelOrderAction({ id, status, onChanged }: { id: string; status: OrderStatus; onChanged: OrderChanged }) {
  const cancel = useMutation(CancelOrderDocument);
  const [confirming, setConfirming] = useState(false);
  if (!CANCELLABLE.has(status)) return null;
  const consequence = status === "PAID" ? "the payment is refunded in full" : "nothing will be charged";
  if (!confirming) {
    return (
      <div class="order-action">
        <p class="muted">{status === "PAID" ? "You can cancel until the order ships; the payment is refunded in full." : "You can cancel until the order ships."}</p>
        <button type="button" onClick={() => setConfirming(true)}>
          Cancel order
        </button>
      </div>
    );
  }
  return (
    <div class="order-action" role="group" aria-labelledby="cancel-question">
      <p id="cancel-question">Cancel this order? This cannot be undone; {consequence}.</p>
      <button
        type="button"
        disabled={cancel.busy}
        aria-busy={cancel.busy}
        onClick={async () => {
          const result = await cancel.run({ id });
          if (result) onChanged(result.cancelOrder);
        }}
      >
        Yes, cancel the order
      </button>{" "}
      <button type="button" class="secondary" disabled={cancel.busy} onClick={() => setConfirming(false)}>
        Keep the order
      </button>
      <ErrorNotice error={cancel.error} />
    </div>
  );
}

/** Units of each variant still free to return: bought, less those in requested or approved returns. */
export function returnableUnits(items: readonly OrderLine[], returns: AfterSale["returns"]): Map<string, number> {
  const left = new Map<string, number>();
  for (const item of items) if (item.variant) left.set(item.variant.id, (left.get(item.variant.id) ?? 0) + item.quantity);
  for (const request of returns) {
    if (!HOLDING_RETURNS.has(request.status)) continue;
    for (const item of request.items) left.set(item.variantId, (left.get(item.variantId) ?? 0) - item.quantity);
  }
  return left;
}

/**
 * A return of delivered units: how many of each line, and why. Lines whose variant left the
 * catalog cannot be named, so they are not offered. One key per return asked for: a send
 * whose answer was lost, retried, is answered with the same return; a new one after success.
 * A send whose answers were all lost may have made the return, and the form, edited before it
 * is sent again, then asks another return under that key: IDEMPOTENCY_CONFLICT, for every send
 * after it. That refusal says the key's return exists, so it ends the form as a success does:
 * a new key, the form emptied and the order's returns read again (the one made is among them).
 */
export function RequestReturnAction({
  orderId,
  status,
  items,
  afterSale,
  onChanged,
  onReturnMade,
}: {
  orderId: string;
  status: OrderStatus;
  items: readonly OrderLine[];
  afterSale: AfterSale;
  onChanged: OrderChanged;
  /** A return was made under a key whose answer the form did not get: the order's returns are read again. */
  onReturnMade: () => void;
}) {
  const [units, setUnits] = useState<Record<string, number>>({});
  const [reason, setReason] = useState("");
  const [sent, setSent] = useState(false);
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const request = useMutation(RequestReturnDocument);
  const made = () => {
    setIdempotencyKey(crypto.randomUUID());
    setUnits({});
    setReason("");
    setSent(true);
  };
  useEffect(() => {
    if (request.error?.code !== "IDEMPOTENCY_CONFLICT") return;
    made();
    onReturnMade();
  }, [request.error]);
  if (!AFTER_DELIVERY.has(status)) return null;
  const left = returnableUnits(items, afterSale.returns);
  const lines = items.filter((item) => item.variant && (left.get(item.variant.id) ?? 0) > 0);
  if (lines.length === 0) return null;
  const chosen = Object.entries(units)
    .filter(([, quantity]) => quantity > 0)
    .map(([variantId, quantity]) => ({ variantId, quantity }));
  return (
    <form
      class="order-action"
      aria-labelledby="return-title"
      onSubmit={async (event) => {
        event.preventDefault();
        const result = await request.run({ orderId, items: chosen, reason: reason.trim(), idempotencyKey });
        if (!result) return;
        made();
        if (result.requestReturn.order) onChanged({ status: result.requestReturn.order.status });
      }}
    >
      <h2 id="return-title">Return items</h2>
      {sent && status === "RETURN_REQUESTED" && <p role="status">Your return is requested; we will tell you when it is decided.</p>}
      {lines.map((item) => {
        const variantId = item.variant!.id;
        const max = left.get(variantId) ?? 0;
        return (
          <div key={variantId}>
            <label for={`return-${variantId}`}>
              Units of {item.name}
              {item.variantTitle !== item.name ? ` (${item.variantTitle})` : ""} to return, up to {max}
            </label>
            <input
              id={`return-${variantId}`}
              type="number"
              min={0}
              max={max}
              value={units[variantId] ?? 0}
              onInput={(event) => {
                const quantity = Math.max(0, Math.min(max, Math.trunc(Number((event.target as HTMLInputElement).value)) || 0));
                setUnits({ ...units, [variantId]: quantity });
              }}
            />
          </div>
        );
      })}
      <label for="return-reason">Why are you sending them back?</label>
      <textarea id="return-reason" required maxLength={500} rows={3} value={reason} onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)} />
      {/* A conflict is the key's return, already made: the form ends as after a success. */}
      <ErrorNotice error={request.error?.code === "IDEMPOTENCY_CONFLICT" ? undefined : request.error} />
      <button type="submit" disabled={request.busy || chosen.length === 0 || reason.trim() === ""}>
        Request return
      </button>
    </form>
  );
}
