// Adversarial: the cost budget is one budget whatever the transport. A caller who spent it over
// HTTP is not let through over WebSocket, and a WebSocket answer that found nothing gives back
// what it did not cost, as an HTTP one does.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { print, type ExecutionResult } from "graphql";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { costing, policyWithCostBudget } from "./support/cost-budget-policy.js";
import { refusal } from "./support/policy-refusal.js";
import { planningKey } from "../src/execution/planning-time.js";
import type { GatewayContext } from "../src/gateway-context.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";

describe("cost budget over WebSocket as over HTTP", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  /** The WebSocket endpoint on a real policy; every page found empty (the products queried do not exist). */
  async function start(perMinute: number, isPrepared?: (query: string, operationName: string | undefined) => boolean) {
    const policy = policyWithCostBudget(perMinute, { isPrepared });
    const executed: string[] = [];
    const execute = async (request: { query: unknown }): Promise<ExecutionResult> => {
      executed.push(typeof request.query === "string" ? request.query : print(request.query as never));
      return { data: { products: [] } };
    };
    const gateway = await startWebSocketGateway({ execute, policy });
    cleanup = () => gateway.close();
    // The socket's caller as the endpoint makes it: the user, on the socket's network.
    const caller = (userId: string) => ({ key: `user:${userId}`, network: "ip:127.0.0.1", site: undefined });
    return { policy, gateway, executed, caller };
  }

  it("refuses a WebSocket query RATE_LIMITED with budget \"cost\" once the caller spent the budget over HTTP, running nothing", async () => {
    const { policy, gateway, executed, caller } = await start(10_000);
    await policy.admit([costing(5_000), costing(5_000)], caller("u-spent"), "http-post");
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-spent"));
    socket.subscribe("q", costing(2));
    const { next, error } = await socket.result("q");
    assert.deepEqual(next, [], "no answer: the query did not run");
    assert.ok(error, "refused with an error message");
    const [refused] = error.payload as { message: string; extensions: { code: string; budget: string; retryAfterSeconds: number } }[];
    assert.equal(refused!.extensions.code, "RATE_LIMITED");
    assert.equal(refused!.extensions.budget, "cost");
    assert.ok(refused!.extensions.retryAfterSeconds >= 1 && refused!.extensions.retryAfterSeconds <= 60);
    assert.deepEqual(executed, []);
    // Another customer on the same network has their own budget, over the same endpoint.
    const other = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-other"));
    other.subscribe("q", costing(5_000));
    assert.deepEqual((await other.result("q")).next[0]!.payload, { data: { products: [] } });
    socket.close();
    other.close();
  });

  it("gives back what a subscribe refused after its admission was charged, its planning deposit too (review: kept, with its text, for ever)", async () => {
    // No text is planned here, so each subscribe holds a 20,000-point deposit at admission.
    const { policy, gateway } = await start(30_000, () => false);
    const socket = await RawGraphQLSocket.connect(gateway.url);
    // Anonymous: admitted (its cost charged to the network's guests), then refused for want of a sign-in.
    for (let i = 0; i < 15; i++) {
      socket.subscribe(`s${i}`, { query: `subscription { orderStatusChanged(orderId: "o${i}") { status } }` });
      assert.equal((await socket.result(`s${i}`)).error?.payload?.[0]?.extensions?.code, "UNAUTHENTICATED");
    }
    socket.close();
    // The guests' pool (300,000) would be spent by 15 deposits kept: none was.
    await policy.admit([costing(2)], { key: "ip:127.0.0.1", network: "ip:127.0.0.1", site: undefined }, "http-post");
  });

  it("keeps of a live subscription's planning deposit what planning its query took, as over HTTP and for a WebSocket query (attack: a new subscription text a subscribe planned for free)", async () => {
    // Every read plans for 50 ms, as the gateway notes it on the read's context: the whole 20,000-point deposit.
    // The HTTP pages that probe the budget after are planned already: they hold no deposit.
    const probe = costing(5_000);
    const policy = policyWithCostBudget(30_000, { isPrepared: (query) => query === probe.query });
    const execute = async (request: { query: unknown }, context: GatewayContext): Promise<ExecutionResult> => {
      context.planning?.set(planningKey(typeof request.query === "string" ? request.query : print(request.query as never), undefined), 50);
      return typeof request.query === "string" ? { data: { products: [] } } : { data: { orderStatusChanged: null } };
    };
    const gateway = await startWebSocketGateway({ execute, policy });
    cleanup = () => gateway.close();
    const caller = (userId: string) => ({ key: `user:${userId}`, network: "ip:127.0.0.1", site: undefined });
    for (const [userId, operation] of [
      ["u-live", { query: 'subscription { orderStatusChanged(orderId: "o-unknown") { status } }' }],
      ["u-query", costing(2)],
    ] as const) {
      const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token(userId));
      socket.subscribe("planned", operation);
      assert.ok((await socket.result("planned")).next.length > 0, "answered");
      socket.close();
      // 20,000 of the 30,000 went on planning: 5,000 more fit, 10,000 do not.
      await policy.admit([probe], caller(userId), "http-post");
      assert.equal((await refusal(policy.admit([probe], caller(userId), "http-post"))).extensions.budget, "cost", userId);
    }
  });

  it("charges a live subscription's re-read a planning deposit when its query's plan was let go, and keeps what planning took (attack: an evicted live text planned again on every change, free)", async () => {
    // The live query is never prepared (its plan evicted by 2,000 other texts): every read plans, 50 ms each.
    // The HTTP pages that probe the budget after are planned already: they hold no deposit.
    const probe = costing(4_000);
    const policy = policyWithCostBudget(45_000, { isPrepared: (query) => query.startsWith("{ products") });
    let status = "PAID";
    const execute = async (request: { query: unknown }, context: GatewayContext): Promise<ExecutionResult> => {
      context.planning?.set(planningKey(typeof request.query === "string" ? request.query : print(request.query as never), undefined), 50);
      return { data: { orderStatusChanged: { status, [STATUS_PROBE_ALIAS]: status } } };
    };
    const gateway = await startWebSocketGateway({ execute, policy });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-reread"));
    socket.subscribe("live", { query: 'subscription { orderStatusChanged(orderId: "o1") { status } }' });
    await socket.waitFor((m) => m.id === "live" && m.type === "next");
    status = "SHIPPED";
    gateway.orderChanged();
    // Sent once settled: the re-read's planning has been charged when it arrives.
    await socket.waitFor((m) => m.id === "live" && m.type === "next" && m.payload?.data?.orderStatusChanged?.status === "SHIPPED");
    socket.close();
    // Two plannings of 20,000 each and the reads' measures: under 5,000 of the 45,000 are left.
    const caller = { key: "user:u-reread", network: "ip:127.0.0.1", site: undefined };
    await policy.admit([probe], caller, "http-post");
    assert.equal((await refusal(policy.admit([costing(2_000)], caller, "http-post"))).extensions.budget, "cost");
  });

  it("gives back what a WebSocket answer that found nothing did not cost: the caller spends it after, over HTTP or WebSocket, and no more", async () => {
    const { policy, gateway, caller } = await start(10_000);
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-empty"));
    socket.subscribe("empty", costing(5_000));
    // The answer is sent after it was settled: once it is here, 4,999 of the 5,000 are back.
    assert.deepEqual((await socket.result("empty")).next[0]!.payload, { data: { products: [] } });
    // 9,999 left: 5,000 over HTTP and 4,998 over WebSocket pass ...
    await policy.admit([costing(5_000)], caller("u-empty"), "http-post");
    socket.subscribe("spend", costing(4_998));
    assert.deepEqual((await socket.result("spend")).next[0]!.payload, { data: { products: [] } });
    // ... the second WebSocket page found nothing too, so 4,997 came back: spend them over HTTP ...
    await policy.admit([costing(4_997)], caller("u-empty"), "http-post");
    // ... and then nothing is left, on either transport (1 + 5,000 + 1 + 4,997 = 9,999 spent).
    assert.equal((await refusal(policy.admit([costing(2)], caller("u-empty"), "http-post"))).extensions.budget, "cost");
    socket.subscribe("over", costing(2));
    const { error } = await socket.result("over");
    assert.equal(error?.payload?.[0]?.extensions?.budget, "cost");
    socket.close();
  });
});
