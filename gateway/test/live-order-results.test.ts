import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parse, type ExecutionResult } from "graphql";
import { liveOrderResults } from "../src/subscriptions/live-order-results.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import type { OrderStatusFeed, OrderStatusListener } from "../src/subscriptions/order-status-feed.js";

const RETRY = { firstDelayMs: 5, maxDelayMs: 10, reportAfterFailures: 3 };
const streams = new Set<AsyncGenerator<ExecutionResult>>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One order's stream over a scripted gateway: `answer` is what each read returns. */
function following(answer: (read: number) => ExecutionResult) {
  const listeners = new Set<OrderStatusListener>();
  const feed = {
    listen: (_orderId: string, listener: OrderStatusListener) => (listeners.add(listener), () => listeners.delete(listener)),
  } as unknown as OrderStatusFeed;
  let reads = 0;
  const stream = liveOrderResults({
    plan: { query: parse("query { orderStatusChanged: order(id: \"o1\") { status } }"), orderId: "o1" },
    variables: {},
    context: { requestId: "r", caller: "user:u1", clientAddress: "127.0.0.1" } as never,
    feed,
    execute: async () => structuredClone(answer(++reads)),
    trace: { first: (work) => work(), update: (_cause, work) => work() },
    retry: RETRY,
  });
  streams.add(stream);
  const sent: ExecutionResult[] = [];
  void (async () => {
    for await (const result of stream) sent.push(result);
  })();
  return {
    sent,
    reads: () => reads,
    change: () => listeners.forEach((listener) => listener({ orderId: "o1" } as never, undefined)),
  };
}

const order = (status: string, extra: Record<string, unknown> = {}) => ({ orderStatusChanged: { status, [STATUS_PROBE_ALIAS]: status, ...extra } });
const error = (code: string) => ({ message: `${code} on payment`, path: ["orderStatusChanged", "payment"], extensions: { code } });

describe("live order re-reads", () => {
  afterEach(async () => {
    for (const stream of streams) await stream.return(undefined);
    streams.clear();
  });

  it("sends an answer in part with only permanent errors once, and reads again only when the order changes", async () => {
    const live = following((read) => ({ data: order(read < 3 ? "PAID" : "SHIPPED", { payment: null }), errors: [error("FORBIDDEN"), error("NOT_FOUND")] as never }));
    await sleep(150);
    assert.equal(live.reads(), 1, "150 ms of a 5-10 ms backoff, yet no retry: the answer would not change");
    assert.equal(live.sent.length, 1);
    assert.deepEqual(live.sent[0]!.errors?.map((e) => e.extensions?.code), ["FORBIDDEN", "NOT_FOUND"]);

    live.change();
    await sleep(150);
    assert.equal(live.reads(), 2, "one read for the change, still none after it");
    live.change();
    await sleep(50);
    assert.equal(live.reads(), 3);
    assert.deepEqual(live.sent.map((r) => (r.data as any).orderStatusChanged.status), ["PAID", "SHIPPED"], "an answer sent once, then the change");
  });

  it("retries an answer in part while any of its errors is transient, until it answers in full", async () => {
    const live = following((read) =>
      read < 4 ? { data: order("PAID", { payment: null }), errors: [error("FORBIDDEN"), error("SERVICE_UNAVAILABLE")] as never } : { data: order("PAID", { payment: { status: "CAPTURED" } }) },
    );
    await sleep(150);
    assert.equal(live.reads(), 4, "retried through the outage, then at rest once whole");
    assert.deepEqual(live.sent.at(-1), { data: { orderStatusChanged: { status: "PAID", payment: { status: "CAPTURED" } } } });
  });
});
