// The WebSocket spans in process, with an in-memory exporter: names and attributes, the
// subscription's updates under their own subscription when several interleave, links only
// from well-formed carriers, failures recorded, and nothing of the variables in any span.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createLogger } from "#kernel";
import { startTracing, type Tracing } from "#kernel/observability/tracing.js";
import { traceOperation, traceSubscription } from "../src/subscriptions/websocket-spans.js";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
const finished = async (): Promise<ReadableSpan[]> => {
  await tracing.flush();
  return exporter.getFinishedSpans();
};
const spanNamed = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const carrier = () => ({ traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01` });

describe("WebSocket operation spans", () => {
  before(async () => {
    tracing = await startTracing({ serviceName: "websocket-spans-test", otlpEndpoint: "http://127.0.0.1:9", exportDelayMs: 10 }, createLogger("silent"), exporter);
  });

  it("names a query's server span as HTTP does and keeps the socket's name when the gateway renames the active span", async () => {
    const result = await traceOperation({ type: "query", name: "Cart" }, async () => {
      // What the gateway's operation plugin does to whatever span is active.
      const { trace } = await import("@opentelemetry/api");
      trace.getActiveSpan()?.updateName("gateway query SomethingElse");
      return { data: { cart: null } };
    });
    assert.deepEqual(result, { data: { cart: null } });
    const [span] = spanNamed(await finished(), "gateway query Cart");
    assert.ok(span);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.attributes["network.protocol.name"], "websocket");
    assert.equal(span.attributes["graphql.operation.type"], "query");
    assert.equal(span.parentSpanContext, undefined, "a socket operation starts its own trace");
  });

  it("records a failed operation and its error code, and rethrows what was thrown", async () => {
    await assert.rejects(traceOperation({ type: "mutation", name: "Broken" }, async () => Promise.reject(new Error("boom"))), /boom/);
    await traceOperation({ type: "mutation", name: "Refused" }, async () => ({ errors: [{ message: "no", extensions: { code: "FORBIDDEN" } }] as never }));
    const spans = await finished();
    assert.equal(spanNamed(spans, "gateway mutation Broken")[0]?.status.code, SpanStatusCode.ERROR);
    assert.equal(spanNamed(spans, "gateway mutation Refused")[0]?.attributes["graphql.error.code"], "FORBIDDEN");
  });

  it("keeps each subscription's updates under its own start when several interleave, linked to their events; a malformed carrier links nothing", async () => {
    const a = traceSubscription({ type: "subscription", name: "FollowA" });
    const b = traceSubscription({ type: "subscription", name: "FollowB" });
    await Promise.all([a.first(async () => ({ data: {} })), b.first(async () => ({ data: {} }))]);
    const causeA = carrier();
    const causeB = carrier();
    // Updates of both in flight at once, finishing out of order.
    await Promise.all([
      a.update(causeA, () => new Promise((resolve) => setTimeout(() => resolve({ data: {} }), 30))),
      b.update(causeB, async () => ({ data: {} })),
      a.update({ traceparent: "00-not-a-trace-01" } as never, async () => ({ data: {} })),
      b.update(undefined, async () => ({ data: {} })),
    ]);
    const spans = await finished();
    for (const [name, cause] of [["FollowA", causeA], ["FollowB", causeB]] as const) {
      const [start] = spanNamed(spans, `gateway subscription ${name}`);
      assert.ok(start);
      assert.equal(start.kind, SpanKind.SERVER);
      const updates = spanNamed(spans, `gateway subscription ${name} update`);
      assert.equal(updates.length, 2, name);
      for (const update of updates) {
        assert.equal(update.spanContext().traceId, start.spanContext().traceId, `${name}: an update is in its subscription's trace`);
        assert.equal(update.parentSpanContext?.spanId, start.spanContext().spanId);
      }
      const linked = updates.flatMap((update) => update.links.map((link) => link.context.traceId));
      assert.deepEqual(linked, [cause.traceparent.split("-")[1]], `${name}: one link, to its own event's trace`);
    }
  });

  it("puts nothing of the variables or the token into a span, whatever they hold", async () => {
    const secret = `Bearer ${randomBytes(24).toString("hex")}`;
    const variables = { id: secret, note: secret };
    await traceOperation({ type: "query", name: "WithSecrets" }, async () => ({ data: { echo: variables } }));
    const live = traceSubscription({ type: "subscription", name: "WithSecrets" });
    await live.first(async () => ({ data: { echo: variables } }));
    await live.update(carrier(), async () => ({ data: { echo: variables } }));
    for (const span of (await finished()).filter((s) => s.name.includes("WithSecrets"))) {
      assert.ok(!JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events }).includes(secret), span.name);
    }
  });
});
