// A newcomer's own graphql-ws client: the token put where a WebSocket does not read it (no
// payload, `token`, `headers`) leaves the socket anonymous, and following an order must then say
// where the token goes, not only "Sign in".
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { policyWithCostBudget } from "./support/cost-budget-policy.js";

describe("an anonymous socket subscribing to an order", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("is refused UNAUTHENTICATED with where the access token goes, whatever name the token was sent under", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: {} }), policy: policyWithCostBudget(100_000) });
    cleanup = () => gateway.close();
    const token = await gateway.token("u-newcomer");
    for (const payload of [{}, { token }, { headers: { Authorization: `Bearer ${token}` } }]) {
      const socket = await RawGraphQLSocket.open(gateway.url);
      socket.send({ type: "connection_init", payload });
      await socket.waitFor((message) => message.type === "connection_ack");
      socket.subscribe("s", { query: `subscription { orderStatusChanged(orderId: "ord_1") { status } }` });
      const [refused] = (await socket.result("s").catch((error: Error) => assert.fail(`${JSON.stringify(payload)}: ${error.message}`))).error?.payload as { message: string; extensions: { code: string } }[];
      assert.equal(refused!.extensions.code, "UNAUTHENTICATED", JSON.stringify(payload));
      assert.match(refused!.message, /connection_init payload/);
      assert.match(refused!.message, /"Authorization": "Bearer <accessToken>"/);
      socket.close();
    }
  });
});
