// One checkout is one trace: from the client's request through the gateway, the subgraphs,
// PostgreSQL, the outbox and the event bus to the payment and back to the order's PAID
// update. On the real engines the spans go to Jaeger (scripts/services.sh) and are read back
// through its query API; on the embedded ones, to an OTLP receiver in this test.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { waitFor, describeWithRealEngine, engineSuiteTitle, realEngineUrl } from "#kernel/testing";
import { EMBEDDED_ENGINES, startCheckoutSupergraph, type CheckoutSupergraph, type EngineSet } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";
import { customer, dataOf, restock, TEST_DESTINATION, waitForStatus } from "../../subgraphs/orders/test/support/storefront-operations.js";
import { Topics, type EventBus } from "#kernel";
import { collectSubscription, postGraphQL, wsClient } from "../support/graphql-client.js";
import type { CollectedSpan, SpanSource } from "../support/collected-spans.js";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import { jaegerSpans } from "../support/jaeger-spans.js";

const CHECKOUT = `mutation TracedCheckout($key: String!) { checkout(idempotencyKey: $key, ${TEST_DESTINATION}) { id status } }`;
const CART = `query TracedCart { cart { id totalQuantity } }`;
const PRODUCT = "prod_0000005";
const ORDER_STATUS = `subscription TracedOrderStatus($id: ID!) { orderStatusChanged(orderId: $id) { id status } }`;
const CART_OVER_SOCKET = `query TracedCartOverSocket { cart { id totalQuantity } }`;

/**
 * Holds every charge (PaymentRequested's delivery to the payments subgraph) while `held` is
 * set, so a test can subscribe to an order that is still PENDING and see it change.
 */
function holdingCharges(gate: { held?: Promise<void> }) {
  return (bus: EventBus): EventBus => ({
    engine: bus.engine,
    publish: (topic, events) => bus.publish(topic, events),
    close: () => bus.close(),
    subscribe: (options) =>
      options.topic.endsWith(Topics.payments)
        ? bus.subscribe({
            ...options,
            handle: async (event) => {
              if (event.type === "PaymentRequested") await gate.held;
              await options.handle(event);
            },
          })
        : bus.subscribe(options),
  });
}

// Tracing is one per process, so this file runs one engine set: the real one with Jaeger
// when both are there, else the embedded one with the in-test receiver.
const REAL = ["DATABASE_URL", "REDIS_URL", "KAFKA_BROKERS", "JAEGER_URL", "JAEGER_OTLP_URL"] as const;
const missing = REAL.find((variable) => realEngineUrl(variable) === undefined);
const suite = "checkout trace";
if (missing) {
  describeWithRealEngine({ suite, engine: "postgresql+redis+kafka+jaeger", variable: missing }, () => {});
  describe(engineSuiteTitle(suite, "embedded+otlp-receiver"), () => defineSuite(EMBEDDED_ENGINES, startOtlpReceiver));
} else {
  const engines: EngineSet = { name: "real", database: "real", env: { REDIS_URL: realEngineUrl("REDIS_URL")!, KAFKA_BROKERS: realEngineUrl("KAFKA_BROKERS")! } };
  describe(engineSuiteTitle(suite, "postgresql+redis+kafka+jaeger"), () =>
    defineSuite(engines, async () => jaegerSpans(realEngineUrl("JAEGER_URL")!, realEngineUrl("JAEGER_OTLP_URL")!)),
  );
}

