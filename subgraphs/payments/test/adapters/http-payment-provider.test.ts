import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { waitFor } from "#kernel/testing";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../../../../services/payment-simulator/src/index.js";
import { HttpPaymentProvider } from "../../src/adapters/http-payment-provider.js";
import type { ChargeRequest, ProviderOutcome } from "../../src/ports/payment-provider.js";

const request = (overrides: Partial<ChargeRequest> = {}): ChargeRequest => ({
  idempotencyKey: "charge-pay_1",
  amount: { amount: 1999, currency: "USD" },
  customerId: "alice",
  paymentId: "pay_1",
  orderId: "ord_1",
  paymentMethod: "pm_card_ok",
  ...overrides,
});

describe("HttpPaymentProvider against the payment simulator", () => {
  let sim: RunningPaymentSimulator;
  let provider: HttpPaymentProvider;

  before(async () => {
    sim = await startPaymentSimulator({ latencyMs: 30, hangMs: 5_000 });
    // Generous for healthy calls on a busy machine; the scripted timeouts hang for seconds.
    provider = new HttpPaymentProvider({ baseUrl: sim.url, timeoutMs: 1_000 });
  });
  beforeEach(() => sim.reset());
  after(async () => {
    await provider.close();
    await sim.close();
  });

  it("maps a capture to succeeded with the provider's charge id", async () => {
    const outcome = await provider.charge(request());
    const [charge] = sim.ledger({ paymentId: "pay_1" }).charges;
    assert.deepEqual(outcome, { kind: "succeeded", ref: charge!.id });
    assert.equal(charge!.amount, 1999);
    assert.equal(charge!.customer, "alice");
    assert.equal(charge!.metadata.orderId, "ord_1");
  });

  it("maps a 402 to declined with the issuer's reason", async () => {
    sim.addRule({ match: { customer: "alice" }, action: "decline", declineCode: "expired_card" });
    assert.deepEqual(await provider.charge(request()), { kind: "declined", reason: "expired_card" });
  });

  it("maps a 503 to transient", async () => {
    sim.addRule({ match: { paymentId: "pay_1" }, action: "fail", times: 1 });
    assert.equal((await provider.charge(request())).kind, "transient");
    assert.equal((await provider.charge(request())).kind, "succeeded");
  });

  it("gives up after its timeout with timeout, and the retry gets the captured charge back", async () => {
    sim.addRule({ match: { paymentId: "pay_1" }, action: "timeout", times: 1 });
    const started = Date.now();
    const outcome = await provider.charge(request());
    assert.equal(outcome.kind, "timeout");
    assert.ok(Date.now() - started < 4_000, "bounded by the timeout, not the simulator's hang");
    await waitFor("the simulator has captured the charge", () => sim.ledger().charges.length === 1);
    const retry = await provider.charge(request());
    assert.equal(retry.kind, "succeeded");
    assert.equal(sim.ledger().charges.length, 1);
  });

  it("treats a key reused with another body as rejected, charging nothing more", async () => {
    assert.equal((await provider.charge(request())).kind, "succeeded");
    const other = await provider.charge(request({ amount: { amount: 5, currency: "USD" } }));
    assert.equal(other.kind, "rejected");
    assert.match("reason" in other ? other.reason : "", /idempotency_key_reused/);
    assert.equal(other.kind === "rejected" && other.keyReused, true, "told apart from a plain refusal: the key's first request may have taken money");
    assert.equal(sim.ledger().charges.length, 1);
  });

  it("looks a payment's captured charge up, telling none from unknown", async () => {
    assert.deepEqual(await provider.findCharge("pay_1"), { kind: "none" });
    const charged = await provider.charge(request());
    assert.deepEqual(await provider.findCharge("pay_1"), { kind: "captured", ref: charged.kind === "succeeded" ? charged.ref : "" });
    sim.addRule({ match: { paymentId: "pay_1", operation: "lookup" }, action: "fail", times: 1 });
    assert.equal((await provider.findCharge("pay_1")).kind, "unknown");
  });

  it("stops when its signal aborts", async () => {
    sim.addRule({ match: { paymentId: "pay_1" }, action: "timeout" });
    const slow = new HttpPaymentProvider({ baseUrl: sim.url, timeoutMs: 10_000 });
    try {
      const outcome = await slow.charge(request(), AbortSignal.timeout(100));
      assert.deepEqual(outcome, { kind: "timeout", reason: "the call was interrupted" });
    } finally {
      await slow.close();
    }
  });

  it("maps an unreachable provider to transient", async () => {
    // A port that was free a moment ago: nothing listens, so the connection is refused.
    const closed = createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, "127.0.0.1", () => resolve((closed.address() as { port: number }).port)));
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = new HttpPaymentProvider({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1_000 });
    try {
      const outcome = await nowhere.charge(request());
      assert.equal(outcome.kind, "transient");
      assert.match("reason" in outcome ? outcome.reason : "", /ECONNREFUSED/);
      assert.equal(outcome.kind === "transient" && outcome.mayHaveCharged, false, "refused before anything was sent: no doubt");
    } finally {
      await nowhere.close();
    }
  });

  it("refunds a captured charge, and rejects refunding an unknown one", async () => {
    const charged = await provider.charge(request());
    assert.equal(charged.kind, "succeeded");
    const chargeRef = charged.kind === "succeeded" ? charged.ref : "";
    const refund = await provider.refund({ idempotencyKey: "refund-pay_1", chargeRef, amount: { amount: 1999, currency: "USD" } });
    assert.equal(refund.kind, "succeeded");
    assert.equal(sim.ledger().refunds.length, 1);
    const unknown = await provider.refund({ idempotencyKey: "refund-pay_x", chargeRef: "ch_unknown", amount: { amount: 1, currency: "USD" } });
    assert.equal(unknown.kind, "rejected");
  });
});

