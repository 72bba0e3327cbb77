// The socket guard counted messages, not what they weigh: a graphql-ws ping, pong or complete
// spends no budget yet may be as large as a subscribe, and each is received, checked and parsed
// (a ping's payload echoed back). 16 sockets of one address sending 45 pings of 99 KB a second,
// within the message rate, held 44% of a gateway core.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WebSocketServer } from "ws";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "#kernel";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { serveGraphQLOverWebSocket } from "../src/subscriptions/websocket-transport.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const LARGE = "x".repeat(60_000);

/** Message types that spend no budget, each carrying 60 KB. */
const unbudgeted: Record<string, (i: number) => unknown> = {
  ping: () => ({ type: "ping", payload: { filler: LARGE } }),
  pong: () => ({ type: "pong", payload: { filler: LARGE } }),
  complete: (i) => ({ type: "complete", id: `${LARGE}${i}` }),
};

describe("WebSocket bytes a second", () => {
  for (const [type, message] of Object.entries(unbudgeted)) {
    it(`closes a socket sending more bytes a second than its largest message in ${type} messages, within the message rate (1008)`, async () => {
      const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }), limits: { maxMessagesPerSecond: 100 } });
      try {
        const raw = await RawGraphQLSocket.connect(gateway.url);
        // 300 KB in five messages: a twentieth of the message rate, beyond the burst of two seconds' bytes.
        for (let i = 0; i < 5; i++) raw.send(message(i));
        assert.deepEqual(await raw.closedWith(), { code: 1008, reason: "Too many bytes (at most 100000 a second)" });
        assert.ok(raw.messages.filter((m) => m.type === "pong").length <= 3, "at most the first three pings are answered");
      } finally {
        await gateway.close();
      }
    });
  }

  it("serves messages of nearly the largest size sent a second apart", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }) });
    try {
      const raw = await RawGraphQLSocket.connect(gateway.url);
      const query = `{ __typename } # ${"x".repeat(95_000)}`;
      raw.subscribe("1", { query });
      assert.deepEqual((await raw.result("1")).next[0]!.payload, { data: { __typename: "Query" } });
      for (const id of ["2", "3", "4"]) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        raw.subscribe(id, { query });
        assert.deepEqual((await raw.result(id)).next[0]!.payload, { data: { __typename: "Query" } });
      }
      assert.equal(raw.closed, undefined);
      raw.close();
    } finally {
      await gateway.close();
    }
  });

  it("handles nothing a socket sent after the message that had it closed, though it arrived with it", async () => {
    const httpServer = createServer();
    const wsServer = new WebSocketServer({ server: httpServer });
    // As the socket guard does, before the protocol's own listener: the third message closes it.
    wsServer.on("connection", (socket) => {
      let seen = 0;
      socket.on("message", () => {
        if (++seen === 3) socket.close(1008, "Too many messages");
      });
    });
    let pingsHandled = 0;
    const served = serveGraphQLOverWebSocket(wsServer, { onPing: () => void (pingsHandled += 1) }, createLogger("silent"), (socket, request) => ({ socket, request }));
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    try {
      const raw = await RawGraphQLSocket.connect(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`);
      // Sent at once: the pings reach the server with, or right after, the one that closed it.
      for (let i = 0; i < 20; i++) raw.send({ type: "ping" });
      assert.equal((await raw.closedWith()).code, 1008);
      // connection_init, then one ping; the third message closed it.
      assert.equal(pingsHandled, 1);
    } finally {
      await served.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  });
});
