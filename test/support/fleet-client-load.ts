import { randomUUID } from "node:crypto";
import { issueAccessToken } from "#kernel";

/**
 * Steady shopping traffic through several gateways, as a well-behaved client sends it: each
 * request goes to the next gateway, and one that fails in the transport or answers 5xx /
 * SERVICE_UNAVAILABLE is sent again to the next gateway after a short pause, until its deadline.
 * Checkouts are retried under the same idempotency key, so a retry can only find the order its
 * first try created; an add to cart whose answer was lost is checked against the cart before
 * it is sent again (adding is not idempotent). What it counts is what the failover test and
 * benchmark report.
 */
export interface FleetLoadOptions {
  gatewayUrls: string[];
  auth: { secret: string; issuer: string };
  productIds: string[];
  browsers: number;
  shoppers: number;
  /** How long one request may keep retrying before it counts as failed. */
  requestDeadlineMs?: number;
  /** Pause between two shoppers' purchases, per shopper: keeps the checkout rate steady. */
  shopperPauseMs?: number;
  /** The payment method of a shopper's i-th checkout (a test card, `pm_card_declined` say); the store's default when undefined. */
  paymentMethodOf?: (shopper: number, i: number) => string | undefined;
}

export interface FleetLoadReport {
  reads: number;
  /** Reads that failed even after the client's retries: the target is 0. */
  failedReads: number;
  /** Reads that needed more than one try (each retried request counted once). */
  retriedReads: number;
  checkoutsStarted: number;
  /** Checkouts answered with an order (maybe after retries). */
  accepted: { userId: string; orderId: string; key: string; token: string; paymentMethod?: string }[];
  /** Checkouts that never got an order within the deadline: the target is 0. */
  failedCheckouts: { userId: string; key: string; token: string; paymentMethod?: string; reason: string }[];
  retriedCheckouts: number;
  /** Wall-clock times (ms since epoch) of every failed first try, to see how long disruption lasted. */
  firstTryFailures: number[];
  errorsByKind: Record<string, number>;
}

const PRODUCT = `query Product($id: ID!) { product(id: $id) { id name stock price { amount currency } } }`;
const LISTING = `query Listing { products(first: 5) { edges { node { id name stock } } } }`;
const ADD = `mutation Add($productId: ID!) { addToCart(productId: $productId, quantity: 1) { totalQuantity } }`;
const CART = `query Cart { cart { totalQuantity } }`;
/** A shopper's checkout; sent again under its key (a retry after a crash), it must find the same order. */
export const CHECKOUT = `mutation Checkout($key: String!) { checkout(idempotencyKey: $key, shippingAddress: { recipientName: "Fleet Shopper", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }, shippingMethodId: "shp_standard") { id status } }`;
export const CHECKOUT_PAYING_WITH = `mutation Checkout($key: String!, $paymentMethod: String!) { checkout(idempotencyKey: $key, shippingAddress: { recipientName: "Fleet Shopper", line1: "1 Main Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }, shippingMethodId: "shp_standard", paymentMethod: $paymentMethod) { id status } }`;

type Answer = { ok: true; data: any } | { ok: false; retry: boolean; kind: string };

