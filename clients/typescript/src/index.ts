// The public surface of the storefront client: add exports here with intention.
export * from "./generated/graphql.js";
export { persistedOperations, type PersistedOperationName } from "./generated/persisted-operations.js";
export { createStorefrontClient, type StorefrontClient, type StorefrontClientOptions, type VariablesArgument } from "./storefront-client.js";
export type { Session } from "./session.js";
export { StorefrontError } from "./storefront-error.js";
export { DEFAULT_RETRY_POLICY, IDEMPOTENT_MUTATIONS, KEYED_MUTATIONS, type RetryPolicy } from "./retry-policy.js";
export type { SubscriptionHandlers, SubscriptionOptions } from "./subscriptions.js";
export { formatMoney, isFinalOrderStatus, describeOrderState } from "./order-display.js";
export { formatCount } from "./search-counts.js";
