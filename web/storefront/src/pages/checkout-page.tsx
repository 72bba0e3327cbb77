import { useState } from "preact/hooks";
import { AddAddressDocument, CartDocument, CheckoutDocument, MeDocument } from "../../../../clients/typescript/src/index.js";
import { Await, ErrorNotice, Money } from "../components.js";
import { href, navigate } from "../route.js";
import { useMutation, useQuery } from "../use-operation.js";

const ADDRESS_FIELDS = [
  { name: "recipientName", label: "Full name", autocomplete: "name", required: true },
  { name: "line1", label: "Street and number", autocomplete: "address-line1", required: true },
  { name: "city", label: "City", autocomplete: "address-level2", required: true },
  { name: "postalCode", label: "Postal code", autocomplete: "postal-code", required: true },
  { name: "country", label: "Country code (2 letters)", autocomplete: "country", required: true },
] as const;

type AddressForm = Record<(typeof ADDRESS_FIELDS)[number]["name"], string>;

/**
 * Delivery address, then the order. The idempotency key is made once per visit of this page:
 * a retried or double-clicked "Place order" sends the same key and gets the same order.
 */
export function CheckoutPage() {
  const [me, reloadMe] = useQuery(MeDocument, {});
  const [cart] = useQuery(CartDocument, {});
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [address, setAddress] = useState<AddressForm>({ recipientName: "", line1: "", city: "", postalCode: "", country: "US" });
  const addAddress = useMutation(AddAddressDocument);
  const checkout = useMutation(CheckoutDocument);

  return (
    <section aria-labelledby="checkout-title" class="narrow">
      <h1 id="checkout-title">Checkout</h1>
      <Await loaded={me}>
        {({ me }) =>
          !me ? (
            <p>
              <a href={href.account(href.checkout())}>Sign in</a> to check out.
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
              <ErrorNotice error={addAddress.error} />
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
                      <p class="total">
                        Total: <Money money={cart.subtotal} />
                      </p>
                      <ErrorNotice error={checkout.error} />
                      <button
                        type="button"
                        disabled={checkout.busy}
                        onClick={async () => {
                          const placed = await checkout.run({ idempotencyKey });
                          if (placed) navigate(href.order(placed.checkout.id));
                        }}
                      >
                        Place order
                      </button>
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
