// Adversarial: a live subscription is kept for as long as its order is followed, its id, text
// and variables with it. What one may hold is bounded, so a client's sockets full of subscriptions
// padded with comments and unused variables cannot grow the gateway by megabytes each.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { MAX_LIVE_SUBSCRIPTION_BYTES, MAX_OPERATION_ID_LENGTH } from "../src/subscriptions/graphql-websocket.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import { waitFor } from "#kernel/testing";
import { parse } from "graphql";
import { liveSubscriptionWeight } from "../src/subscriptions/live-subscription-weight.js";

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
  it("refuses BAD_USER_INPUT an operation whose id is longer than 128 characters, subscription or query, reading nothing and keeping the socket", async () => {
    // 24 subscriptions with ids of 90 KB were kept beside 150 bytes of text each, uncounted,
    // and every status change sent each id again.
    let reads = 0;
    const gateway = await startWebSocketGateway({
      execute: async () => (reads++, { data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } }),
    });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-long-ids"));
    const long = (tag: string) => `${tag}-${"x".repeat(90_000)}`;
    socket.subscribe(long("live"), { query: FOLLOW, variables: { o: "o1" } });
    socket.subscribe(long("query"), { query: "{ __typename }" });
    for (const tag of ["live", "query"]) {
      const { error } = await socket.result(long(tag));
      const [refused] = (error?.payload ?? []) as { message: string; extensions: { code: string; limit: number } }[];
      assert.equal(refused?.extensions.code, "BAD_USER_INPUT", tag);
      assert.equal(refused.extensions.limit, MAX_OPERATION_ID_LENGTH);
    }
    assert.equal(reads, 0, "nothing was read for them");
    assert.equal(socket.closed, undefined, "the socket stays open");
    const uuid = "6f1c2a4e-8b7d-4c3e-9a1f-2d5e6b7c8a90";
    const longest = "i".repeat(MAX_OPERATION_ID_LENGTH);
    for (const id of [uuid, longest]) {
      socket.subscribe(id, { query: FOLLOW, variables: { o: "o1" } });
      await socket.waitFor((message) => message.type === "next" && message.id === id);
    }
    assert.equal(reads, 2);
    socket.close();
  });

  it("refuses SERVICE_UNAVAILABLE a subscribe past the bytes every socket's live subscriptions hold together, keeps the socket, and takes one again once one ends", async () => {
    let reads = 0;
    const padded = (n: number) => ({ query: `# ${"x".repeat(4_000)}\n${FOLLOW}`, variables: { o: `o${n}` } });
    const held = liveSubscriptionWeight("a", padded(1).query, padded(1).variables, parse(padded(1).query, { noLocation: true }));
    const gateway = await startWebSocketGateway({
      execute: async () => (reads++, { data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } }),
      // Room for two such subscriptions in the process, whoever holds them.
      limits: { maxLiveSubscriptionBytes: held * 2 + held / 2 },
    });
    cleanup = () => gateway.close();
    const first = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-first"));
    const second = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-second"));
    first.subscribe("a", padded(1));
    second.subscribe("b", padded(2));
    await first.waitFor((message) => message.type === "next" && message.id === "a");
    await second.waitFor((message) => message.type === "next" && message.id === "b");
    // A third customer, on a socket of its own: within its own caps, past the process's.
    const third = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-third"));
    third.subscribe("c", padded(3));
    const { next, error } = await third.result("c");
    assert.deepEqual(next, []);
    const [refused] = (error?.payload ?? []) as { extensions: { code: string; limit: number; retryAfterSeconds: number } }[];
    assert.equal(refused?.extensions.code, "SERVICE_UNAVAILABLE");
    assert.equal(refused.extensions.limit, held * 2 + held / 2);
    assert.ok(refused.extensions.retryAfterSeconds > 0);
    assert.equal(reads, 2, "nothing was read for it");
    assert.equal(third.closed, undefined, "the socket stays open");
    // One ends: its bytes are free again.
    first.send({ id: "a", type: "complete" });
    let tries = 0;
    await waitFor("the third subscribe is followed", async () => {
      const id = `c${++tries}`;
      third.subscribe(id, padded(3));
      const answer = await third.waitFor((message) => (message.type === "next" || message.type === "error") && message.id === id);
      return answer.type === "next";
    });
    first.close();
    second.close();
    third.close();
  });
});
