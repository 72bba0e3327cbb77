import type { ComponentChildren } from "preact";
import { formatMoney, type StorefrontError } from "../../../clients/typescript/src/index.js";
import { href } from "./route.js";
import type { Loaded } from "./use-operation.js";
import { isRetryable } from "./retryable.js";
import { fieldMessage } from "./field-message.js";

export function Money({ money }: { money: { amount: number; currency: string } }) {
  return <span class="money">{formatMoney(money)}</span>;
}

/**
 * The product's main picture, from this origin's /images route (or the CDN the API names); a
 * labelled tile stands in for a product without one.
 */
export function ProductImage({ name, images }: { name: string; images: { url: string; alt: string }[] }) {
  const main = images[0];
  if (main) return <img class="product-image" src={main.url} alt={main.alt || name} loading="lazy" decoding="async" />;
  return (
    <div class="product-image" role="img" aria-label={name}>
      <span aria-hidden="true">{name.slice(0, 1)}</span>
    </div>
  );
}

export interface ProductSummary {
  id: string;
  name: string;
  price: { amount: number; currency: string };
  images: { url: string; alt: string }[];
  inStock: boolean;
}

export function ProductGrid({ products, label, empty = "No products here yet." }: { products: ProductSummary[]; label: string; empty?: string }) {
  if (products.length === 0) return <p>{empty}</p>;
  return (
    <ul class="product-grid" aria-label={label}>
      {products.map((product) => (
        <li key={product.id} class="product-card">
          <a href={href.product(product.id)}>
            <ProductImage name={product.name} images={product.images} />
            <span class="product-name">{product.name}</span>
          </a>
          <Money money={product.price} />
          {!product.inStock && <span class="badge">Out of stock</span>}
        </li>
      ))}
    </ul>
  );
}

/**
 * A failure told to the shopper. The client's own wording is for developers ("No answer from
 * the gateway for SearchProducts"): a shopper is told what happened and what to do.
 */
const SHOPPER_MESSAGES: Partial<Record<string, string>> = {
  NETWORK_ERROR: "We could not reach the store. Check your connection and try again.",
  // The server's words ask for a new idempotency key, which the checkout page makes itself (checkout-key.ts).
  CART_CHANGED: "Your cart changed while the order was being placed (in another tab or window). Nothing was charged: check the total and place the order again.",
};

/** The error told to the shopper; `fields` are the labels of the form it answers, by argument name (field-message.ts). */
export function ErrorNotice({ error, fields = {} }: { error: StorefrontError | undefined; fields?: Readonly<Record<string, string>> }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {SHOPPER_MESSAGES[error.code] ?? fieldMessage(error.message, error.details.extensions, fields)}
    </p>
  );
}

/** Shows a loading line, the error (with a way to try again when trying again can help), or the content once the data is there. */
export function Await<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === "loading") return <p aria-busy="true">Loading…</p>;
  if (loaded.state === "error")
    return (
      <>
        <ErrorNotice error={loaded.error} />
        {loaded.retry && isRetryable(loaded.error) && (
          <button type="button" onClick={loaded.retry}>
            Try again
          </button>
        )}
      </>
    );
  return <>{children(loaded.data)}</>;
}
