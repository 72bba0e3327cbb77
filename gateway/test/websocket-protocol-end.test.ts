// A WebSocket ends when its protocol does: a close frame either way, a FIN without one, an
// error. What it held in the gateway (its place in its address's cap, its live subscriptions)
// is given back then, while its TCP socket may linger to deliver what its client has not read,
// and is reset once the linger is over: a client that stopped reading and went away (a FIN,
// or a close frame and no more) left what was pushed to it in the gateway's kernel for as long
// as its window stayed shut, and one that closed without reading the answer held its place 5 s.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { heldForConnection, waitFor } from "#kernel/testing";
import { STATUS_PROBE_ALIAS } from "../src/subscriptions/subscription-to-query.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { TcpGraphQLWebSocket } from "./support/tcp-graphql-websocket.js";

const FOLLOW = "subscription($o: ID!) { orderStatusChanged(orderId: $o) { status } }";

/** Each read of the order answers a status of 60 KB, new each time, so each change is pushed. */
function changingOrder() {
  let reads = 0;
  return async () => {
    reads += 1;
    const status = `PAID ${reads} ${"x".repeat(60_000)}`;
    return { data: { orderStatusChanged: { status, [STATUS_PROBE_ALIAS]: "PAID" } } };
  };
}

/** A gateway whose HTTP server is guarded as the gateway's own is, one WebSocket and one live subscription an address and customer. */
function gatewayOfOnePlace(closeLingerMs: number, stalledReaderMs = 600_000) {
  return startWebSocketGateway({
    execute: changingOrder(),
    limits: { maxConnectionsPerClient: 1, maxSubscriptionsPerUser: 1 },
    guards: { maxConnections: 100, closeLingerMs, stalledReaderMs },
  });
}

type Gateway = Awaited<ReturnType<typeof gatewayOfOnePlace>>;

/** A customer's socket following the order, its first status read. */
async function following(gateway: Gateway, userId: string): Promise<TcpGraphQLWebSocket> {
  const socket = await TcpGraphQLWebSocket.connect(gateway.url, await gateway.token(userId));
  socket.subscribe("live", { query: FOLLOW, variables: { o: "o1" } });
  await socket.waitFor((message) => message.id === "live" && message.type === "next");
  return socket;
}

/** Stops reading, then has status changes pushed until the gateway's kernel holds some of them for the socket. */
async function leaveUnread(gateway: Gateway, socket: TcpGraphQLWebSocket): Promise<void> {
  const port = Number(new URL(gateway.url).port);
  socket.stopReading();
  await waitFor(
    "the gateway's kernel holds pushes the client has not taken",
    async () => {
      gateway.orderChanged();
      return (await heldForConnection(port, socket.localPort)) > 100_000;
    },
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}

const heldFor = (gateway: Gateway, socket: TcpGraphQLWebSocket) => heldForConnection(Number(new URL(gateway.url).port), socket.localPort);

describe("a WebSocket whose protocol has ended", () => {
  it("gives its place in its address's cap and its live subscription back at its client's close frame, though the client never closes its connection", async () => {
    // Before, ws waited for the client's FIN, and the place was held until the unanswered
    // close was cut 5 s later: a client reconnecting at once was refused 1013.
    const gateway = await gatewayOfOnePlace(60_000);
    const sockets: TcpGraphQLWebSocket[] = [];
    try {
      const first = await following(gateway, "u-close-frame");
      sockets.push(first);
      assert.equal(gateway.following(), 1);
      first.sendClose();
      await waitFor("the gateway answered the close frame", () => first.closeFrame !== undefined);
      const second = await following(gateway, "u-close-frame");
      sockets.push(second);
      assert.equal(gateway.following(), 1, "the first socket's subscription was given back, the second's taken");
    } finally {
      for (const socket of sockets) socket.destroy();
      await gateway.close();
    }
  });

  it("gives its place and its live subscription back at its client's FIN, while its socket lingers to deliver what is left", async () => {
    // Before, the place went with the TCP socket: lingering, it was held as long as the linger.
    const gateway = await gatewayOfOnePlace(60_000);
    const sockets: TcpGraphQLWebSocket[] = [];
    try {
      const first = await following(gateway, "u-fin");
      sockets.push(first);
      await leaveUnread(gateway, first);
      first.finish();
      const second = await following(gateway, "u-fin");
      sockets.push(second);
      assert.equal(gateway.following(), 1, "the first socket's subscription was given back, the second's taken");
      assert.equal(await gateway.sockets(), 2, "the first socket still lingers, its unread pushes still deliverable");
      assert.ok((await heldFor(gateway, first)) > 0, "what the first client left unread is still held while its socket lingers");
    } finally {
      for (const socket of sockets) socket.destroy();
      await gateway.close();
    }
  });

  for (const ending of ["a FIN without a close frame", "a close frame and no more reading"] as const) {
    it(`drops what was pushed to a client that ends with ${ending} and reads nothing, once its socket has lingered`, async () => {
      // Before, the socket closed as ws let go of it, and the kernel kept the unread pushes
      // (FIN-WAIT-1) for as long as the client's window stayed shut.
      const gateway = await gatewayOfOnePlace(300);
      const socket = await following(gateway, ending === "a FIN without a close frame" ? "u-fin-unread" : "u-close-unread");
      try {
        await leaveUnread(gateway, socket);
        if (ending === "a FIN without a close frame") socket.finish();
        else socket.sendClose();
        await waitFor("the gateway's kernel holds nothing for the client", async () => (await heldFor(gateway, socket)) === 0, { timeoutMs: 20_000, intervalMs: 100 });
        assert.equal(gateway.following(), 0);
        assert.equal(await gateway.sockets(), 0);
      } finally {
        socket.destroy();
        await gateway.close();
      }
    });
  }

  it("never has one address's clients that each end without reading refused their place or parking their pushes in the kernel, however many come one after another", async () => {
    const gateway = await gatewayOfOnePlace(300);
    const sockets: TcpGraphQLWebSocket[] = [];
    try {
      // Three times the address's place, each reconnecting at once as the one before ends.
      for (let i = 0; i < 3; i++) {
        const socket = await following(gateway, "u-many");
        sockets.push(socket);
        await leaveUnread(gateway, socket);
        if (i % 2 === 0) socket.finish();
        else socket.sendClose();
      }
      await waitFor(
        "the gateway's kernel holds nothing for any of them",
        async () => (await Promise.all(sockets.map((socket) => heldFor(gateway, socket)))).every((held) => held === 0),
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      assert.equal(gateway.following(), 0);
      assert.equal(await gateway.sockets(), 0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await gateway.close();
    }
  });
});

describe("a WebSocket whose client stops reading while it is open", () => {
  it("is reset once its client has taken nothing for the stall deadline: its pushes leave the kernel, its place and live subscription are given back", async () => {
    // No close frame and no FIN: the stall watch alone ends it, before any keep-alive ping
    // goes unanswered.
    const gateway = await gatewayOfOnePlace(60_000, 500);
    const sockets: TcpGraphQLWebSocket[] = [];
    try {
      const stalled = await following(gateway, "u-stalled");
      sockets.push(stalled);
      await leaveUnread(gateway, stalled);
      await waitFor("the gateway's kernel holds nothing for the client", async () => (await heldFor(gateway, stalled)) === 0, { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(gateway.following(), 0);
      assert.equal(await gateway.sockets(), 0);
      const next = await following(gateway, "u-stalled");
      sockets.push(next);
      assert.equal(gateway.following(), 1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await gateway.close();
    }
  });
});
