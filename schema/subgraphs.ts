/**
 * The composition config: each subgraph's SDL file and the routing URL written into the
 * supergraph. The gateway overrides URLs from its configuration (PRODUCTS_URL, ...), so
 * these defaults only describe the local layout.
 */
export const SUBGRAPHS = [
  { name: "products", sdl: "subgraphs/products/schema.graphql", url: "http://127.0.0.1:4001/graphql" },
  { name: "search", sdl: "subgraphs/search/schema.graphql", url: "http://127.0.0.1:4002/graphql" },
  { name: "inventory", sdl: "subgraphs/inventory/schema.graphql", url: "http://127.0.0.1:4003/graphql" },
  { name: "cart", sdl: "subgraphs/cart/schema.graphql", url: "http://127.0.0.1:4004/graphql" },
  { name: "orders", sdl: "subgraphs/orders/schema.graphql", url: "http://127.0.0.1:4005/graphql" },
  { name: "payments", sdl: "subgraphs/payments/schema.graphql", url: "http://127.0.0.1:4006/graphql" },
  { name: "accounts", sdl: "subgraphs/accounts/schema.graphql", url: "http://127.0.0.1:4007/graphql" },
] as const;

export const SUPERGRAPH_PATH = "schema/supergraph.graphql";
