import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../src/index.js";

interface Answer {
  status: number;
  body: any;
  replayed: boolean;
}

async function call(base: string, method: string, path: string, body?: unknown, key?: string, timeoutMs = 5_000): Promise<Answer> {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.json(), replayed: response.headers.get("idempotent-replayed") === "true" };
}

const charge = (overrides: Record<string, unknown> = {}) => ({
  amount: 2599,
  currency: "USD",
  customer: "cus_1",
  metadata: { paymentId: "pay_1", orderId: "ord_1" },
  ...overrides,
});

describe("payment simulator", () => {
  let sim: RunningPaymentSimulator;
  const post = (path: string, body: unknown, key?: string, timeoutMs?: number) => call(sim.url, "POST", path, body, key, timeoutMs);

  before(async () => {
    sim = await startPaymentSimulator({ latencyMs: 5, hangMs: 10_000 });
  });
  beforeEach(() => sim.reset());
  after(() => sim.close());

  it("captures a charge and lists it in the ledger", async () => {
    const answer = await post("/v1/charges", charge(), "key-capture");
    assert.equal(answer.status, 200);
    assert.match(answer.body.id, /^ch_/);
    assert.equal(answer.body.status, "succeeded");
    assert.equal(answer.body.amount, 2599);
    const ledger = await call(sim.url, "GET", "/ledger?paymentId=pay_1");
    assert.deepEqual(ledger.body.charges.map((c: any) => c.id), [answer.body.id]);
  });

  it("answers the same key and body with the stored response, without charging again", async () => {
    const first = await post("/v1/charges", charge(), "key-same");
    const second = await post("/v1/charges", charge({ metadata: { orderId: "ord_1", paymentId: "pay_1" } }), "key-same");
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(first.replayed, false);
    assert.equal(second.replayed, true);
    assert.equal(sim.ledger().charges.length, 1);
  });

  it("refuses the same key with a different body with 409 and charges nothing for it", async () => {
    await post("/v1/charges", charge(), "key-reused");
    const other = await post("/v1/charges", charge({ amount: 100 }), "key-reused");
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, "idempotency_key_reused");
    assert.deepEqual(sim.ledger().charges.map((c) => c.amount), [2599]);
  });

  it("captures one charge for 100 concurrent requests with one key", async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => post("/v1/charges", charge(), "key-concurrent")));
    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 409);
    assert.equal(ok.length + busy.length, 100);
    for (const answer of busy) assert.equal(answer.body.error.code, "idempotency_key_in_use");
    assert.ok(ok.length >= 1);
    assert.equal(new Set(ok.map((a) => a.body.id)).size, 1, "every success names the same charge");
    assert.equal(sim.ledger().charges.length, 1);
  });

  it("charges again for requests without an idempotency key", async () => {
    await post("/v1/charges", charge());
    await post("/v1/charges", charge());
    assert.equal(sim.ledger().charges.length, 2);
  });

  it("stores a scripted decline, so a retry with the key is declined again", async () => {
    sim.addRule({ match: { customer: "cus_poor" }, action: "decline", declineCode: "insufficient_funds", times: 1 });
    const first = await post("/v1/charges", charge({ customer: "cus_poor" }), "key-decline");
    assert.equal(first.status, 402);
    assert.equal(first.body.error.decline_code, "insufficient_funds");
    const retry = await post("/v1/charges", charge({ customer: "cus_poor" }), "key-decline");
    assert.equal(retry.status, 402);
    assert.equal(retry.replayed, true);
    assert.equal(sim.ledger().charges.length, 0, "a decline captures nothing");
  });

  it("does not store a transient 503, so a retry with the same key executes once", async () => {
    sim.addRule({ match: { paymentId: "pay_1" }, action: "fail", times: 2 });
    assert.equal((await post("/v1/charges", charge(), "key-503")).status, 503);
    assert.equal((await post("/v1/charges", charge(), "key-503")).status, 503);
    const third = await post("/v1/charges", charge(), "key-503");
    assert.equal(third.status, 200);
    assert.equal(third.replayed, false);
    assert.equal(sim.ledger().charges.length, 1);
  });

  it("captures the charge of a request it times out, and replays it to the retry", async () => {
    sim.addRule({ match: { idempotencyKey: "key-timeout" }, action: "timeout", times: 2 });
    await assert.rejects(post("/v1/charges", charge(), "key-timeout", 150), { name: "TimeoutError" });
    await waitFor("the work was done; only the answer was lost", () => sim.ledger().charges.length === 1);
    await assert.rejects(post("/v1/charges", charge(), "key-timeout", 150), { name: "TimeoutError" });
    const third = await post("/v1/charges", charge(), "key-timeout");
    assert.equal(third.status, 200);
    assert.equal(third.replayed, true);
    assert.equal(third.body.id, sim.ledger().charges[0]!.id);
    assert.equal(sim.ledger().charges.length, 1);
  });

  it("refunds a captured charge once per key and refuses refunding more than is left", async () => {
    const captured = await post("/v1/charges", charge(), "key-to-refund");
    const refund = await post("/v1/refunds", { charge: captured.body.id }, "refund-1");
    assert.equal(refund.status, 200);
    assert.equal(refund.body.amount, 2599);
    const again = await post("/v1/refunds", { charge: captured.body.id }, "refund-1");
    assert.equal(again.body.id, refund.body.id);
    const another = await post("/v1/refunds", { charge: captured.body.id }, "refund-2");
    assert.equal(another.status, 400);
    const ledger = sim.ledger({ paymentId: "pay_1" });
    assert.equal(ledger.refunds.length, 1);
    assert.equal(ledger.charges[0]!.refunded, true);
    const missing = await post("/v1/refunds", { charge: "ch_nope" }, "refund-3");
    assert.equal(missing.status, 404);
  });

  it("honours the test payment-method tokens: ok, declined (stored, so replayed), transient twice then captured, unknown refused", async () => {
    assert.equal((await post("/v1/charges", charge({ payment_method: "pm_card_ok" }), "k-ok")).status, 200);
    const declined = await post("/v1/charges", charge({ payment_method: "pm_card_declined", metadata: { paymentId: "pay_d", orderId: "o" } }), "k-declined");
    assert.deepEqual([declined.status, declined.body.error.decline_code], [402, "generic_decline"]);
    const again = await post("/v1/charges", charge({ payment_method: "pm_card_declined", metadata: { paymentId: "pay_d", orderId: "o" } }), "k-declined");
    assert.deepEqual([again.status, again.replayed], [402, true]);
    const poor = await post("/v1/charges", charge({ payment_method: "pm_card_insufficient_funds" }), "k-poor");
    assert.equal(poor.body.error.decline_code, "insufficient_funds");
    const transient = charge({ payment_method: "pm_card_transient", metadata: { paymentId: "pay_t", orderId: "o" } });
    assert.equal((await post("/v1/charges", transient, "k-transient")).status, 503);
    assert.equal((await post("/v1/charges", transient, "k-transient")).status, 503);
    assert.equal((await post("/v1/charges", transient, "k-transient")).status, 200);
    assert.equal((await post("/v1/charges", transient, "k-transient")).replayed, true);
    assert.equal(sim.ledger({ paymentId: "pay_t" }).charges.length, 1);
    const unknown = await post("/v1/charges", charge({ payment_method: "pm_card_made_up" }), "k-unknown");
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, "resource_missing"]);
    for (const hostile of ["tok_visa", "", "pm_" + "x".repeat(200), 42, { id: "pm_card_ok" }]) {
      assert.equal((await post("/v1/charges", charge({ payment_method: hostile }))).status, 400, JSON.stringify(hostile));
    }
    assert.equal(sim.ledger({ paymentId: "pay_d" }).charges.length, 0, "a decline captures nothing");
  });

  it("refuses invalid requests with 400 before execution, leaving the key usable", async () => {
    const bad = await post("/v1/charges", charge({ amount: 12.5 }), "key-invalid");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, "amount");
    assert.equal((await post("/v1/charges", charge({ currency: "dollars" }))).status, 400);
    const good = await post("/v1/charges", charge(), "key-invalid");
    assert.equal(good.status, 200);
  });

  it("finds a payment's charges by metadata, and lets rules fail the lookup", async () => {
    const captured = await post("/v1/charges", charge(), "key-search");
    const query = (value: string) => `/v1/charges/search?query=${encodeURIComponent(`metadata['paymentId']:'${value}'`)}`;
    const found = await call(sim.url, "GET", query("pay_1"));
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.data.map((c: any) => c.id), [captured.body.id]);
    assert.deepEqual((await call(sim.url, "GET", query("pay_other"))).body.data, []);
    sim.addRule({ match: { paymentId: "pay_1", operation: "lookup" }, action: "fail", times: 1 });
    assert.equal((await call(sim.url, "GET", query("pay_1"))).status, 503);
    assert.equal((await call(sim.url, "GET", "/v1/charges/search?query=nonsense")).status, 400);
  });

  it("takes rules and resets over HTTP", async () => {
    const rule = await post("/control/rules", { match: { orderId: "ord_9" }, action: "decline" });
    assert.equal(rule.status, 201);
    assert.equal((await post("/control/rules", { match: {}, action: "explode" })).status, 400);
    const declined = await post("/v1/charges", charge({ metadata: { orderId: "ord_9", paymentId: "pay_9" } }), "key-ord-9");
    assert.equal(declined.status, 402);
    assert.equal((await call(sim.url, "DELETE", "/control/rules")).status, 200);
    const fine = await post("/v1/charges", charge({ metadata: { orderId: "ord_9", paymentId: "pay_9" } }), "key-ord-9b");
    assert.equal(fine.status, 200);
    assert.equal((await call(sim.url, "GET", `/v1/charges/${fine.body.id}`)).body.id, fine.body.id);
    await post("/control/reset", {});
    assert.equal((await call(sim.url, "GET", "/ledger")).body.charges.length, 0);
  });
});

describe("payment simulator random behaviour", () => {
  it("is reproducible from its seed", async () => {
    const outcomes = async (seed: number) => {
      const sim = await startPaymentSimulator({ declineRate: 0.3, failureRate: 0.3, seed });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await call(sim.url, "POST", "/v1/charges", charge(), `seeded-${i}`)).status);
        return statuses;
      } finally {
        await sim.close();
      }
    };
    const first = await outcomes(42);
    assert.deepEqual(await outcomes(42), first);
    assert.ok(first.includes(402) && first.includes(503) && first.includes(200), `a mix of outcomes: ${first.join(",")}`);
    assert.notDeepEqual(await outcomes(7), first);
  });
});
