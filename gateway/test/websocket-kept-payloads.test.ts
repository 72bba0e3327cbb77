// Adversarial: graphql-ws keeps a socket's connection_init payload for as long as the socket is
// open, and a subscribe message for as long as its subscription lives. The gateway reads only the
// authorization of the one and the query, operation name, variables and persisted-query hash of
// the other, and counts only those: anything else a client pads them with must not be held.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import { heapAfterGc, MB } from "../../test/support/heap-after-gc.js";


/** 95 KB of JSON that parses into 32,000 empty objects: about 2 MB of heap held whole. */
const padding = () => Array.from({ length: 32_000 }, () => ({}));
const FOLLOW = "subscription($o: ID!) { orderStatusChanged(orderId: $o) { status } }";
const SOCKETS = 12;

describe("what the gateway holds of a WebSocket client's messages", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("holds nothing of a connection_init payload but its authorization, for as long as the socket is open", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }) });
    cleanup = () => gateway.close();
    const token = await gateway.token("u-padded-init");
    const sockets: RawGraphQLSocket[] = [];
    // Warm: the first socket's server-side machinery is not what is weighed.
    sockets.push(await RawGraphQLSocket.connect(gateway.url, token));
    const before = heapAfterGc();
    for (let i = 0; i < SOCKETS; i++) {
      const socket = await RawGraphQLSocket.open(gateway.url);
      socket.send({ type: "connection_init", payload: { authorization: `Bearer ${token}`, padding: padding() } });
      await socket.waitFor((message) => message.type === "connection_ack");
      sockets.push(socket);
    }
    const grown = heapAfterGc() - before;
    // Each socket still serves what it is signed in for.
    const last = sockets.at(-1)!;
    last.subscribe("q", { query: "{ __typename }" });
    assert.deepEqual((await last.result("q")).next[0]!.payload, { data: { __typename: "Query" } });
    for (const socket of sockets) socket.close();
    // Held whole, 12 sockets kept 24 MB (16 sockets of one address, 32 MB; an IPv6 site's 256, 512 MB).
    assert.ok(grown < 4 * MB, `${SOCKETS} open sockets grew the heap by ${(grown / MB).toFixed(1)} MB`);
  });

  it("holds nothing of a live subscription's subscribe message but what it counts, for as long as the order is followed", async () => {
    const gateway = await startWebSocketGateway({
      execute: async () => ({ data: { orderStatusChanged: { status: "PAID", [STATUS_PROBE_ALIAS]: "PAID" } } }),
      limits: { maxSubscriptionsPerUser: SOCKETS + 1 },
    });
    cleanup = () => gateway.close();
    const token = await gateway.token("u-padded-follow");
    const warm = await RawGraphQLSocket.connect(gateway.url, token);
    warm.subscribe("warm", { query: FOLLOW, variables: { o: "o0" } });
    await warm.waitFor((message) => message.type === "next" && message.id === "warm");
    // Two subscribes a socket: a socket takes two of the largest message at once.
    const sockets = await Promise.all(Array.from({ length: SOCKETS / 2 }, () => RawGraphQLSocket.connect(gateway.url, token)));
    const before = heapAfterGc();
    for (const [n, socket] of sockets.entries()) {
      // Padded where the gateway reads nothing: an extension of no meaning, and a key of no meaning.
      socket.subscribe(`e${n}`, { query: FOLLOW, variables: { o: `o${n}` }, extensions: { padding: padding() } });
      socket.subscribe(`k${n}`, { query: FOLLOW, variables: { o: `o${n}` }, padding: padding() });
      for (const id of [`e${n}`, `k${n}`]) await socket.waitFor((message) => message.type === "next" && message.id === id);
    }
    const grown = heapAfterGc() - before;
    for (const socket of [warm, ...sockets]) {
      assert.equal(socket.closed, undefined);
      socket.close();
    }
    // Held whole, 12 subscriptions kept 24 MB, uncounted by the live subscription bytes.
    assert.ok(grown < 4 * MB, `${SOCKETS} live subscriptions grew the heap by ${(grown / MB).toFixed(1)} MB`);
  });
});
