/**
 * Operations written to reach what the persisted ones do not: aliases (of fields and of
 * `__typename`), the same field twice with different arguments, named and inline fragments
 * (nested, without a type condition, under a directive), `@skip` and `@include` on literals and
 * on variables with and without defaults, defaults on other variables, entity fetches under
 * lists, several root fields from several subgraphs, fragments at the root (with an aliased
 * `__typename`), aliases that name what an object's prototype holds (`__proto__`, `constructor`).
 */
export const CRAFTED_OPERATIONS = [
  `query Aliases($id: ID!) { first: product(id: $id) { key: id title: name t: __typename cost: price { cents: amount currency } } second: product(id: "other") { id name __typename } }`,
  `query Fragments($id: ID!) { product(id: $id) { ...Card variants { ...VariantCard } } } fragment Card on Product { id name ...Stocked } fragment Stocked on Product { stock inStock } fragment VariantCard on ProductVariant { id title stock product { id ...Stocked } }`,
  `query Inline($id: ID!, $withStock: Boolean = true) { product(id: $id) { id ... on Product { name } ... @include(if: $withStock) { stock inStock } ... @skip(if: $withStock) { brand } } }`,
  `query Conditions($id: ID!, $stock: Boolean!, $brand: Boolean = false) { product(id: $id) { id stock @include(if: $stock) inStock @skip(if: $stock) brand @include(if: $brand) name @skip(if: false) sku @include(if: false) } }`,
  `query RootConditions($id: ID!, $stock: Boolean = false) { product(id: $id) @include(if: $stock) { id stock } other: product(id: $id) @skip(if: $stock) { id name } }`,
  `query Defaults($first: Int = 3, $after: String = "c1", $archived: Boolean = true) { orders(first: $first, after: $after, includeArchived: $archived) { totalCount edges { cursor node { id status items { name quantity product { id name stock } } } } } }`,
  `query Listing($first: Int = 2) { products(first: $first) { totalCount edges { cursor node { id name stock inStock variants { id stock } } } pageInfo { hasNextPage endCursor } } categories { __typename } }`,
  `query Cart { cart { id items { quantity product { id name stock } variant { id stock inStock title } } subtotal { amount currency } } me { id email addresses { id city } } }`,
  `query Search($query: String = "lamp") { search(query: $query, first: 3) { totalCount edges { node { id name stock } } } autocomplete(prefix: "la") { kind text product { id name inStock } } }`,
  `query Twice($id: ID!) { product(id: $id) { id a: stock b: stock n: name variants { id s: stock } } again: product(id: $id) { id stock } }`,
  `query Typename { __typename product(id: "p") { __typename tn: __typename } }`,
  `query Trending($window: TrendingWindow!) { trendingProducts(window: $window, first: 4) { id name stock variants { id inStock } } }`,
  `query RootFragments($id: ID!) { ...Root ... on Query { t: __typename again: product(id: $id) { id stock } } } fragment Root on Query { product(id: $id) { id name ...Stocked } } fragment Stocked on Product { stock inStock }`,
  // Aliases that name what a plain object's prototype holds: keys of the answer like any other.
  `query PrototypeNames($id: ID!) { __proto__: product(id: $id) { constructor: id toString: name __proto__: price { hasOwnProperty: amount } valueOf: stock } }`,
  `query OrderPage($id: ID!) { order(id: $id) { id status total { amount } payment { id status amount { amount } } lines { product { id name stock } variant { id inStock } } } }`,
];
