// The cart package's public surface, for the platform and the orders subgraph: add exports
// here with intention.
export { startCartSubgraph, type CartSubgraphOptions, type RunningCart } from "./cart-subgraph.js";
export { createCheckoutCart, type CheckoutCart } from "./checkout-cart.js";
export { createSubgraphProductCatalog } from "./adapters/subgraph-product-catalog.js";
export { createInProcessProductCatalog } from "./adapters/in-process-product-catalog.js";
export type { ProductCatalog } from "./ports/product-catalog.js";
export { createSubgraphAddressBook } from "./adapters/subgraph-address-book.js";
export { couponInvalid, normaliseCouponCode } from "./pricing/coupon.js";
export { DEMO_SHIPPING_METHODS, seedDemoShippingMethods } from "./pricing/demo-shipping-methods.js";
export { normaliseRegion } from "./pricing/tax-rate.js";
export type { AddressBook } from "./ports/address-book.js";
export type { CartQuote } from "./pricing/cart-pricing.service.js";
export type { Destination, PostalAddress } from "./pricing/pricing-types.js";
export type { PricedCart, PricedLine, StoredCart } from "./domain/cart.js";
