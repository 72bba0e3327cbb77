import { useEffect, useState } from "preact/hooks";
import { AddToCartDocument, ProductPageDocument, RecordProductViewDocument } from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { Await, ErrorNotice, Money, ProductImage } from "../components.js";
import { useCategoryName } from "../category-names.js";
import { href } from "../route.js";
import { useMutation, useQuery } from "../use-operation.js";
import { chosenVariant, initialChoice } from "./variant-choice.js";
import { itemCount } from "../item-count.js";
import { attributeLabel } from "../attribute-label.js";
import { useChangeKeys } from "../change-key.js";

/**
 * One product: details, attributes, a choice of each option (size, colour...) for a product
 * that has options, the chosen variant's price and stock, and adding that variant to the cart.
 * Opening it records a view (trending products); a view that cannot be recorded costs the
 * shopper nothing, so its failure is ignored.
 */
export function ProductPage({ id }: { id: string }) {
  const [product] = useQuery(ProductPageDocument, { id });
  const categoryName = useCategoryName();
  useEffect(() => {
    client.request(RecordProductViewDocument, { productId: id }).catch(() => undefined);
  }, [id]);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | undefined>();
  const [choice, setChoice] = useState<Record<string, string> | undefined>();
  const add = useMutation(AddToCartDocument);
  const changeKeys = useChangeKeys();
  return (
    <Await loaded={product}>
      {({ product }) => {
        if (!product) return <p>This product does not exist.</p>;
        const chosen = choice ?? initialChoice(product.variants);
        const variant = chosenVariant(product.variants, chosen);
        const stock = variant?.stock ?? 0;
        return (
          <article class="product" aria-labelledby="product-title">
            <ProductImage name={product.name} images={product.images} />
            <div>
              <h1 id="product-title">{product.name}</h1>
              <p class="muted">
                {product.brand} · <a href={href.category(product.category)}>{categoryName(product.category)}</a>
              </p>
              <p class="price">
                <Money money={variant?.price ?? product.price} />
              </p>
              {product.options.map((option) => (
                <p key={option.name} class="option">
                  <label for={`option-${option.name}`}>{option.name}</label>
                  <select
                    id={`option-${option.name}`}
                    value={chosen[option.name]}
                    onChange={(event) => {
                      setChoice({ ...chosen, [option.name]: (event.target as HTMLSelectElement).value });
                      setAdded(undefined);
                    }}
                  >
                    {option.values.map((value) => (
                      <option key={value} value={value}>
                        {value}
                      </option>
                    ))}
                  </select>
                </p>
              ))}
              <p role="status">{!variant ? "This combination is not available" : variant.inStock ? `In stock (${stock} left)` : "Out of stock"}</p>
              <p>{product.description}</p>
              {product.attributes.length > 0 && (
                <dl class="attributes">
                  {product.attributes.map((attribute) => (
                    <div key={attribute.name}>
                      <dt>{attributeLabel(attribute.name)}</dt>
                      <dd>{attribute.value}</dd>
                    </div>
                  ))}
                </dl>
              )}
              <form
                class="add-to-cart"
                onSubmit={async (event) => {
                  event.preventDefault();
                  if (!variant) return;
                  // The confirmation of an earlier add must not stand beside this one's failure.
                  setAdded(undefined);
                  // A guest shops with a guest cart; signing in at checkout merges it.
                  // Without a token the add below fails and shows why.
                  if (!client.session) await client.guestCartToken().catch(() => undefined);
                  // "Add to cart" clicked again after no answer is the same add: its key makes it once.
                  const request = { variantId: variant.id, quantity };
                  const result = await add.run({ ...request, idempotencyKey: changeKeys.keyFor(request) });
                  if (result) {
                    changeKeys.made(request);
                    setAdded(result.addToCart.totalQuantity);
                  }
                }}
              >
                <label for="quantity">Quantity</label>
                <input id="quantity" type="number" min={1} max={Math.max(1, Math.min(stock, 99))} value={quantity} onInput={(event) => setQuantity(Number((event.target as HTMLInputElement).value) || 1)} />
                <button type="submit" disabled={!variant?.inStock || add.busy} aria-busy={add.busy}>
                  {add.busy ? "Adding…" : "Add to cart"}
                </button>
              </form>
              <ErrorNotice error={add.error} />
              {added !== undefined && (
                <p role="status">
                  Added. Your cart has {itemCount(added)}. <a href={href.cart()}>View cart</a>
                </p>
              )}
            </div>
          </article>
        );
      }}
    </Await>
  );
}
