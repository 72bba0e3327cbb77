import { useEffect, useRef } from "preact/hooks";
import type { OrderAfterSaleQuery, RefundStatus, ReturnStatus } from "../../../../clients/typescript/src/index.js";
import { Money } from "../components.js";

export type AfterSale = NonNullable<OrderAfterSaleQuery["order"]>;

const REFUND_STATE: Record<RefundStatus, string> = { PENDING: "on its way back to you", SUCCEEDED: "paid back" };
const RETURN_STATE: Record<ReturnStatus, string> = { REQUESTED: "waiting for a decision", APPROVED: "approved", REJECTED: "rejected" };

/** How often a refund on its way is looked at again, and for how long at most. */
const REFUND_POLL_MS = 2_000;
const REFUND_POLLS = 60;

/**
 * The order's refunds and returns. The status stream ends at a final status (a cancelled order
 * says nothing more), but the refund it started is still on its way to the provider: while one
 * is pending the page asks again now and then, so "on its way" turns into "paid back" by itself.
 */
export function OrderAfterSale({ afterSale, reload }: { afterSale: AfterSale; reload: () => void }) {
  const polls = useRef(0);
  const pending = afterSale.refunds.some((refund) => refund.status === "PENDING");
  useEffect(() => {
    if (!pending || polls.current >= REFUND_POLLS) return;
    const timer = setTimeout(() => {
      polls.current++;
      reload();
    }, REFUND_POLL_MS);
    return () => clearTimeout(timer);
  }, [afterSale, pending]);

  if (afterSale.refunds.length === 0 && afterSale.returns.length === 0) return null;
  return (
    <section aria-labelledby="after-sale-title" class="after-sale">
      <h2 id="after-sale-title">Refunds and returns</h2>
      {afterSale.refunds.length > 0 && (
        <>
          <p data-testid="refunded-total">
            Refunded <Money money={afterSale.refundedTotal} /> of <Money money={afterSale.total} />
          </p>
          <ul class="summary" aria-label="Refunds">
            {afterSale.refunds.map((refund) => (
              <li key={refund.id}>
                <span>
                  <Money money={refund.amount} />: {refund.reason}
                </span>
                <span data-testid="refund-status">{REFUND_STATE[refund.status]}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {afterSale.returns.length > 0 && (
        <ul class="summary" aria-label="Returns">
          {afterSale.returns.map((request) => (
            <li key={request.id}>
              <span>
                Return of {request.items.reduce((units, item) => units + item.quantity, 0)} unit(s): “{request.reason}”
                {request.decisionReason && <span class="muted"> ({request.decisionReason})</span>}
              </span>
              <span data-testid="return-status">{RETURN_STATE[request.status]}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
