import { useEffect, useState } from "preact/hooks";
import {
  AddAddressDocument,
  ApplyCouponDocument,
  CartDocument,
  CartEstimateDocument,
  CheckoutDocument,
  MeDocument,
  RemoveCouponDocument,
  ShippingMethodsDocument,
} from "../../../../clients/typescript/src/index.js";
import { Await, ErrorNotice, Money } from "../components.js";
import { checkoutErrorShown, checkoutKeySpent } from "../checkout-key.js";
import { isRetryable } from "../retryable.js";
import { href, navigate } from "../route.js";
import { useMutation, useQuery } from "../use-operation.js";
import { useChangeKeys } from "../change-key.js";

const ADDRESS_FIELDS = [
  { name: "recipientName", label: "Full name", autocomplete: "name", required: true },
  { name: "line1", label: "Street and number", autocomplete: "address-line1", required: true },
  { name: "city", label: "City", autocomplete: "address-level2", required: true },
  // Required by the server for the US and Canada (a state or province code such as IL, or its name): tax is set per state.
  { name: "region", label: "State or province", autocomplete: "address-level1", required: false },
  { name: "postalCode", label: "Postal code", autocomplete: "postal-code", required: true },
  { name: "country", label: "Country code (2 letters)", autocomplete: "country", required: true },
] as const;

type AddressForm = Record<(typeof ADDRESS_FIELDS)[number]["name"], string>;

const ADDRESS_LABELS: Readonly<Record<string, string>> = Object.fromEntries(ADDRESS_FIELDS.map(({ name, label }) => [name, label]));

/**
 * Delivery address, then the order. The idempotency key is made once per visit of this page:
 * a retried or double-clicked "Place order" sends the same key and gets the same order. A
 * refusal that binds the key to a cart the page no longer shows makes a new one (checkout-key.ts).
 */
export function CheckoutPage() {
  const [me, reloadMe] = useQuery(MeDocument, {});
  const [cart] = useQuery(CartDocument, {});
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const renewKey = () => setIdempotencyKey(crypto.randomUUID());
  const [address, setAddress] = useState<AddressForm>({ recipientName: "", line1: "", city: "", region: "", postalCode: "", country: "US" });
  const addAddress = useMutation(AddAddressDocument);

  return (
    <section aria-labelledby="checkout-title" class="narrow">
      <h1 id="checkout-title">Checkout</h1>
      <Await loaded={me}>
        {({ me }) =>
          !me ? (
            <p>
              <a href={href.logIn(href.checkout())}>Sign in</a> to check out.
            </p>
          ) : !me.defaultAddress ? (
            <form
              aria-labelledby="address-title"
              onSubmit={async (event) => {
                event.preventDefault();
                if (await addAddress.run({ input: { ...address, country: address.country.toUpperCase(), makeDefault: true } })) reloadMe();
              }}
            >
              <h2 id="address-title">Delivery address</h2>
              {ADDRESS_FIELDS.map((field) => (
                <div key={field.name}>
                  <label for={`address-${field.name}`}>{field.label}</label>
                  <input
                    id={`address-${field.name}`}
                    autocomplete={field.autocomplete}
                    required={field.required}
                    value={address[field.name]}
                    onInput={(event) => setAddress({ ...address, [field.name]: (event.target as HTMLInputElement).value })}
                  />
                </div>
              ))}
              <ErrorNotice error={addAddress.error} fields={ADDRESS_LABELS} />
              <button type="submit" disabled={addAddress.busy}>
                Use this address
              </button>
            </form>
          ) : (
            <>
              <p>Delivering to your saved address.</p>
              <Await loaded={cart}>
                {({ cart }) =>
                  cart.items.length === 0 ? (
                    <p>
                      Your cart is empty. <a href={href.home()}>Keep shopping</a>
                    </p>
                  ) : (
                    <>
                      <ul class="summary">
                        {cart.items.map((item) => (
                          <li key={item.product.id}>
                            {item.quantity} × {item.product.name} <Money money={item.lineTotal} />
                          </li>
                        ))}
                      </ul>
                      <PlaceOrder addressId={me.defaultAddress!.id} country={me.defaultAddress!.country} idempotencyKey={idempotencyKey} onKeySpent={renewKey} />
                    </>
                  )
                }
              </Await>
            </>
          )
        }
      </Await>
    </section>
  );
}

/**
 * Shipping method, coupon and the totals the server computes (the cart's estimate: the same
 * function checkout charges with), then the order. The page never sends an amount to charge;
 * it sends the total it shows, so an order that would cost otherwise (a tax rate changed since)
 * is refused with PRICE_CHANGED and the totals are read again.
 */
