import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parse, type ExecutionResult } from "graphql";
import { waitFor } from "#kernel/testing";
import { liveOrderResults, LIVE_ORDER_RETRY } from "../src/subscriptions/live-order-results.js";
import { createRequestPolicy, PolicyRefusal } from "../src/security/request-policy.js";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { createOperationBudgets } from "../src/security/operation-budgets.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import type { OrderStatusFeed, OrderStatusListener } from "../src/subscriptions/order-status-feed.js";

const RETRY = { firstDelayMs: 5, maxDelayMs: 10, reportAfterFailures: 3, giveUpAfterMs: 60_000 };
const streams = new Set<AsyncGenerator<ExecutionResult>>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One order's stream over a scripted gateway: `answer` is what each read returns; `charge`
 * stands for the subscriber's budget (free unless given).
 */
function following(answer: (read: number) => ExecutionResult, options: { charge?: () => Promise<unknown>; retry?: typeof LIVE_ORDER_RETRY } = {}) {
  const listeners = new Set<OrderStatusListener>();
  const feed = {
    listen: (_orderId: string, listener: OrderStatusListener) => (listeners.add(listener), () => listeners.delete(listener)),
  } as unknown as OrderStatusFeed;
  let reads = 0;
  const stream = liveOrderResults({
    plan: { query: parse("query { orderStatusChanged: order(id: \"o1\") { status } }"), orderId: "o1", responseKey: "orderStatusChanged", statusKey: STATUS_PROBE_ALIAS },
    variables: {},
    context: { requestId: "r", caller: "user:u1", clientAddress: "127.0.0.1" } as never,
    feed,
    execute: async () => structuredClone(answer(++reads)),
    charge: async () => void (await options.charge?.()),
    trace: { first: (work) => work(), update: (_cause, work) => work() },
    retry: options.retry ?? RETRY,
  });
  streams.add(stream);
  const sent: ExecutionResult[] = [];
  let ended = false;
  void (async () => {
    for await (const result of stream) sent.push(result);
    ended = true;
  })();
  return {
    sent,
    reads: () => reads,
    ended: () => ended,
    change: () => listeners.forEach((listener) => listener({ orderId: "o1" } as never, undefined)),
  };
}

const order = (status: string, extra: Record<string, unknown> = {}) => ({ orderStatusChanged: { status, [STATUS_PROBE_ALIAS]: status, ...extra } });
const error = (code: string) => ({ message: `${code} on payment`, path: ["orderStatusChanged", "payment"], extensions: { code } });
const codesOf = (result: ExecutionResult | undefined) => result?.errors?.map((e) => e.extensions?.code);

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

  it("ends the stream after one read when the selection fails INTERNAL_SERVER_ERROR, which retrying would not mend", async () => {
    // The attack run's case: an entity fetch over a subgraph's body limit, masked as
    // INTERNAL_SERVER_ERROR on every read, was read again every 5 s for as long as the socket stayed open.
    const live = following(() => ({ data: { orderStatusChanged: null }, errors: [error("INTERNAL_SERVER_ERROR")] as never }));
    await waitFor("the stream ends", () => live.ended(), { timeoutMs: 2_000 });
    await sleep(100);
    assert.equal(live.reads(), 1, "not read again (the old stream read it every 5-10 ms here)");
    assert.deepEqual(live.sent.map(codesOf), [["INTERNAL_SERVER_ERROR"]]);
  });

  it("sends an answer in part with an INTERNAL_SERVER_ERROR field once and reads again only on a change", async () => {
    const live = following(() => ({ data: order("PAID", { items: null }), errors: [error("INTERNAL_SERVER_ERROR")] as never }));
    await sleep(150);
    assert.equal(live.reads(), 1);
    live.change();
    await waitFor("the change is read", () => live.reads() === 2, { timeoutMs: 2_000 });
    await sleep(100);
    assert.equal(live.reads(), 2);
    assert.equal(live.ended(), false, "the order is still followed");
  });

  it("gives up on reads that keep failing transiently: the stream ends SERVICE_UNAVAILABLE, not retrying, and reads no more", async () => {
    const live = following(() => ({ errors: [error("SERVICE_UNAVAILABLE")] as never }), { retry: { ...RETRY, giveUpAfterMs: 60 } });
    await waitFor("the stream gives up", () => live.ended(), { timeoutMs: 10_000 });
    const reads = live.reads();
    // The first failure starts the window, so only a later read can end it: at least one retry
    // happens however slowly timers fire (a count of retries inside 60 ms depended on the load).
    assert.ok(reads >= 2, `retried before giving up (${reads} reads)`);
    const last = live.sent.at(-1)!;
    assert.equal(last.data, undefined, "no data: a client subscribes again rather than taking it as an answer");
    assert.deepEqual(codesOf(last), ["SERVICE_UNAVAILABLE"]);
    assert.equal(last.errors![0]!.extensions?.retrying, false);
    assert.match(last.errors![0]!.message, /subscribe again/);
    await sleep(100);
    assert.equal(live.reads(), reads, "nothing read after the end");
  });

  it("charges every re-read to the subscriber's general budget, retries included, and reads nothing once it is spent", async () => {
    // The policy HTTP requests go through, with a budget of 4 a minute: the subscribe takes one.
    const caller = { key: "user:u1", network: "ip:192.0.2.1", site: undefined };
    const policy = createRequestPolicy({
      limits: { maxDepth: 12, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 10, maxTokens: 1_000, maxBatchSize: 5 },
      rateLimit: createCallerRateLimiter({ pointsPerMinute: 4 }),
      networkRateLimit: createCallerRateLimiter({ pointsPerMinute: 40, keyPrefix: "rl:network" }),
      budgets: createOperationBudgets({ auth: 10, checkout: 10, search: 10, views: 10, guestCarts: 10 }, { networkMultiple: 10 }),
      persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
    });
    const [admitted] = await policy.admit([{ query: `subscription { orderStatusChanged(orderId: "o1") { status } }` }], caller, "websocket");
    // Two changes read in full, then a failing read retried: each read one point.
    const live = following((read) => (read === 3 ? { errors: [error("SERVICE_UNAVAILABLE")] as never } : { data: order(read < 2 ? "PAID" : "SHIPPED") }), {
      charge: () => policy.readmit(admitted!, caller),
    });
    await waitFor("the first read", () => live.reads() === 1, { timeoutMs: 2_000 });
    live.change();
    await waitFor("the change is read", () => live.reads() === 2, { timeoutMs: 2_000 });
    live.change();
    await waitFor("the failing read and its retry", () => live.reads() === 4, { timeoutMs: 2_000 });
    // Spent: 1 subscribe + 3 re-reads. What follows is refused before anything runs.
    live.change();
    await waitFor("the refusal is reported", () => codesOf(live.sent.at(-1))?.[0] === "RATE_LIMITED", { timeoutMs: 2_000 });
    live.change();
    await sleep(100);
    assert.equal(live.reads(), 4, "no read past the budget (the old stream read on every change and retry)");
    assert.equal(live.sent.at(-1)!.errors![0]!.extensions?.retrying, true, "a refusal is waited out, not an end");
    await assert.rejects(policy.admit([{ query: "{ __typename }" }], caller, "http-post"), (e: unknown) => e instanceof PolicyRefusal && e.code === "RATE_LIMITED", "the same budget HTTP draws on");
  });
});
