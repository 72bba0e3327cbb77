import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSubgraphClient, INTERNAL_HEADER, signInternalCredential, type Identity } from "#kernel";
import { waitFor } from "#kernel/testing";
import { openPaymentsHarness, type PaymentsHarness, type TestPayment } from "./support/payments-harness.js";

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Order { id payment { id status amount { amount currency } attempts failureReason refundedAt createdAt updatedAt } }
  }
}`;

describe("Order.payment through the payments subgraph", () => {
  let h: PaymentsHarness;
  let paid: TestPayment;

  const asCaller = async (identity: Identity, orderIds: string[]) => {
    const client = createSubgraphClient({ url: h.payments.url, audience: "payments", internalSecret: h.config.auth.internalSecret, serviceName: "test" });
    try {
      const data = await client.request<{ _entities: { id: string; payment: Record<string, any> | null }[] }>(
        ENTITIES,
        { representations: orderIds.map((id) => ({ __typename: "Order", id })) },
        { identity },
      );
      return data._entities;
    } finally {
      await client.close();
    }
  };

  before(async () => {
    h = await openPaymentsHarness({ database: "embedded", bus: { kind: "embedded" } });
    paid = await h.createPayment({ userId: "alice", amount: 3100 });
    await h.requestPayment(paid);
    await waitFor("the payment settles", async () => (await h.paymentRow(paid.paymentId)).status === "SUCCEEDED");
  });
  after(() => h?.close());

  it("shows the order's customer the payment with its amount, status and attempts", async () => {
    const [order] = await asCaller({ userId: "alice", roles: ["customer"] }, [paid.orderId]);
    assert.equal(order!.id, paid.orderId);
    assert.equal(order!.payment!.id, paid.paymentId);
    assert.equal(order!.payment!.status, "SUCCEEDED");
    assert.deepEqual(order!.payment!.amount, { amount: 3100, currency: "USD" });
    assert.equal(order!.payment!.attempts, 1);
    assert.equal(order!.payment!.failureReason, null);
    assert.ok(!Number.isNaN(Date.parse(order!.payment!.updatedAt)));
  });

  it("hides the payment from another customer, even asked for directly", async () => {
    const [order] = await asCaller({ userId: "mallory", roles: ["customer"] }, [paid.orderId]);
    assert.equal(order!.payment, null);
  });

  it("shows any payment to an admin, and null for an order without one", async () => {
    const orders = await asCaller({ userId: "root", roles: ["admin"] }, [paid.orderId, "ord_without_payment"]);
    assert.equal(orders[0]!.payment!.id, paid.paymentId);
    assert.equal(orders[1]!.payment, null);
  });

  it("refuses anonymous callers with UNAUTHENTICATED", async () => {
    const response = await fetch(h.payments.url, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(h.config.auth.internalSecret, { aud: "payments", requestId: "anonymous" }) },
      body: JSON.stringify({ query: ENTITIES, variables: { representations: [{ __typename: "Order", id: paid.orderId }] } }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    assert.equal(body.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
  });
});