function defineSuite(engines: EngineSet, collector: () => Promise<SpanSource>): void {
  // A service name of this run's own: Jaeger keeps every earlier run's spans.
  const service = `storefront-trace-${randomUUID().slice(0, 8)}`;
  let sg: CheckoutSupergraph;
  let spans: SpanSource;
  const charges: { held?: Promise<void> } = {};

  before(async () => {
    spans = await collector();
    sg = await startCheckoutSupergraph({ engines, env: { OTEL_EXPORTER_OTLP_ENDPOINT: spans.otlpEndpoint, OTEL_SERVICE_NAME: service }, decorateBus: holdingCharges(charges) });
    await restock(sg, [PRODUCT]);
  });
  after(async () => {
    await sg?.close();
    await spans?.close();
  });

  it("a checkout's spans arrive as the client's trace: gateway, subgraphs, PostgreSQL, the event bus's publish and process, the payment and the order's PAID update", async () => {
    const c = await customer(sg);
    await c.add(PRODUCT, 1);
    const traceId = randomBytes(16).toString("hex");
    const clientSpanId = randomBytes(8).toString("hex");
    const answer = await postGraphQL(sg.gatewayUrl, CHECKOUT, { key: randomUUID() }, { token: c.token, headers: { traceparent: `00-${traceId}-${clientSpanId}-01` } });
    const order = dataOf(answer).checkout;
    await waitForStatus(sg, c.token, order.id, "PAID");

    const eventEngine = engines.env.KAFKA_BROKERS ? "kafka" : "embedded";
    const isEvent = (span: CollectedSpan, kind: CollectedSpan["kind"], type: string, group?: string) =>
      span.kind === kind &&
      span.attributes["storefront.event.type"] === type &&
      span.attributes["messaging.system"] === eventEngine &&
      (group === undefined || String(span.attributes["messaging.consumer.group.name"]).split(".").at(-1) === group);
    let trace: CollectedSpan[] = [];
    const has = (test: (span: CollectedSpan) => boolean) => trace.some(test);
    await waitFor(
      "the checkout's trace holds the order's PAID update",
      async () => {
        trace = await spans.trace(traceId);
        return has((span) => isEvent(span, "consumer", "PaymentConfirmed", "orders")) && has((span) => span.name === "gateway mutation TracedCheckout");
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the trace so far: ${describeTrace(trace)}`);
    });
    // Every span is in the client's trace, under the gateway's server span, itself the child
    // of the span the client named in its traceparent.
    const gateway = trace.find((span) => span.name === "gateway mutation TracedCheckout")!;
    assert.equal(gateway.kind, "server");
    assert.equal(gateway.service, service);
    assert.equal(gateway.parentSpanId, clientSpanId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const underGateway = (span: CollectedSpan) => {
      for (let at: CollectedSpan | undefined = span; at; at = byId.get(at.parentSpanId)) if (at === gateway) return true;
      return false;
    };
    const below = (ancestor: CollectedSpan) => (span: CollectedSpan) => {
      for (let at = byId.get(span.parentSpanId); at; at = byId.get(at.parentSpanId)) if (at === ancestor) return true;
      return false;
    };
    const linked = (description: string, test: (span: CollectedSpan) => boolean): CollectedSpan => {
      const found = trace.filter(test);
      assert.ok(found.length > 0, `${description}: none in the trace (${describeTrace(trace)})`);
      const span = found.find(underGateway);
      assert.ok(span, `${description}: not under the gateway's span (${describeTrace(trace)})`);
      return span;
    };

    linked("the gateway's call to the orders subgraph", (span) => span.kind === "client" && below(gateway)(span));
    const ordersServer = linked("the orders subgraph's checkout", (span) => span.kind === "server" && span.attributes["storefront.service"] === "orders");
    // In one process orders calls the inventory service directly: its span is internal, not a server's.
    const reservation = linked("the inventory's reservation, called by orders", (span) => span.kind === "internal" && span.name === "inventory reserveStock" && below(ordersServer)(span));
    linked("a PostgreSQL statement of the reservation", (span) => isPostgres(span) && below(reservation)(span));
    linked("a PostgreSQL statement of the checkout", (span) => isPostgres(span) && below(ordersServer)(span));
    const published = linked("the PaymentRequested publish", (span) => isEvent(span, "producer", "PaymentRequested"));
    const charged = linked("the payments subgraph processing PaymentRequested", (span) => isEvent(span, "consumer", "PaymentRequested", "payments") && below(published)(span));
    linked("the call to the payment provider", (span) => span.kind === "client" && below(charged)(span));
    linked("the payment's PostgreSQL statements", (span) => isPostgres(span) && below(charged)(span));
    const confirmed = linked("the PaymentConfirmed publish", (span) => isEvent(span, "producer", "PaymentConfirmed") && below(charged)(span));
    const paid = linked("the orders subgraph processing PaymentConfirmed", (span) => isEvent(span, "consumer", "PaymentConfirmed", "orders") && below(confirmed)(span));
    linked("the order's PAID update in PostgreSQL", (span) => isPostgres(span) && below(paid)(span));
    assert.ok(trace.every((span) => span.traceId === traceId));
  });

  it("WebSocket operations are traced as HTTP ones are: a query's span with its subgraph calls; a subscription's start and each update, the update linked to the checkout's trace; no token or variable in any", async () => {
    const c = await customer(sg);
    await c.add(PRODUCT, 1);
    const checkoutTrace = randomBytes(16).toString("hex");
    let release!: () => void;
    charges.held = new Promise<void>((resolve) => (release = resolve));
    const client = wsClient(sg.gatewayUrl, c.token);
    let orderId: string;
    try {
      const [cart] = await collectSubscription(client, CART_OVER_SOCKET, {}, (results) => results.length > 0);
      assert.equal(cart?.errors, undefined, JSON.stringify(cart));
      const answer = await postGraphQL(sg.gatewayUrl, CHECKOUT, { key: randomUUID() }, { token: c.token, headers: { traceparent: `00-${checkoutTrace}-${randomBytes(8).toString("hex")}-01` } });
      orderId = dataOf(answer).checkout.id;
      // The first answer (PENDING) is the subscription's start; the charge goes ahead only then,
      // so PAID arrives as an update pushed by the order's status event.
      const seen = await collectSubscription<{ orderStatusChanged: { status: string } }>(
        client,
        ORDER_STATUS,
        { id: orderId },
        (results) => {
          if (results.length > 0) release();
          return results.some((result) => result.data?.orderStatusChanged.status === "PAID");
        },
        30_000,
      );
      assert.equal(seen[0]?.data?.orderStatusChanged.status, "PENDING", JSON.stringify(seen));
    } finally {
      release();
      charges.held = undefined;
      await client.dispose();
    }

    const find = async (name: string, count = 1) => {
      let found: CollectedSpan[] = [];
      await waitFor(`${count} span(s) ${name}`, async () => (found = await spans.named(service, name)).length >= count, { timeoutMs: 20_000, intervalMs: 250 });
      return found;
    };
    const [query] = await find("gateway query TracedCartOverSocket");
    assert.equal(query!.kind, "server");
    assert.equal(query!.attributes["network.protocol.name"], "websocket");
    assert.equal(query!.attributes["graphql.operation.type"], "query");
    let queryTrace: CollectedSpan[] = [];
    await waitFor("the socket query's subgraph call", async () => (queryTrace = await spans.trace(query!.traceId)).some((span) => span.kind === "client" && span.parentSpanId !== ""), { timeoutMs: 20_000, intervalMs: 250 });

    const [start] = await find("gateway subscription TracedOrderStatus");
    assert.equal(start!.kind, "server");
    assert.equal(start!.attributes["graphql.operation.name"], "TracedOrderStatus");
    assert.equal(start!.attributes["graphql.operation.type"], "subscription");
    assert.equal(start!.attributes["network.protocol.name"], "websocket");
    assert.equal(start!.parentSpanId, "", "a subscription starts a trace of its own");
    const updates = await find("gateway subscription TracedOrderStatus update");
    const update = updates.find((span) => span.traceId === start!.traceId);
    assert.ok(update, "the update is in the subscription's trace");
    assert.equal(update.parentSpanId, start!.spanId);
    assert.ok(
      update.links.some((link) => link.traceId === checkoutTrace),
      `the update links to the status event of the checkout's trace: ${JSON.stringify(update.links)}`,
    );
    let subscriptionTrace: CollectedSpan[] = [];
    await waitFor("the update's re-read through the orders subgraph", async () => (subscriptionTrace = await spans.trace(start!.traceId)).some((span) => span.parentSpanId === update.spanId), { timeoutMs: 20_000, intervalMs: 250 });
    // What a socket carries that must not leak into a trace: the token and the variables.
    for (const span of [...queryTrace, ...subscriptionTrace]) {
      const text = JSON.stringify(span.attributes);
      assert.ok(!text.includes(c.token), `${span.name} holds the token`);
      if (span.attributes["network.protocol.name"] === "websocket") assert.ok(!text.includes(orderId!), `${span.name} holds a variable`);
    }
  });

  it("a hostile traceparent (malformed, oversized, all-zero ids) is ignored: the request is answered and starts a trace of its own", async () => {
    const c = await customer(sg);
    const hostile = [`00-${"0".repeat(32)}-${"0".repeat(16)}-01`, "00-zz-yy-01", `00-${"a".repeat(32)}-${"b".repeat(16)}-01${"x".repeat(10_000)}`, "ff-" + "1".repeat(100)];
    for (const traceparent of hostile) {
      const answer = await postGraphQL(sg.gatewayUrl, CART, {}, { token: c.token, headers: { traceparent } });
      assert.equal(answer.status, 200);
      dataOf(answer);
    }
    let roots: CollectedSpan[] = [];
    await waitFor(
      "the hostile requests' server spans arrive",
      async () => (roots = await spans.named(service, "gateway query TracedCart")).length >= hostile.length,
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    for (const root of roots) {
      assert.match(root.traceId, /^[0-9a-f]{32}$/);
      assert.notEqual(root.traceId, "0".repeat(32));
      assert.notEqual(root.traceId, "a".repeat(32), "an oversized header is not half-believed");
      assert.equal(root.parentSpanId, "", "a trace of its own: no parent");
    }
    assert.equal(new Set(roots.map((root) => root.traceId)).size, roots.length, "one trace per request");
  });
}

const isPostgres = (span: CollectedSpan) => span.attributes["db.system"] === "postgresql" || span.attributes["db.system.name"] === "postgresql";

function describeTrace(trace: CollectedSpan[]): string {
  return trace.map((span) => `${span.kind} ${span.name} [${span.attributes["storefront.service"] ?? span.attributes["messaging.consumer.group.name"] ?? ""}]`).join(", ");
}
