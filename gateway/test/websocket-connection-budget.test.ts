// New WebSocket connections are budgeted per client network, not only those open at once: a
// network past its budget has its next socket closed 1013 with the reason, before any token
// is verified for it.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createCallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

describe("opening WebSocket connections", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("spends a point of the client network's budget per socket, and closes one past it 1013 with the reason and no stack", async () => {
    const charged: string[] = [];
    const budget = createCallerRateLimiter({ pointsPerMinute: 3 });
    const gateway = await startWebSocketGateway({
      execute: async () => ({ data: { fast: true } }),
      clientAddress: "2001:db8:1:2:3:4:5:6",
      openingBudget: async (key, cost) => (charged.push(key), budget(key, cost)),
    });
    close = gateway.close;
    const token = await gateway.token("u-churn");
    // Opened, signed in and closed one after another: never more than one open at once.
    for (let i = 0; i < 3; i++) {
      const socket = await RawGraphQLSocket.connect(gateway.url, token);
      socket.close();
      await socket.closedWith(2_000);
    }
    const refused = await RawGraphQLSocket.open(gateway.url);
    refused.send({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
    const closed = await refused.closedWith(2_000);
    assert.equal(closed.code, 1013, "past the budget (the old endpoint accepted it: only open sockets were capped)");
    assert.match(closed.reason, /^Too many new connections from this network; retry in \d+ s$/);
    assert.equal(refused.messages.find((m) => m.type === "connection_ack"), undefined, "never signed in");
    assert.deepEqual(new Set(charged), new Set(["ip:2001:db8:1:2::/64"]), "charged to the network (an IPv6 /64), as every per-network budget is");
  });
});