export function startFleetLoad(options: FleetLoadOptions) {
  const report: FleetLoadReport = { reads: 0, failedReads: 0, retriedReads: 0, checkoutsStarted: 0, accepted: [], failedCheckouts: [], retriedCheckouts: 0, firstTryFailures: [], errorsByKind: {} };
  const deadlineMs = options.requestDeadlineMs ?? 15_000;
  let running = true;
  let nextGateway = 0;

  async function once(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { ok: false, retry: true, kind: `transport ${cause}` };
    }
    const body = (await response.json().catch(() => ({}))) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const code = body.errors?.[0]?.extensions?.code;
    if (!body.errors && response.ok) return { ok: true, data: body.data };
    const retry = response.status >= 500 || code === "SERVICE_UNAVAILABLE" || code === "INTERNAL_SERVER_ERROR";
    return { ok: false, retry, kind: `${response.status} ${code ?? "no code"}` };
  }

  /** One logical request: retried on the next gateway until it succeeds, is refused for good, or its deadline passes. */
  async function send(query: string, variables: Record<string, unknown>, token?: string): Promise<{ answer: Answer; tries: number }> {
    const deadline = Date.now() + deadlineMs;
    for (let tries = 1; ; tries++) {
      const url = options.gatewayUrls[nextGateway++ % options.gatewayUrls.length]!;
      const answer = await once(url, query, variables, token);
      if (!answer.ok) {
        report.errorsByKind[answer.kind] = (report.errorsByKind[answer.kind] ?? 0) + 1;
        if (tries === 1) report.firstTryFailures.push(Date.now());
      }
      if (answer.ok || !answer.retry || Date.now() > deadline) return { answer, tries };
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, 25 * tries)));
    }
  }

  async function browse(): Promise<void> {
    for (let i = 0; running; i++) {
      const { answer, tries } = i % 3 === 2 ? await send(LISTING, {}) : await send(PRODUCT, { id: options.productIds[i % options.productIds.length] });
      report.reads++;
      if (tries > 1) report.retriedReads++;
      if (!answer.ok) report.failedReads++;
    }
  }

  async function shop(shopper: number): Promise<void> {
    for (let i = 0; running; i++) {
      const userId = `fleet-shopper-${shopper}-${randomUUID().slice(0, 8)}`;
      const token = await issueAccessToken(options.auth, { userId, roles: ["customer"] });
      const key = randomUUID();
      report.checkoutsStarted++;
      const productId = options.productIds[(shopper + i) % options.productIds.length]!;
      const added = await addOnce(productId, token);
      if (!added.ok) {
        report.failedCheckouts.push({ userId, key, token, reason: `add to cart: ${added.kind}` });
        continue;
      }
      const paymentMethod = options.paymentMethodOf?.(shopper, i);
      const { answer, tries } = paymentMethod ? await send(CHECKOUT_PAYING_WITH, { key, paymentMethod }, token) : await send(CHECKOUT, { key }, token);
      if (tries > 1) report.retriedCheckouts++;
      if (answer.ok) report.accepted.push({ userId, orderId: answer.data.checkout.id, key, token, paymentMethod });
      else report.failedCheckouts.push({ userId, key, token, paymentMethod, reason: answer.kind });
      await new Promise((resolve) => setTimeout(resolve, options.shopperPauseMs ?? 100));
    }
  }

  /** Adds one unit; after a lost answer, the cart says whether the first try went through. */
  async function addOnce(productId: string, token: string): Promise<Answer> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const { answer } = await sendOnce(ADD, { productId }, token);
      if (answer.ok || !answer.retry || Date.now() > deadline) return answer;
      const cart = await send(CART, {}, token);
      if (cart.answer.ok && cart.answer.data.cart?.totalQuantity >= 1) return cart.answer;
    }
  }

  /** A mutation that is not idempotent: one try, the caller decides what a failure means. */
  async function sendOnce(query: string, variables: Record<string, unknown>, token: string): Promise<{ answer: Answer }> {
    const url = options.gatewayUrls[nextGateway++ % options.gatewayUrls.length]!;
    const answer = await once(url, query, variables, token);
    if (!answer.ok) {
      report.errorsByKind[answer.kind] = (report.errorsByKind[answer.kind] ?? 0) + 1;
      report.firstTryFailures.push(Date.now());
    }
    return { answer };
  }

  const workers = [...Array.from({ length: options.browsers }, () => browse()), ...Array.from({ length: options.shoppers }, (_, i) => shop(i))];
  return {
    report,
    /** Stops starting new requests and resolves once every one under way has finished. */
    async stop(): Promise<FleetLoadReport> {
      running = false;
      await Promise.all(workers);
      return report;
    },
  };
}
