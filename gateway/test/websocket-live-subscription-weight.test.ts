// Adversarial: a live subscription is kept parsed for as long as its order is followed, and its
// parse outweighs its text by up to 70 times (900 fields in 4.5 KB of text held 315 KB). The
// bytes each subscription and the process's subscriptions may hold count what is held, parse
// included, so a dense selection cannot hold megabytes under a count of kilobytes.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parse } from "graphql";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { policyWithCostBudget } from "./support/cost-budget-policy.js";
import { MAX_LIVE_SUBSCRIPTION_BYTES } from "../src/subscriptions/graphql-websocket.js";
import { liveSubscriptionWeight } from "../src/subscriptions/live-subscription-weight.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import { heapAfterGc } from "../../test/support/heap-after-gc.js";


/** A subscription selecting `fields` fields of short distinct names (`n` keeps each text new). */
const selecting = (fields: number, n: number) => `subscription($o: ID!) { orderStatusChanged(orderId: $o) { status ${Array.from({ length: fields }, (_, i) => `f${i}`).join(" ")} } } # ${n}`;
const STOREFRONT = `subscription OrderStatus($orderId: ID!) {
  orderStatusChanged(orderId: $orderId) {
    id
    status
    statusReason
    payment { status }
    items { name variantTitle quantity product { id name } }
  }
}`;

describe("what a live subscription weighs", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  const start = (limits: Record<string, number> = {}) =>
    startWebSocketGateway({
      execute: async () => ({ data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } }),
      policy: policyWithCostBudget(10_000_000),
      limits: { maxSubscriptionsPerUser: 400, maxOperationsPerConnection: 400, maxMessagesPerSecond: 1_000, ...limits },
    });

  it("refuses BAD_USER_INPUT a selection of 900 fields in 4.5 KB of text, and follows the storefront's", async () => {
    let reads = 0;
    const gateway = await startWebSocketGateway({
      execute: async () => (reads++, { data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } }),
      policy: policyWithCostBudget(10_000_000),
    });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-dense"));
    const dense = selecting(900, 0);
    assert.ok(Buffer.byteLength(dense) < MAX_LIVE_SUBSCRIPTION_BYTES / 3, "its text alone is far within the limit");
    socket.subscribe("dense", { query: dense, variables: { o: "o1" } });
    const { next, error } = await socket.result("dense");
    assert.deepEqual(next, []);
    const [refused] = (error?.payload ?? []) as { message: string; extensions: { code: string; limit: number } }[];
    assert.equal(refused?.extensions.code, "BAD_USER_INPUT", JSON.stringify(error));
    assert.equal(refused.extensions.limit, MAX_LIVE_SUBSCRIPTION_BYTES);
    assert.match(refused.message, /select fewer fields/);
    assert.equal(reads, 0, "nothing was read for it");
    socket.subscribe("storefront", { query: STOREFRONT, variables: { orderId: "o1" } });
    await socket.waitFor((message) => message.type === "next" && message.id === "storefront");
    assert.equal(reads, 1);
    socket.close();
  });

  it("counts what a selection's parse holds: 100 subscriptions of 40 fields hold no more beside 100 of none than they weigh beside them, and a half more", async () => {
    const gateway = await start();
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-weighed"));
    let id = 0;
    /** The heap 100 subscriptions of `fields` fields hold, and what they weigh. */
    const follow = async (fields: number) => {
      let weight = 0;
      const before = heapAfterGc();
      for (let n = 1; n <= 100; n++) {
        const key = `s${++id}`;
        const query = selecting(fields, id);
        const variables = { o: `o${id}` };
        socket.subscribe(key, { query, variables });
        const answer = await socket.waitFor((message) => (message.type === "next" || message.type === "error") && message.id === key);
        assert.equal(answer.type, "next", JSON.stringify(answer));
        weight += liveSubscriptionWeight(key, query, variables, parse(query, { noLocation: true }));
      }
      return { held: heapAfterGc() - before, weight };
    };
    // The first hundred also grow what the process keeps once (its caches, the runtime's code).
    await follow(0);
    const bare = await follow(0);
    const rich = await follow(40);
    assert.equal(socket.closed, undefined);
    socket.close();
    // Every subscription holds 14-18 KB whatever it selects (the caps on sockets and subscriptions
    // bound that); what its selection adds is what the count must follow. Counted by their text
    // alone, the 40 fields weighed 11 KB more for 100 subscriptions, and held 1.2 MB more.
    const held = rich.held - bare.held;
    const weighed = rich.weight - bare.weight;
    assert.ok(held <= 1.5 * weighed, `40 fields more weighed ${(weighed / 1024).toFixed(0)} KB more for 100 subscriptions and held ${(held / 1024).toFixed(0)} KB more`);
  });

  it("refuses SERVICE_UNAVAILABLE a subscribe past the process's bytes by what the subscriptions hold parsed, not their text", async () => {
    const one = liveSubscriptionWeight("s1", selecting(40, 1), { o: "o1" }, parse(selecting(40, 1), { noLocation: true }));
    const gateway = await start({ maxLiveSubscriptionBytes: Math.floor(one * 4.5) });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-filled"));
    const codes: string[] = [];
    for (let n = 1; n <= 6; n++) {
      socket.subscribe(`s${n}`, { query: selecting(40, n), variables: { o: `o${n}` } });
      const answer = await socket.waitFor((message) => (message.type === "next" || message.type === "error") && message.id === `s${n}`);
      codes.push(answer.type === "next" ? "followed" : answer.payload[0].extensions.code);
    }
    assert.deepEqual(codes, ["followed", "followed", "followed", "followed", "SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"]);
    socket.close();
  });
});
