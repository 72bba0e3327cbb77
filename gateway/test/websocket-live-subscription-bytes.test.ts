// Adversarial: a live subscription is kept for as long as its order is followed, its text and
// variables with it. What one may hold is bounded, so a client's sockets full of subscriptions
// padded with comments and unused variables cannot grow the gateway by megabytes each.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { MAX_LIVE_SUBSCRIPTION_BYTES } from "../src/subscriptions/graphql-websocket.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";

const FOLLOW = 'subscription($o: ID!) { orderStatusChanged(orderId: $o) { status } }';

describe("bytes a live subscription holds", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("refuses BAD_USER_INPUT a subscription whose text or variables hold more than the limit, reading nothing, and follows one within it", async () => {
    let reads = 0;
    const gateway = await startWebSocketGateway({
      execute: async () => (reads++, { data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } }),
    });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-padded"));
    const padding = "x".repeat(MAX_LIVE_SUBSCRIPTION_BYTES);
    socket.subscribe("comment", { query: `# ${padding}\n${FOLLOW}`, variables: { o: "o1" } });
    socket.subscribe("variables", { query: FOLLOW, variables: { o: "o1", unused: padding } });
    for (const id of ["comment", "variables"]) {
      const { error } = await socket.result(id);
      const [refused] = (error?.payload ?? []) as { message: string; extensions: { code: string; limit: number } }[];
      assert.equal(refused?.extensions.code, "BAD_USER_INPUT", id);
      assert.equal(refused.extensions.limit, MAX_LIVE_SUBSCRIPTION_BYTES);
    }
    assert.equal(reads, 0, "nothing was read for them");
    socket.subscribe("plain", { query: FOLLOW, variables: { o: "o1" } });
    await socket.waitFor((message) => message.type === "next" && message.id === "plain");
    assert.equal(reads, 1);
    socket.close();
  });
});
