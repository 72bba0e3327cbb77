/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    recipientName\n    line1\n    city\n    postalCode\n    country\n  }\n}": typeof types.AddAddressDocument,
    "mutation AddToCart($variantId: ID, $productId: ID, $quantity: Int!) {\n  addToCart(variantId: $variantId, productId: $productId, quantity: $quantity) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": typeof types.AddToCartDocument,
    "query Autocomplete($prefix: String!) {\n  autocomplete(prefix: $prefix, first: 8) {\n    kind\n    text\n    product {\n      id\n    }\n    category\n    brand\n  }\n}": typeof types.AutocompleteDocument,
    "query Cart {\n  cart {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n    hasPriceChanges\n    items {\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      acceptedUnitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n        sku\n        title\n        options {\n          name\n          value\n        }\n        stock\n      }\n      product {\n        id\n        name\n        images {\n          url\n          alt\n        }\n        stock\n      }\n    }\n  }\n}": typeof types.CartDocument,
    "query CategoryListing($category: String, $first: Int = 20, $after: String) {\n  products(first: $first, after: $after, category: $category) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}": typeof types.CategoryListingDocument,
    "mutation Checkout($idempotencyKey: String!) {\n  checkout(idempotencyKey: $idempotencyKey) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    createdAt\n  }\n}": typeof types.CheckoutDocument,
    "mutation DeliverOrder($id: ID!) {\n  deliverOrder(id: $id) {\n    id\n    status\n  }\n}": typeof types.DeliverOrderDocument,
    "mutation LogIn($email: String!, $password: String!) {\n  logIn(email: $email, password: $password) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}": typeof types.LogInDocument,
    "query Me {\n  me {\n    id\n    email\n    name\n    roles\n    defaultAddress {\n      id\n    }\n    addresses {\n      id\n    }\n  }\n}": typeof types.MeDocument,
    "query MyOrders($after: String) {\n  orders(first: 10, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        total {\n          amount\n          currency\n        }\n        createdAt\n      }\n    }\n  }\n}": typeof types.MyOrdersDocument,
    "query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    statusReason\n    total {\n      amount\n      currency\n    }\n    items {\n      name\n      sku\n      variantTitle\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n      }\n      product {\n        id\n        images {\n          url\n          alt\n        }\n      }\n    }\n    statusHistory {\n      from\n      to\n      at\n    }\n    payment {\n      status\n      attempts\n      failureReason\n    }\n  }\n}": typeof types.OrderDetailsDocument,
    "subscription OrderStatus($orderId: ID!) {\n  orderStatusChanged(orderId: $orderId) {\n    id\n    status\n    statusReason\n    payment {\n      status\n    }\n    items {\n      name\n      variantTitle\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.OrderStatusDocument,
    "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    images {\n      url\n      alt\n    }\n    category\n    brand\n    attributes {\n      name\n      value\n    }\n    stock\n    inStock\n    options {\n      name\n      values\n    }\n    variants {\n      id\n      sku\n      title\n      options {\n        name\n        value\n      }\n      price {\n        amount\n        currency\n      }\n      stock\n      inStock\n    }\n  }\n}": typeof types.ProductPageDocument,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshToken(refreshToken: $refreshToken) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}": typeof types.RefreshSessionDocument,
    "mutation RemoveFromCart($variantId: ID, $productId: ID) {\n  removeFromCart(variantId: $variantId, productId: $productId) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": typeof types.RemoveFromCartDocument,
    "query SearchProducts($query: String!, $filter: SearchFilter, $sort: SearchSort, $after: String) {\n  search(query: $query, filter: $filter, sort: $sort, first: 20, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    facets {\n      categories {\n        value\n        count\n      }\n      brands {\n        value\n        count\n      }\n      priceRanges {\n        min\n        max\n        count\n      }\n      options {\n        name\n        values {\n          value\n          count\n        }\n      }\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}": typeof types.SearchProductsDocument,
    "mutation ShipOrder($id: ID!) {\n  shipOrder(id: $id) {\n    id\n    status\n  }\n}": typeof types.ShipOrderDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n      name\n    }\n  }\n}": typeof types.SignUpDocument,
    "mutation UpdateCartItem($variantId: ID, $productId: ID, $quantity: Int!) {\n  updateCartItem(\n    variantId: $variantId\n    productId: $productId\n    quantity: $quantity\n  ) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": typeof types.UpdateCartItemDocument,
};
const documents: Documents = {
    "mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    recipientName\n    line1\n    city\n    postalCode\n    country\n  }\n}": types.AddAddressDocument,
    "mutation AddToCart($variantId: ID, $productId: ID, $quantity: Int!) {\n  addToCart(variantId: $variantId, productId: $productId, quantity: $quantity) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": types.AddToCartDocument,
    "query Autocomplete($prefix: String!) {\n  autocomplete(prefix: $prefix, first: 8) {\n    kind\n    text\n    product {\n      id\n    }\n    category\n    brand\n  }\n}": types.AutocompleteDocument,
    "query Cart {\n  cart {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n    hasPriceChanges\n    items {\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      acceptedUnitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n        sku\n        title\n        options {\n          name\n          value\n        }\n        stock\n      }\n      product {\n        id\n        name\n        images {\n          url\n          alt\n        }\n        stock\n      }\n    }\n  }\n}": types.CartDocument,
    "query CategoryListing($category: String, $first: Int = 20, $after: String) {\n  products(first: $first, after: $after, category: $category) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}": types.CategoryListingDocument,
    "mutation Checkout($idempotencyKey: String!) {\n  checkout(idempotencyKey: $idempotencyKey) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    createdAt\n  }\n}": types.CheckoutDocument,
    "mutation DeliverOrder($id: ID!) {\n  deliverOrder(id: $id) {\n    id\n    status\n  }\n}": types.DeliverOrderDocument,
    "mutation LogIn($email: String!, $password: String!) {\n  logIn(email: $email, password: $password) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}": types.LogInDocument,
    "query Me {\n  me {\n    id\n    email\n    name\n    roles\n    defaultAddress {\n      id\n    }\n    addresses {\n      id\n    }\n  }\n}": types.MeDocument,
    "query MyOrders($after: String) {\n  orders(first: 10, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        total {\n          amount\n          currency\n        }\n        createdAt\n      }\n    }\n  }\n}": types.MyOrdersDocument,
    "query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    statusReason\n    total {\n      amount\n      currency\n    }\n    items {\n      name\n      sku\n      variantTitle\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n      }\n      product {\n        id\n        images {\n          url\n          alt\n        }\n      }\n    }\n    statusHistory {\n      from\n      to\n      at\n    }\n    payment {\n      status\n      attempts\n      failureReason\n    }\n  }\n}": types.OrderDetailsDocument,
    "subscription OrderStatus($orderId: ID!) {\n  orderStatusChanged(orderId: $orderId) {\n    id\n    status\n    statusReason\n    payment {\n      status\n    }\n    items {\n      name\n      variantTitle\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": types.OrderStatusDocument,
    "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    images {\n      url\n      alt\n    }\n    category\n    brand\n    attributes {\n      name\n      value\n    }\n    stock\n    inStock\n    options {\n      name\n      values\n    }\n    variants {\n      id\n      sku\n      title\n      options {\n        name\n        value\n      }\n      price {\n        amount\n        currency\n      }\n      stock\n      inStock\n    }\n  }\n}": types.ProductPageDocument,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshToken(refreshToken: $refreshToken) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}": types.RefreshSessionDocument,
    "mutation RemoveFromCart($variantId: ID, $productId: ID) {\n  removeFromCart(variantId: $variantId, productId: $productId) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": types.RemoveFromCartDocument,
    "query SearchProducts($query: String!, $filter: SearchFilter, $sort: SearchSort, $after: String) {\n  search(query: $query, filter: $filter, sort: $sort, first: 20, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    facets {\n      categories {\n        value\n        count\n      }\n      brands {\n        value\n        count\n      }\n      priceRanges {\n        min\n        max\n        count\n      }\n      options {\n        name\n        values {\n          value\n          count\n        }\n      }\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}": types.SearchProductsDocument,
    "mutation ShipOrder($id: ID!) {\n  shipOrder(id: $id) {\n    id\n    status\n  }\n}": types.ShipOrderDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n      name\n    }\n  }\n}": types.SignUpDocument,
    "mutation UpdateCartItem($variantId: ID, $productId: ID, $quantity: Int!) {\n  updateCartItem(\n    variantId: $variantId\n    productId: $productId\n    quantity: $quantity\n  ) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": types.UpdateCartItemDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    recipientName\n    line1\n    city\n    postalCode\n    country\n  }\n}"): (typeof documents)["mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    recipientName\n    line1\n    city\n    postalCode\n    country\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddToCart($variantId: ID, $productId: ID, $quantity: Int!) {\n  addToCart(variantId: $variantId, productId: $productId, quantity: $quantity) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["mutation AddToCart($variantId: ID, $productId: ID, $quantity: Int!) {\n  addToCart(variantId: $variantId, productId: $productId, quantity: $quantity) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Autocomplete($prefix: String!) {\n  autocomplete(prefix: $prefix, first: 8) {\n    kind\n    text\n    product {\n      id\n    }\n    category\n    brand\n  }\n}"): (typeof documents)["query Autocomplete($prefix: String!) {\n  autocomplete(prefix: $prefix, first: 8) {\n    kind\n    text\n    product {\n      id\n    }\n    category\n    brand\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Cart {\n  cart {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n    hasPriceChanges\n    items {\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      acceptedUnitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n        sku\n        title\n        options {\n          name\n          value\n        }\n        stock\n      }\n      product {\n        id\n        name\n        images {\n          url\n          alt\n        }\n        stock\n      }\n    }\n  }\n}"): (typeof documents)["query Cart {\n  cart {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n    hasPriceChanges\n    items {\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      acceptedUnitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n        sku\n        title\n        options {\n          name\n          value\n        }\n        stock\n      }\n      product {\n        id\n        name\n        images {\n          url\n          alt\n        }\n        stock\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CategoryListing($category: String, $first: Int = 20, $after: String) {\n  products(first: $first, after: $after, category: $category) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}"): (typeof documents)["query CategoryListing($category: String, $first: Int = 20, $after: String) {\n  products(first: $first, after: $after, category: $category) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Checkout($idempotencyKey: String!) {\n  checkout(idempotencyKey: $idempotencyKey) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    createdAt\n  }\n}"): (typeof documents)["mutation Checkout($idempotencyKey: String!) {\n  checkout(idempotencyKey: $idempotencyKey) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    createdAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeliverOrder($id: ID!) {\n  deliverOrder(id: $id) {\n    id\n    status\n  }\n}"): (typeof documents)["mutation DeliverOrder($id: ID!) {\n  deliverOrder(id: $id) {\n    id\n    status\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LogIn($email: String!, $password: String!) {\n  logIn(email: $email, password: $password) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}"): (typeof documents)["mutation LogIn($email: String!, $password: String!) {\n  logIn(email: $email, password: $password) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    email\n    name\n    roles\n    defaultAddress {\n      id\n    }\n    addresses {\n      id\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    email\n    name\n    roles\n    defaultAddress {\n      id\n    }\n    addresses {\n      id\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyOrders($after: String) {\n  orders(first: 10, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        total {\n          amount\n          currency\n        }\n        createdAt\n      }\n    }\n  }\n}"): (typeof documents)["query MyOrders($after: String) {\n  orders(first: 10, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        total {\n          amount\n          currency\n        }\n        createdAt\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    statusReason\n    total {\n      amount\n      currency\n    }\n    items {\n      name\n      sku\n      variantTitle\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n      }\n      product {\n        id\n        images {\n          url\n          alt\n        }\n      }\n    }\n    statusHistory {\n      from\n      to\n      at\n    }\n    payment {\n      status\n      attempts\n      failureReason\n    }\n  }\n}"): (typeof documents)["query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    statusReason\n    total {\n      amount\n      currency\n    }\n    items {\n      name\n      sku\n      variantTitle\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      variant {\n        id\n      }\n      product {\n        id\n        images {\n          url\n          alt\n        }\n      }\n    }\n    statusHistory {\n      from\n      to\n      at\n    }\n    payment {\n      status\n      attempts\n      failureReason\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription OrderStatus($orderId: ID!) {\n  orderStatusChanged(orderId: $orderId) {\n    id\n    status\n    statusReason\n    payment {\n      status\n    }\n    items {\n      name\n      variantTitle\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["subscription OrderStatus($orderId: ID!) {\n  orderStatusChanged(orderId: $orderId) {\n    id\n    status\n    statusReason\n    payment {\n      status\n    }\n    items {\n      name\n      variantTitle\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    images {\n      url\n      alt\n    }\n    category\n    brand\n    attributes {\n      name\n      value\n    }\n    stock\n    inStock\n    options {\n      name\n      values\n    }\n    variants {\n      id\n      sku\n      title\n      options {\n        name\n        value\n      }\n      price {\n        amount\n        currency\n      }\n      stock\n      inStock\n    }\n  }\n}"): (typeof documents)["query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    images {\n      url\n      alt\n    }\n    category\n    brand\n    attributes {\n      name\n      value\n    }\n    stock\n    inStock\n    options {\n      name\n      values\n    }\n    variants {\n      id\n      sku\n      title\n      options {\n        name\n        value\n      }\n      price {\n        amount\n        currency\n      }\n      stock\n      inStock\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshSession($refreshToken: String!) {\n  refreshToken(refreshToken: $refreshToken) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}"): (typeof documents)["mutation RefreshSession($refreshToken: String!) {\n  refreshToken(refreshToken: $refreshToken) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveFromCart($variantId: ID, $productId: ID) {\n  removeFromCart(variantId: $variantId, productId: $productId) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["mutation RemoveFromCart($variantId: ID, $productId: ID) {\n  removeFromCart(variantId: $variantId, productId: $productId) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchProducts($query: String!, $filter: SearchFilter, $sort: SearchSort, $after: String) {\n  search(query: $query, filter: $filter, sort: $sort, first: 20, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    facets {\n      categories {\n        value\n        count\n      }\n      brands {\n        value\n        count\n      }\n      priceRanges {\n        min\n        max\n        count\n      }\n      options {\n        name\n        values {\n          value\n          count\n        }\n      }\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}"): (typeof documents)["query SearchProducts($query: String!, $filter: SearchFilter, $sort: SearchSort, $after: String) {\n  search(query: $query, filter: $filter, sort: $sort, first: 20, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    facets {\n      categories {\n        value\n        count\n      }\n      brands {\n        value\n        count\n      }\n      priceRanges {\n        min\n        max\n        count\n      }\n      options {\n        name\n        values {\n          value\n          count\n        }\n      }\n    }\n    edges {\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        images {\n          url\n          alt\n        }\n        inStock\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ShipOrder($id: ID!) {\n  shipOrder(id: $id) {\n    id\n    status\n  }\n}"): (typeof documents)["mutation ShipOrder($id: ID!) {\n  shipOrder(id: $id) {\n    id\n    status\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n      name\n    }\n  }\n}"): (typeof documents)["mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      email\n      name\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateCartItem($variantId: ID, $productId: ID, $quantity: Int!) {\n  updateCartItem(\n    variantId: $variantId\n    productId: $productId\n    quantity: $quantity\n  ) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["mutation UpdateCartItem($variantId: ID, $productId: ID, $quantity: Int!) {\n  updateCartItem(\n    variantId: $variantId\n    productId: $productId\n    quantity: $quantity\n  ) {\n    id\n    totalQuantity\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;