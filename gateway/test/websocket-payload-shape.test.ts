// Adversarial: a subscribe whose payload has a field of the wrong JSON type is one operation's
// mistake. HTTP answers it BAD_USER_INPUT; graphql-ws closed the whole socket (4400), ending
// every other operation on it, a live order subscription included.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { ExecutionResult } from "graphql";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { policyWithCostBudget } from "./support/cost-budget-policy.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";

describe("WebSocket subscribe payloads of the wrong shape", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("answers each with an error message coded BAD_USER_INPUT, as HTTP does, and keeps the socket and its live subscription", async () => {
    const policy = policyWithCostBudget(1_000_000);
    let status = "PAID";
    const execute = async (request: { query: unknown }): Promise<ExecutionResult> =>
      typeof request.query === "string" ? { data: { products: [] } } : { data: { orderStatusChanged: { status, [STATUS_PROBE_ALIAS]: status } } };
    const gateway = await startWebSocketGateway({ execute, policy });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-shape"));
    socket.subscribe("live", { query: 'subscription { orderStatusChanged(orderId: "o1") { status } }' });
    await socket.waitFor((m) => m.id === "live" && m.type === "next");

    const query = "{ products(first: 1) { id } }";
    const malformed: [string, unknown, RegExp][] = [
      ["variables-string", { query, variables: "x" }, /variables must be a JSON object/],
      ["variables-array", { query, variables: [1] }, /variables must be a JSON object/],
      ["variables-number", { query, variables: 5 }, /variables must be a JSON object/],
      ["name-number", { query, operationName: 5 }, /operationName must be a string/],
      ["query-number", { query: 5 }, /no query/],
      ["payload-null", null, /JSON object with a query/],
      ["payload-array", [query], /JSON object with a query/],
    ];
    for (const [id, payload, message] of malformed) {
      socket.send({ id, type: "subscribe", payload });
      const { next, error } = await socket.result(id);
      assert.deepEqual(next, [], id);
      assert.equal(error?.payload?.[0]?.extensions?.code, "BAD_USER_INPUT", id);
      assert.match(error!.payload[0].message, message, id);
    }
    // extensions of the wrong type: HTTP's Apollo refuses it as BAD_REQUEST; here it is not read, so it runs.
    socket.send({ id: "extensions-string", type: "subscribe", payload: { query, extensions: "x" } });
    assert.deepEqual((await socket.result("extensions-string")).next[0]?.payload, { data: { products: [] } });

    assert.equal(socket.closed, undefined, "the socket stays open");
    socket.subscribe("after", { query });
    assert.deepEqual((await socket.result("after")).next[0]?.payload, { data: { products: [] } });
    // The live subscription is still followed.
    status = "SHIPPED";
    gateway.orderChanged();
    const update = await socket.waitFor((m) => m.id === "live" && m.type === "next" && m.payload?.data?.orderStatusChanged?.status === "SHIPPED");
    assert.ok(update);
    socket.send({ id: "live", type: "complete" });
    socket.close();
  });
});