function PlaceOrder({ addressId, country, idempotencyKey, onKeySpent }: { addressId: string; country: string; idempotencyKey: string; onKeySpent: () => void }) {
  const [methods] = useQuery(ShippingMethodsDocument, { countryCode: country });
  const [chosen, setChosen] = useState<string | undefined>();
  const [code, setCode] = useState("");
  const applyCoupon = useMutation(ApplyCouponDocument);
  const removeCoupon = useMutation(RemoveCouponDocument);
  // A coupon applied or removed again after no answer is changed once (change-key.ts).
  const changeKeys = useChangeKeys();
  const checkout = useMutation(CheckoutDocument);
  const [shownTotal, setShownTotal] = useState<number | undefined>();
  const [refused, setRefused] = useState(0);
  useEffect(() => {
    const error = checkout.error;
    if (!error) return;
    if (checkoutKeySpent(error)) onKeySpent();
    // A failure with no verdict (no answer, the store busy) may have come after the order was
    // placed: the shown total stays, so the next click is the same request under the same key
    // and is answered with that order. Read again, the estimate would be the emptied cart's, and
    // the retry would be refused for a total its own order does not charge.
    if (!isRetryable(error)) setRefused((n) => n + 1);
  }, [checkout.error]);
  return (
    <Await loaded={methods}>
      {({ shippingMethods }) => {
        const shippingMethodId = chosen ?? shippingMethods[0]?.id;
        if (!shippingMethodId) return <p>We do not ship to {country} yet.</p>;
        return (
          <>
            <fieldset>
              <legend>Shipping</legend>
              {shippingMethods.map((method) => (
                <label key={method.id} class="check">
                  <input type="radio" name="shipping" checked={method.id === shippingMethodId} onChange={() => setChosen(method.id)} />
                  {method.name} ({method.minDeliveryDays}–{method.maxDeliveryDays} days) <Money money={method.price} />
                </label>
              ))}
            </fieldset>
            <form
              onSubmit={async (event) => {
                event.preventDefault();
                const request = { code: code.trim().toUpperCase() };
                if (await applyCoupon.run({ ...request, idempotencyKey: changeKeys.keyFor({ apply: request }) })) {
                  changeKeys.made({ apply: request });
                  setCode("");
                }
              }}
            >
              <label for="coupon-code">Coupon code</label>
              <input id="coupon-code" value={code} onInput={(event) => setCode((event.target as HTMLInputElement).value)} />
              <button type="submit" disabled={applyCoupon.busy || code.trim() === ""}>
                Apply coupon
              </button>
              <ErrorNotice error={applyCoupon.error} />
            </form>
            <Totals
              addressId={addressId}
              shippingMethodId={shippingMethodId}
              round={`${applyCoupon.busy}${removeCoupon.busy}${refused}`}
              onRemoveCoupon={async () => {
                if (await removeCoupon.run({ idempotencyKey: changeKeys.keyFor({ remove: true }) })) changeKeys.made({ remove: true });
              }}
              onShown={setShownTotal}
            />
            <ErrorNotice error={checkoutErrorShown(checkout.error)} />
            {/* Placed only against a total on the page: the order may not be charged more than it says. */}
            <button
              type="button"
              disabled={checkout.busy || shownTotal === undefined}
              onClick={async () => {
                const placed = await checkout.run({ idempotencyKey, shippingAddressId: addressId, shippingMethodId, expectedTotal: shownTotal });
                if (placed) navigate(href.order(placed.checkout.id));
              }}
            >
              Place order
            </button>
          </>
        );
      }}
    </Await>
  );
}

/** The estimate for the chosen method; `round` changes whenever the coupon may have, or a checkout was refused (not merely unanswered). */
function Totals({
  addressId,
  shippingMethodId,
  round,
  onRemoveCoupon,
  onShown,
}: {
  addressId: string;
  shippingMethodId: string;
  round: string;
  onRemoveCoupon: () => void | Promise<void>;
  onShown: (total: number | undefined) => void;
}) {
  const [estimate, reload] = useQuery(CartEstimateDocument, { shippingAddressId: addressId, shippingMethodId });
  const shown = estimate.state === "done" ? estimate.data.cart.estimate.total.amount : undefined;
  useEffect(() => onShown(shown), [shown]);
  const [seen, setSeen] = useState(round);
  if (seen !== round) {
    setSeen(round);
    reload();
  }
  return (
    <Await loaded={estimate}>
      {({ cart: { estimate } }) => (
        <dl class="totals">
          <dt>Subtotal</dt>
          <dd>
            <Money money={estimate.subtotal} />
          </dd>
          {estimate.couponCode ? (
            <>
              <dt>
                Discount ({estimate.couponCode}){" "}
                <button type="button" onClick={onRemoveCoupon}>
                  Remove
                </button>
              </dt>
              <dd>
                −<Money money={estimate.discountTotal} />
              </dd>
            </>
          ) : null}
          <dt>Shipping</dt>
          <dd>
            <Money money={estimate.shippingTotal} />
          </dd>
          <dt>Tax</dt>
          <dd>
            <Money money={estimate.taxTotal} />
          </dd>
          <dt class="total">Total</dt>
          <dd class="total">
            <Money money={estimate.total} />
          </dd>
        </dl>
      )}
    </Await>
  );
}
