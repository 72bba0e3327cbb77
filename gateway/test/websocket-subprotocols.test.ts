// A client speaking another protocol than graphql-ws's (Apollo's retired WebSocketLink and
// subscriptions-transport-ws, which ask for the subprotocol "graphql-ws") was answered by a
// handshake naming no subprotocol: ws and every browser fail such a handshake themselves, so
// the developer saw "Server sent no subprotocol" or a bare 1006 and nothing saying why.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

interface Outcome {
  protocol: string;
  messages: unknown[];
  closeCode: number;
  closeReason: string;
}

/** Opens a socket offering `protocols`, sends what a client of that protocol sends first, and reads what comes back until the close. */
function openWith(url: string, protocols: string[], first?: unknown): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), protocols);
    const messages: unknown[] = [];
    socket.on("open", () => {
      if (first !== undefined) socket.send(JSON.stringify(first));
    });
    socket.on("message", (data) => messages.push(JSON.parse(String(data))));
    socket.on("close", (code, reason) => resolve({ protocol: socket.protocol, messages, closeCode: code, closeReason: String(reason) }));
    socket.on("error", reject);
  });
}

describe("WebSocket subprotocols", () => {
  it("a client of subscriptions-transport-ws opens, is told in its own protocol's connection_error to use graphql-ws, and is closed 4406 saying so", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: {} }) });
    try {
      const outcome = await openWith(gateway.url, ["graphql-ws"], { type: "connection_init", payload: {} });
      assert.equal(outcome.protocol, "graphql-ws");
      assert.equal(outcome.closeCode, 4406);
      assert.match(outcome.closeReason, /graphql-transport-ws/);
      assert.ok(Buffer.byteLength(outcome.closeReason) <= 123);
      const [error] = outcome.messages as { type: string; payload: { message: string; extensions: { code: string } } }[];
      assert.equal(error?.type, "connection_error");
      assert.equal(error.payload.extensions.code, "OPERATION_NOT_ALLOWED");
      assert.match(error.payload.message, /subscriptions-transport-ws/);
      assert.match(error.payload.message, /graphql-transport-ws/);
    } finally {
      await gateway.close();
    }
  });

  it("a socket offering another subprotocol, or none, is closed 4406 with a reason naming the one served", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: {} }) });
    try {
      for (const offered of [["graphql"], ["wamp", "mqtt"], []]) {
        const outcome = await openWith(gateway.url, offered);
        assert.equal(outcome.protocol, offered[0] ?? "", JSON.stringify(offered));
        assert.equal(outcome.closeCode, 4406, JSON.stringify(offered));
        assert.match(outcome.closeReason, /graphql-transport-ws/, JSON.stringify(offered));
        assert.deepEqual(outcome.messages, [], JSON.stringify(offered));
      }
      // The protocol served is chosen among others offered with it.
      const served = await new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(gateway.url.replace(/^http/, "ws"), ["graphql-ws", "graphql-transport-ws"]);
        socket.on("open", () => {
          resolve(socket.protocol);
          socket.close();
        });
        socket.on("error", reject);
      });
      assert.equal(served, "graphql-transport-ws");
    } finally {
      await gateway.close();
    }
  });
});
