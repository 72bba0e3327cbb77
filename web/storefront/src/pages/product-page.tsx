import { useState } from "preact/hooks";
import { AddToCartDocument, ProductPageDocument } from "../../../../clients/typescript/src/index.js";
import { client } from "../storefront-client.js";
import { Await, ErrorNotice, Money, ProductImage } from "../components.js";
import { href, navigate } from "../route.js";
import { useMutation, useQuery } from "../use-operation.js";

/** One product: details, attributes, stock, and adding it to the cart (variants join when the catalog has them). */
export function ProductPage({ id }: { id: string }) {
  const [product] = useQuery(ProductPageDocument, { id });
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | undefined>();
  const add = useMutation(AddToCartDocument);
  return (
    <Await loaded={product}>
      {({ product }) =>
        !product ? (
          <p>This product does not exist.</p>
        ) : (
          <article class="product" aria-labelledby="product-title">
            <ProductImage name={product.name} images={product.images} />
            <div>
              <h1 id="product-title">{product.name}</h1>
              <p class="muted">
                {product.brand} · <a href={href.category(product.category)}>{product.category}</a>
              </p>
              <p class="price">
                <Money money={product.price} />
              </p>
              <p>{product.inStock ? `In stock (${product.stock} left)` : "Out of stock"}</p>
              <p>{product.description}</p>
              {product.attributes.length > 0 && (
                <dl class="attributes">
                  {product.attributes.map((attribute) => (
                    <div key={attribute.name}>
                      <dt>{attribute.name}</dt>
                      <dd>{attribute.value}</dd>
                    </div>
                  ))}
                </dl>
              )}
              <form
                class="add-to-cart"
                onSubmit={async (event) => {
                  event.preventDefault();
                  if (!client.session) return navigate(href.account(href.product(id)));
                  const result = await add.run({ productId: id, quantity });
                  if (result) setAdded(result.addToCart.totalQuantity);
                }}
              >
                <label for="quantity">Quantity</label>
                <input id="quantity" type="number" min={1} max={Math.max(1, Math.min(product.stock, 99))} value={quantity} onInput={(event) => setQuantity(Number((event.target as HTMLInputElement).value) || 1)} />
                <button type="submit" disabled={!product.inStock || add.busy}>
                  Add to cart
                </button>
              </form>
              <ErrorNotice error={add.error} />
              {added !== undefined && (
                <p role="status">
                  Added. Your cart has {added} {added === 1 ? "item" : "items"}. <a href={href.cart()}>View cart</a>
                </p>
              )}
            </div>
          </article>
        )
      }
    </Await>
  );
}
