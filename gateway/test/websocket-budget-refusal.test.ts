// A subscribe refused for a spent budget ends its socket, as a 429 ends an HTTP connection: the
// socket's message rate let a client go on sending refused subscribes, 16 sockets from one
// address at 45 a second each holding 19% of a gateway core.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { costing, policyWithCostBudget } from "./support/cost-budget-policy.js";
import type { OperationBudgets } from "../src/security/operation-budgets.js";

describe("WebSocket subscribes refused for a spent budget", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  async function start(budgets?: OperationBudgets) {
    const policy = policyWithCostBudget(10_000, { budgets });
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { products: [] } }), policy });
    cleanup = () => gateway.close();
    return { policy, gateway };
  }

  it("sends the refusal, then closes the socket 1013 saying when to retry", async () => {
    const { policy, gateway } = await start();
    await policy.admit([costing(5_000), costing(5_000)], { key: "user:u-spent", network: "ip:127.0.0.1", site: undefined }, "http-post");
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-spent"));
    socket.subscribe("q", costing(2));
    const { error } = await socket.result("q");
    assert.equal((error!.payload as { extensions: { code: string } }[])[0]!.extensions.code, "RATE_LIMITED");
    const closed = await socket.closedWith();
    assert.equal(closed.code, 1013);
    assert.match(closed.reason, /^Too many expensive requests; retry in \d+ s$/);
  });

  it("keeps the socket of a subscribe refused by a per-field budget (search), and serves the next one", async () => {
    let refusals = 1;
    const { gateway } = await start({ charge: async () => ({ giveBack: async () => {}, ...(refusals-- > 0 ? { refused: { budget: "search", retryAfterSeconds: 30 } } : {}) }) });
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-searcher"));
    socket.subscribe("searches", costing(2));
    const { error } = await socket.result("searches");
    assert.equal((error!.payload as { extensions: { code: string; budget: string } }[])[0]!.extensions.budget, "search");
    socket.subscribe("next", costing(2));
    assert.deepEqual((await socket.result("next")).next[0]!.payload, { data: { products: [] } });
    assert.equal(socket.closed, undefined);
    socket.close();
  });

  it("keeps the socket of a subscribe refused for what it asks (too costly), and serves the next one", async () => {
    const { gateway } = await start();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-fresh"));
    socket.subscribe("big", costing(6_000));
    const { error } = await socket.result("big");
    assert.equal((error!.payload as { extensions: { code: string } }[])[0]!.extensions.code, "QUERY_TOO_COMPLEX");
    socket.subscribe("small", costing(2));
    assert.deepEqual((await socket.result("small")).next[0]!.payload, { data: { products: [] } });
    assert.equal(socket.closed, undefined);
    socket.close();
  });
});
