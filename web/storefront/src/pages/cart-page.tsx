import { CartDocument, RemoveFromCartDocument, UpdateCartItemDocument } from "../../../../clients/typescript/src/index.js";
import { Await, ErrorNotice, Money } from "../components.js";
import { href } from "../route.js";
import { useMutation, useQuery } from "../use-operation.js";
import { client } from "../storefront-client.js";
import { itemCount } from "../item-count.js";
import { useState } from "preact/hooks";
import { useChangeKeys } from "../change-key.js";
import { typedQuantity } from "../typed-quantity.js";

/** A visitor who never added anything has no cart yet (no session, no guest cart token). */
export function CartPage() {
  if (!client.session && !client.cartToken) {
    return (
      <section aria-labelledby="cart-title">
        <h1 id="cart-title">Your cart</h1>
        <p>
          Your cart is empty. <a href={href.home()}>Keep shopping</a>
        </p>
      </section>
    );
  }
  return <CartLines />;
}

function CartLines() {
  const [cart, reload] = useQuery(CartDocument, {});
  const update = useMutation(UpdateCartItemDocument);
  const remove = useMutation(RemoveFromCartDocument);
  // A quantity set or a removal sent again after no answer is made once (change-key.ts).
  const changeKeys = useChangeKeys();
  const keyed = <T extends object>(request: T) => ({ ...request, idempotencyKey: changeKeys.keyFor(request) });
  // The line whose box was given no whole number, told here rather than sent to be refused.
  const [notAQuantity, setNotAQuantity] = useState<string | undefined>();
  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      {notAQuantity ? (
        <p class="error" role="alert">
          Type the quantity of {notAQuantity} as a whole number; 0 removes it.
        </p>
      ) : (
        <ErrorNotice error={update.error ?? remove.error} />
      )}
      <Await loaded={cart}>
        {({ cart }) =>
          cart.items.length === 0 ? (
            <p>
              Your cart is empty. <a href={href.home()}>Keep shopping</a>
            </p>
          ) : (
            <>
              {cart.hasPriceChanges && <p role="status">Some prices changed since you added the items; the cart shows today's prices.</p>}
              <ul class="cart-lines">
                {cart.items.map((item) => (
                  <li key={item.variant.id}>
                    <a href={href.product(item.product.id)}>
                      {item.product.name}
                      {item.variant.title !== item.product.name && <span class="muted"> · {item.variant.title}</span>}
                    </a>
                    <span>
                      <Money money={item.unitPrice} /> each
                    </span>
                    <label>
                      <span class="visually-hidden">Quantity of {item.product.name}</span>
                      <input
                        type="number"
                        min={1}
                        value={item.quantity}
                        onChange={async (event) => {
                          const box = event.target as HTMLInputElement;
                          const quantity = typedQuantity(box.value, 0);
                          setNotAQuantity(quantity === undefined ? item.product.name : undefined);
                          // A box left holding what was refused stood beside a subtotal that did
                          // not follow it: it shows the cart's quantity again.
                          const showCart = () => (box.value = String(item.quantity));
                          if (quantity === undefined) return showCart();
                          if (quantity === item.quantity) return;
                          // 0 is a removal: updateCartItem to 0 takes the line off.
                          const request = { variantId: item.variant.id, quantity };
                          if (await update.run(keyed(request))) {
                            changeKeys.made(request);
                            reload();
                          } else showCart();
                        }}
                      />
                    </label>
                    <Money money={item.lineTotal} />
                    <button
                      type="button"
                      class="link"
                      onClick={async () => {
                        const request = { variantId: item.variant.id };
                        if (await remove.run(keyed(request))) {
                          changeKeys.made(request);
                          reload();
                        }
                      }}
                    >
                      Remove<span class="visually-hidden"> {item.product.name}</span>
                    </button>
                  </li>
                ))}
              </ul>
              <p class="total">
                Subtotal ({itemCount(cart.totalQuantity)}): <Money money={cart.subtotal} />
              </p>
              {/* Guests sign in (or up) first: that merges their cart into the account's. */}
              <a class="button" href={client.session ? href.checkout() : href.account(href.checkout())}>
                Go to checkout
              </a>
            </>
          )
        }
      </Await>
    </section>
  );
}
