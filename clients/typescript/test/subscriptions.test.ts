// The subscription runtime against a scripted graphql-ws server: how it follows a stream across
// partial answers, transient failures, a gateway that ends the stream after one, and a socket
// that drops.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { waitFor } from "../../../kernel/src/testing/wait-for.js";
import { createSubscriptions } from "../src/subscriptions.js";
import type { StorefrontError } from "../src/storefront-error.js";
import { describeOperation } from "../src/operation-request.js";
import { parse } from "graphql";

const subscription = (query: string) => describeOperation(parse(query));

type Script = (send: (message: unknown) => void, socket: WebSocket, id: string) => void;

const order = (status: string, payment: { status: string } | null = { status: "SUCCEEDED" }) => ({ orderStatusChanged: { id: "ord_1", status, payment } });
const unavailable = [{ message: "A service this operation needs is unavailable for a moment; please retry", extensions: { code: "SERVICE_UNAVAILABLE" } }];

let server: WebSocketServer;
let url: string;
const scripts: Script[] = [];
let subscribes = 0;
const inits: unknown[] = [];

before(async () => {
  server = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: () => "graphql-transport-ws" });
  server.on("connection", (socket) => {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { type: string; id?: string };
      const send = (reply: unknown) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(reply));
      if (message.type === "connection_init") {
        inits.push((message as { payload?: unknown }).payload);
        send({ type: "connection_ack" });
      }
      if (message.type === "ping") send({ type: "pong" });
      if (message.type === "subscribe") scripts[subscribes++]?.(send, socket, message.id!);
    });
  });
  await new Promise((resolve) => server.once("listening", resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("follows an order across a partial answer, a transient failure the gateway ended the stream on, and a dropped socket, to its final status", async () => {
  scripts.push(
    // The current state, then an answer in part (payments down), then a failure the gateway gave up on.
    (send, _socket, id) => {
      send({ id, type: "next", payload: { data: order("PAID") } });
      send({ id, type: "next", payload: { data: order("PAID", null), errors: unavailable } });
      send({ id, type: "next", payload: { errors: unavailable } });
      send({ id, type: "complete" });
    },
    // Subscribed again: the current state, then the socket drops.
    (send, socket, id) => {
      send({ id, type: "next", payload: { data: order("SHIPPED") } });
      setTimeout(() => socket.terminate(), 50);
    },
    // Reconnected: the current state, a refusal for a moment, then on to the end.
    (send, _socket, id) => send({ id, type: "error", payload: [{ message: "Too many live subscriptions", extensions: { code: "RATE_LIMITED" } }] }),
    (send, _socket, id) => {
      send({ id, type: "next", payload: { data: order("DELIVERED") } });
      send({ id, type: "next", payload: { data: order("REFUNDED") } });
      send({ id, type: "complete" });
    },
  );
  const subscriptions = createSubscriptions({ url, webSocketImpl: WebSocket, retryBaseDelayMs: 20, accessToken: async () => "token" });
  const seen: string[] = [];
  const problems: StorefrontError[] = [];
  let reconnects = 0;
  let completed = false;
  let failure: StorefrontError | undefined;
  subscriptions.subscribe<ReturnType<typeof order>>(subscription(`subscription { orderStatusChanged(orderId: "ord_1") { id status payment { status } } }`), {}, {
    next: (data) => void seen.push(data.orderStatusChanged.status),
    problem: (error) => void problems.push(error),
    reconnecting: () => void reconnects++,
    error: (error) => void (failure = error),
    complete: () => void (completed = true),
  });
  try {
    await waitFor("the stream completes", () => completed || failure !== undefined, { timeoutMs: 10_000 });
    assert.equal(failure, undefined, failure?.message);
    assert.deepEqual(seen, ["PAID", "PAID", "SHIPPED", "DELIVERED", "REFUNDED"]);
    assert.deepEqual(problems.map((p) => p.code), ["SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"]);
    assert.ok(reconnects >= 3, `reconnecting told ${reconnects} times`);
    assert.equal(subscribes, 4, "subscribed again after the ended stream, the drop and the refusal");

    // An order this subscriber cannot follow is not retried: the stream ends with its code.
    scripts.push((send, _socket, id) => {
      send({ id, type: "next", payload: { errors: [{ message: "Order ord_x was not found", extensions: { code: "NOT_FOUND" } }] } });
      send({ id, type: "complete" });
    });
    const missing = await new Promise<StorefrontError>((resolve) => {
      subscriptions.subscribe(subscription(`subscription { orderStatusChanged(orderId: "ord_x") { id } }`), {}, { next: () => undefined, error: resolve });
    });
    assert.equal(missing.code, "NOT_FOUND");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(subscribes, 5, "not subscribed again");
  } finally {
    await subscriptions.dispose();
  }
});

test("follows an order past its access token's expiry: the socket closed 4401 is reopened once with the renewed token", async () => {
  const start = subscribes;
  const initsBefore = inits.length;
  scripts[start] = (send, socket, id) => {
    send({ id, type: "next", payload: { data: order("PAID") } });
    setTimeout(() => socket.close(4401, "The access token expired; reconnect with a fresh one"), 20);
  };
  scripts[start + 1] = (send, _socket, id) => {
    send({ id, type: "next", payload: { data: order("SHIPPED") } });
    send({ id, type: "complete" });
  };
  // The session keeper renews an expired token when asked for one: the second socket gets it.
  const tokens = ["token-1", "token-2"];
  const subscriptions = createSubscriptions({ url, webSocketImpl: WebSocket, retryBaseDelayMs: 20, accessToken: async () => (tokens.length > 1 ? tokens.shift() : tokens[0]) });
  const seen: string[] = [];
  let completed = false;
  let failure: StorefrontError | undefined;
  subscriptions.subscribe<ReturnType<typeof order>>(subscription(`subscription { orderStatusChanged(orderId: "ord_1") { id status payment { status } } }`), {}, {
    next: (data) => void seen.push(data.orderStatusChanged.status),
    error: (error) => void (failure = error),
    complete: () => void (completed = true),
  });
  try {
    await waitFor("the stream completes or fails", () => completed || failure !== undefined, { timeoutMs: 10_000 });
    assert.equal(failure, undefined, failure?.message);
    assert.deepEqual(seen, ["PAID", "SHIPPED"]);
    assert.deepEqual(inits.slice(initsBefore), [{ Authorization: "Bearer token-1" }, { Authorization: "Bearer token-2" }]);
  } finally {
    await subscriptions.dispose();
  }
});

test("renews a token still in date that the gateway refused (4401) before the socket reopens, as HTTP does", async () => {
  const start = subscribes;
  const initsBefore = inits.length;
  scripts[start] = (_send, socket) => setTimeout(() => socket.close(4401, "This session has ended (logged out, or the password was reset); sign in again"), 10);
  scripts[start + 1] = (send, _socket, id) => {
    send({ id, type: "next", payload: { data: order("PAID") } });
    send({ id, type: "complete" });
  };
  // The token is not near its expiry, so asking for it again gives the same one: only a renewal changes it.
  let current = "in-date-token";
  const subscriptions = createSubscriptions({
    url,
    webSocketImpl: WebSocket,
    retryBaseDelayMs: 20,
    accessToken: async () => current,
    renew: async () => void (current = "renewed-token"),
  });
  let completed = false;
  let failure: StorefrontError | undefined;
  subscriptions.subscribe(subscription(`subscription { orderStatusChanged(orderId: "ord_1") { id status payment { status } } }`), {}, {
    next: () => undefined,
    error: (error) => void (failure = error),
    complete: () => void (completed = true),
  });
  try {
    await waitFor("the stream completes or fails", () => completed || failure !== undefined, { timeoutMs: 10_000 });
    assert.equal(failure, undefined, failure?.message);
    assert.deepEqual(inits.slice(initsBefore), [{ Authorization: "Bearer in-date-token" }, { Authorization: "Bearer renewed-token" }]);
  } finally {
    await subscriptions.dispose();
  }
});

test("fails with UNAUTHENTICATED, once, when the reopened socket is closed 4401 again (an ended session renews nothing)", async () => {
  const start = subscribes;
  const closeAtOnce: Script = (_send, socket) => setTimeout(() => socket.close(4401, "This session has ended (logged out, or the password was reset); sign in again"), 10);
  scripts[start] = closeAtOnce;
  scripts[start + 1] = closeAtOnce;
  scripts[start + 2] = closeAtOnce;
  const subscriptions = createSubscriptions({ url, webSocketImpl: WebSocket, retryBaseDelayMs: 20, accessToken: async () => "ended-session-token" });
  let failure: StorefrontError | undefined;
  subscriptions.subscribe(subscription(`subscription { orderStatusChanged(orderId: "ord_1") { id status } }`), {}, { next: () => undefined, error: (error) => void (failure = error) });
  try {
    await waitFor("the subscription fails", () => failure !== undefined, { timeoutMs: 10_000 });
    assert.equal(failure!.code, "UNAUTHENTICATED");
    assert.match(failure!.message, /session has ended/);
    assert.equal(subscribes - start, 2, "subscribed again once, not in a loop");
  } finally {
    await subscriptions.dispose();
  }
});