describe("HttpPaymentProvider status mapping", () => {
  it("retries 409 key-in-use, 429 and 5xx; gives up on other 4xx; needs an id on success", async () => {
    // A provider answering each call with the next scripted status and error code.
    const answers: [number, Record<string, unknown>][] = [
      [409, { error: { code: "idempotency_key_in_use" } }],
      [429, { error: { code: "rate_limit" } }],
      [500, {}],
      [400, { error: { code: "parameter_invalid", message: "bad amount" } }],
      [401, { error: { code: "api_key_invalid" } }],
      [200, { object: "charge" }],
    ];
    const server = createHttpServer((_req, res) => {
      const [status, body] = answers.shift()!;
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    const scripted = new HttpPaymentProvider({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1_000 });
    try {
      const outcomes: ProviderOutcome[] = [];
      for (let i = 0; i < 6; i++) outcomes.push(await scripted.charge(request()));
      assert.deepEqual(outcomes.map((o) => o.kind), ["transient", "transient", "transient", "rejected", "rejected", "transient"]);
      // What each says of the money: in use and 5xx may have charged (in use: still being charged); 429 did not.
      const doubt = outcomes.slice(0, 3).map((o) => (o.kind === "transient" ? [o.mayHaveCharged === true, o.stillProcessing === true] : []));
      assert.deepEqual(doubt, [[true, true], [false, false], [true, false]]);
    } finally {
      await scripted.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("HttpPaymentProvider: answers it cannot read are in doubt, never a failure or a success", () => {
  /** A provider answering each call with the next scripted reply (status, headers, raw body; or a stalled/cut body). */
  async function scriptedProvider(replies: ((res: import("node:http").ServerResponse) => void)[]) {
    const server = createHttpServer((_req, res) => replies.shift()!(res));
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    const provider = new HttpPaymentProvider({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 500 });
    return {
      provider,
      async close() {
        await provider.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }
  const json = (status: number, body: unknown) => (res: import("node:http").ServerResponse) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const inDoubt = (outcome: ProviderOutcome) => outcome.kind === "transient" && outcome.mayHaveCharged === true;

  it("a 2xx without a readable object (HTML, {}, a cut or stalled body) or a 408 may have charged", async () => {
    const { provider, close } = await scriptedProvider([
      (res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>OK</html>"),
      json(200, {}),
      // Headers, then the body stalls past the deadline.
      (res) => res.writeHead(200, { "content-type": "application/json", "content-length": "200" }).write('{"id":"ch_1",'),
      // Headers, then the connection is cut mid-body.
      (res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": "200" }).write('{"id":"ch_1",');
        setTimeout(() => res.socket?.destroy(), 20);
      },
      json(408, { error: { code: "request_timeout" } }),
    ]);
    try {
      for (const what of ["HTML", "{}", "a stalled body", "a cut body", "408"]) {
        const outcome = await provider.charge(request());
        assert.ok(inDoubt(outcome), `${what}: ${JSON.stringify(outcome)}`);
      }
    } finally {
      await close();
    }
  });

  it("reads a charge's and a refund's own status: failed is no money moved, pending is in progress, only succeeded is done", async () => {
    const { provider, close } = await scriptedProvider([
      json(200, { id: "ch_1", object: "charge", status: "failed", captured: false, paid: false, failure_code: "card_declined" }),
      json(200, { id: "ch_2", object: "charge", status: "pending", captured: false }),
      json(200, { id: "ch_3", object: "charge", status: "succeeded", captured: true, paid: true }),
      json(200, { id: "re_1", object: "refund", status: "failed" }),
      json(200, { id: "re_2", object: "refund", status: "pending" }),
      json(200, { id: "re_3", object: "refund", status: "succeeded" }),
    ]);
    try {
      const refund = { idempotencyKey: "refund-pay_1", chargeRef: "ch_3", amount: { amount: 1999, currency: "USD" } };
      const outcomes = [await provider.charge(request()), await provider.charge(request()), await provider.charge(request()), await provider.refund(refund), await provider.refund(refund), await provider.refund(refund)];
      assert.deepEqual(outcomes[0], { kind: "declined", reason: "card_declined" });
      assert.ok(inDoubt(outcomes[1]!) && outcomes[1]!.kind === "transient" && outcomes[1]!.stillProcessing === true, JSON.stringify(outcomes[1]));
      assert.deepEqual(outcomes[2], { kind: "succeeded", ref: "ch_3" });
      assert.equal(outcomes[3]!.kind, "declined", "a failed refund gave nothing back");
      assert.equal(outcomes[4]!.kind, "transient", "a pending refund is not paid yet");
      assert.deepEqual(outcomes[5], { kind: "succeeded", ref: "re_3" });
    } finally {
      await close();
    }
  });

  it("a charge search it cannot read says unknown, never none", async () => {
    const { provider, close } = await scriptedProvider([
      (res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>OK</html>"),
      json(200, {}),
      json(200, { object: "search_result", data: [] }),
    ]);
    try {
      assert.equal((await provider.findCharge("pay_1")).kind, "unknown");
      assert.equal((await provider.findCharge("pay_1")).kind, "unknown");
      assert.equal((await provider.findCharge("pay_1")).kind, "none");
    } finally {
      await close();
    }
  });
});
