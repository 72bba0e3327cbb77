import { GraphQLError } from "graphql";
import { ErrorCode } from "./error-codes.js";
import { isDefaultVariantId, productIdOfVariant } from "../catalog/variant-id.js";

/**
 * An expected failure with a stable code. Its message is written for the client and is
 * shown as is; anything else thrown is masked by the formatter.
 *
 * It carries no stack: it is an answer, not a bug, and every GraphQL layer it passes reads
 * `stack`, which under source maps costs a refusal more than its database round trips (a flash
 * sale's losers, a flood of RATE_LIMITED answers). Not even the one line of a stack without
 * frames (see `unstacked`).
 */
export class DomainError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    // withoutStack's steps, inline: a super call cannot move into a closure.
    const frames = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, { extensions: { code, ...details } });
    } finally {
      Error.stackTraceLimit = frames;
    }
    unstacked(this);
    this.code = code;
    this.name = "DomainError";
  }
}

/**
 * Builds an error that is an answer, not a bug (a coded refusal, one relayed from another
 * service), without recording where it was built: see DomainError for what a stack costs.
 */
export function withoutStack<T>(build: () => T): T {
  const frames = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const built = build();
    if (built instanceof Error) unstacked(built);
    return built;
  } finally {
    Error.stackTraceLimit = frames;
  }
}

/**
 * Leaves an error built without frames no `stack` at all. graphql-js locates every error a
 * resolver throws in a new GraphQLError, which captures a stack and then, when the thrown error
 * has one, puts that in its place with Object.defineProperty; V8 formats a captured stack when
 * it is redefined (ten frames, through source maps), only for it to be dropped. With no stack to
 * copy it keeps its own capture unformatted: a page of 3,000 such errors (an aliased argument
 * out of range on every product) took 414 ms of CPU against 18 ms for the same page answered,
 * most of it formatting stacks nobody read. Assigned, not redefined: assigning formats nothing.
 */
function unstacked(error: Error): void {
  error.stack = undefined;
}

/**
 * A service this one called answered with an unexpected error (a bug of its, or data it cannot
 * handle), not an outage. The caller's client is told to retry, as for an outage; but an event
 * handler meeting it must not retry for ever: unlike a restarting database, waiting does not
 * mend it, so it counts toward the event's dead-letter budget (see isTransientInfrastructureError).
 */
export class DependencyFailed extends DomainError {
  constructor(message = "A service this operation needs failed; please retry") {
    super(ErrorCode.SERVICE_UNAVAILABLE, message);
    this.name = "DependencyFailed";
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, details);

/** No id the platform makes is longer: a longer one is missing without asking anyone. */
export const LONGEST_ID = 200;

/**
 * An id nothing has: quoted back when it could be one of ours, not when it is longer than any
 * (a 90 KB "id" was answered twice over, in the message and in `extensions.id`), and said to be
 * empty when it is (`category(slug: "")` read "Category  was not found").
 */
export const notFound = (what: string, id: string) =>
  id.trim() === ""
    ? new DomainError(ErrorCode.NOT_FOUND, `${what} was not found: the id given is empty`, { id })
    : id.length <= LONGEST_ID
      ? new DomainError(ErrorCode.NOT_FOUND, `${what} ${id} was not found`, { id })
      : new DomainError(ErrorCode.NOT_FOUND, `${what} was not found: its id is ${id.length} characters, longer than any id`, { idLength: id.length });

/**
 * The one wording of every RATE_LIMITED answer, wherever it comes from (gateway budgets,
 * WebSocket caps, log-in throttling): what there was too much of, and when to retry; the same
 * figure is in `extensions.retryAfterSeconds`.
 */
export const rateLimitedMessage = (what: string, retryAfterSeconds: number) => `Too many ${what}; retry in ${retryAfterSeconds} s`;

export const rateLimited = (what: string, retryAfterSeconds: number, details: Record<string, unknown> = {}) =>
  new DomainError(ErrorCode.RATE_LIMITED, rateLimitedMessage(what, retryAfterSeconds), { retryAfterSeconds, ...details });

/**
 * Not enough units of a product variant: the same words and details whether the cart or
 * checkout finds it out, naming the variant, its product and what is left. A product's
 * default variant (id = product id) is named as the product, as before variants existed.
 */
export const outOfStock = (variantId: string, available: number) => {
  const productId = productIdOfVariant(variantId);
  const what = isDefaultVariantId(variantId) ? `product ${productId}` : `variant ${variantId} of product ${productId}`;
  return new DomainError(
    ErrorCode.OUT_OF_STOCK,
    available > 0 ? `Only ${available} unit(s) of ${what} are available` : `${what[0]!.toUpperCase()}${what.slice(1)} is out of stock`,
    { productId, variantId, available },
  );
};

/** NOT_FOUND for a variant; a default variant (id = product id) is named as its product, as clients knew it before variants. */
export const variantNotFound = (variantId: string) => notFound(isDefaultVariantId(variantId) ? "Product" : "Product variant", variantId);

/** A product with several variants was named where one variant is needed (extensions.productId). */
export const variantRequired = (productId: string, variants: number) =>
  new DomainError(ErrorCode.VARIANT_REQUIRED, `Product ${productId} comes in ${variants} variants: name the variant (variantId)`, { productId });

export const unauthenticated = (message = "Sign in to do this") =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = "You are not allowed to do this") =>
  new DomainError(ErrorCode.FORBIDDEN, message);
