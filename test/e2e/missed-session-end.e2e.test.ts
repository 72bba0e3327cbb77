// A gateway that never hears SessionsEnded (its consumer restarting, a partition) still ends
// the session: its HTTP answers within the lookup's refresh, and the sockets the session opened
// within that refresh and a recheck, instead of serving them until the token expires.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EventBus, SubscribeOptions } from "#kernel";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";
import { TEST_DESTINATION } from "../../subgraphs/orders/test/support/storefront-operations.js";

const PASSWORD = "correct horse battery staple";
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }`;
const LOG_OUT = `mutation ($token: String!) { logOut(refreshToken: $token) }`;

/** The bus, except that the gateway's consumer of ended sessions is handed none of them. */
function deafToSessionEnds(bus: EventBus): EventBus {
  return {
    engine: bus.engine,
    publish: (topic, events) => bus.publish(topic, events),
    close: () => bus.close(),
    subscribe: (options: SubscribeOptions) => (options.group === "gateway-sessions" ? bus.subscribe({ ...options, handle: async () => undefined }) : bus.subscribe(options)),
  };
}

describe("a session ended while the gateway missed the event", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ decorateBus: deafToSessionEnds, env: { RATE_LIMIT_AUTH_PER_MINUTE: "1000", WS_SESSION_RECHECK_MS: "1000" } });
  });
  after(async () => {
    await sg?.close();
  });

  it("closes the socket following an order with 4401 within a few seconds of logOut", async () => {
    const email = `missed-end-${Date.now()}@example.com`;
    const session = (await sg.query(SIGN_UP, { input: { email, password: PASSWORD, name: "Missed" } })).data!.signUp;
    await sg.query(`mutation { addToCart(productId: "prod_0000005", quantity: 1) { totalQuantity } }`, {}, session.accessToken);
    const orderId = (await sg.query(`mutation { checkout(idempotencyKey: "missed-end", ${TEST_DESTINATION}) { id } }`, {}, session.accessToken)).data!.checkout.id;
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, session.accessToken);
    socket.subscribe("live", { query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }`, variables: { id: orderId } });
    await socket.waitFor((m) => m.id === "live" && m.type === "next");

    assert.equal((await sg.query(LOG_OUT, { token: session.refreshToken })).data!.logOut, true);
    // The lookup is remembered 5 s, and rechecked every second: 6 s at most, 8 allowed.
    const closed = await socket.closedWith(8_000);
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /session has ended/);
  });
});
