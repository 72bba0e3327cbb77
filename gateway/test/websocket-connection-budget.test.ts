// New WebSocket connections are budgeted, not only those open at once, and charged at
// connection_init to whoever opened them: a signed-in user's to that user (and a ceiling per
// network over all its accounts), an anonymous socket's to its network. A socket past its
// budget is closed 1013 with the reason; what anonymous sockets spend refuses nobody signed in.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createCallerBudget } from "../src/rate-limit/caller-budget.js";
import type { Caller } from "../src/rate-limit/caller.js";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const REFUSED_FROM_NETWORK = /^Too many new connections from this network; retry in \d+ s$/;

/** Opens a socket, sends connection_init (with the token, if any): acknowledged, or how it was closed. */
async function initialise(url: string, token?: string): Promise<"acknowledged" | { code: number; reason: string }> {
  const socket = await RawGraphQLSocket.open(url);
  socket.send({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} });
  try {
    await socket.waitFor((m) => m.type === "connection_ack", 2_000);
  } catch {
    return socket.closedWith(2_000);
  }
  socket.close();
  await socket.closedWith(2_000);
  return "acknowledged";
}

describe("opening WebSocket connections", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("accepts a signed-in customer's socket after 125 sockets of its network opened without a token, and refuses anonymous ones past the network's budget", async () => {
    // The production figures: 120 openings a minute, a network ceiling of 10 times that.
    const gateway = await startWebSocketGateway({
      execute: async () => ({ data: { fast: true } }),
      openingBudget: createCallerBudget({ pointsPerMinute: 120, networkMultiple: 10, keyPrefix: "test:openings" }),
    });
    close = gateway.close;
    // The attack run's flood: 125 sockets opened and closed without ever sending connection_init.
    for (let i = 0; i < 125; i++) {
      const socket = await RawGraphQLSocket.open(gateway.url);
      socket.close();
      await socket.closedWith(2_000);
    }
    const customer = await gateway.token("u-customer");
    // The old endpoint closed it 1013 "Too many new connections from this network": one budget per network.
    assert.equal(await initialise(gateway.url, customer), "acknowledged", "a signed-in socket after the flood");
    // And 125 anonymous sockets that do sign in (without a token): the network's 120, then refused.
    const anonymous = [];
    for (let i = 0; i < 125; i++) anonymous.push(await initialise(gateway.url));
    assert.equal(anonymous.filter((outcome) => outcome === "acknowledged").length, 120, "the network's budget, spent by anonymous sockets only");
    for (const refused of anonymous.slice(120)) {
      assert.notEqual(refused, "acknowledged");
      assert.equal((refused as { code: number }).code, 1013);
      assert.match((refused as { reason: string }).reason, REFUSED_FROM_NETWORK);
    }
    assert.equal(await initialise(gateway.url, customer), "acknowledged", "a signed-in socket after the network's budget is spent");
    const stillRefused = await initialise(gateway.url);
    assert.notEqual(stillRefused, "acknowledged", "anonymous sockets stay refused past the budget");
    assert.equal((stillRefused as { code: number }).code, 1013);
  });

  it("charges a refused sign-in (a malformed, forged or expired token) to its network like an anonymous opening: past the budget it is closed 1013, not judged", async () => {
    const gateway = await startWebSocketGateway({
      execute: async () => ({ data: { fast: true } }),
      openingBudget: createCallerBudget({ pointsPerMinute: 3, networkMultiple: 10, keyPrefix: "test:openings-refused" }),
    });
    close = gateway.close;
    const badSignIn = async (payload: Record<string, unknown>) => {
      const socket = await RawGraphQLSocket.open(gateway.url);
      socket.send({ type: "connection_init", payload });
      return socket.closedWith(2_000);
    };
    // Refused by the gateway's token rules (InvalidTokenError, as the real verifier's forged or
    // expired tokens are): not a string, sent twice.
    const outcomes = [await badSignIn({ authorization: 1 }), await badSignIn({ authorization: "Bearer a", Authorization: "Bearer b" }), await badSignIn({ authorization: 1 }), await badSignIn({ authorization: 1 })];
    // Before: every one closed 4403 and charged nothing, so the loop was free.
    assert.deepEqual(outcomes.map((o) => o.code), [4403, 4403, 4403, 1013]);
    assert.match(outcomes[3]!.reason, REFUSED_FROM_NETWORK);
    assert.equal((await initialise(gateway.url, await gateway.token("u-after"))), "acknowledged", "a signed-in customer is not refused for them");
  });

  it("charges a socket that never sends connection_init nothing, and closes it at the init timeout (4408)", async () => {
    const charged: Caller[] = [];
    const gateway = await startWebSocketGateway({
      execute: async () => ({ data: { fast: true } }),
      openingBudget: async (caller) => (charged.push(caller), { allowed: true, retryAfterSeconds: 0 }),
    });
    close = gateway.close;
    const silent = await RawGraphQLSocket.open(gateway.url);
    const closed = await silent.closedWith(5_000);
    assert.equal(closed.code, 4408, "graphql-ws's connection_init deadline holds the socket's place for at most 3 s");
    assert.deepEqual(charged, [], "nobody is charged for a socket nobody signed");
  });

  it("charges a signed-in user's openings to that user, every account of a network to its ceiling, and an anonymous socket to its network", async () => {
    const charged: Caller[] = [];
    const budget = createCallerBudget({ pointsPerMinute: 2, networkMultiple: 2, keyPrefix: "test:openings" });
    const gateway = await startWebSocketGateway({
      execute: async () => ({ data: { fast: true } }),
      clientAddress: "2001:db8:1:2:3:4:5:6",
      openingBudget: async (caller, cost) => (charged.push(caller), budget(caller, cost)),
    });
    close = gateway.close;
    const [a, b, c] = await Promise.all(["u-a", "u-b", "u-c"].map((user) => gateway.token(user)));
    // Opened, signed in and closed one after another: never more than one open at once.
    assert.equal(await initialise(gateway.url, a), "acknowledged");
    assert.equal(await initialise(gateway.url, a), "acknowledged");
    const ownRefusal = await initialise(gateway.url, a);
    assert.equal((ownRefusal as { code: number }).code, 1013, "past the user's own budget");
    assert.match((ownRefusal as { reason: string }).reason, /^Too many new connections for this account; retry in \d+ s$/);
    // Another account of the network has its own points, up to the network's ceiling (2 x 2).
    assert.equal(await initialise(gateway.url, b), "acknowledged");
    assert.equal(await initialise(gateway.url, b), "acknowledged");
    const ceilingRefusal = await initialise(gateway.url, c);
    assert.equal((ceilingRefusal as { code: number }).code, 1013, "a fresh account buys no openings past the network's ceiling");
    assert.match((ceilingRefusal as { reason: string }).reason, REFUSED_FROM_NETWORK);
    // Anonymous sockets draw on the network's own points, apart from the accounts' ceiling.
    assert.equal(await initialise(gateway.url), "acknowledged");
    assert.deepEqual(
      charged.map((caller) => caller.key),
      ["user:u-a", "user:u-a", "user:u-a", "user:u-b", "user:u-b", "user:u-c", "ip:2001:db8:1:2::/64"],
    );
    assert.ok(charged.every((caller) => caller.network === "ip:2001:db8:1:2::/64"), "the network is the /64, as every per-network budget's");
  });
});
