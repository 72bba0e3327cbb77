// The cart package's public surface, for the platform and the orders subgraph: add exports
// here with intention.
export { startCartSubgraph, type CartSubgraphOptions, type RunningCart } from "./cart-subgraph.js";
export { createCheckoutCart, type CheckoutCart } from "./checkout-cart.js";
export { createSubgraphProductCatalog } from "./adapters/subgraph-product-catalog.js";
export type { PricedCart, PricedLine } from "./domain/cart.js";
