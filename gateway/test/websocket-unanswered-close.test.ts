// A close the server begins waits for the client's answer. ws waits 30 s for it: a client that
// never answered held its socket, and one of its address's capped places, that long after
// graphql-ws closed it for sending no connection_init within 3 s.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

describe("a close the client never answers", () => {
  it("cuts a socket that sent no connection_init and never answers the close frame, where ws held it 30 s more", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }) });
    const { port } = new URL(gateway.url);
    const socket = connect({ port: Number(port), host: "127.0.0.1" });
    try {
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const received: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write(
        "GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
      );
      // graphql-ws's 3 s for connection_init and the 5 s a close may wait for its answer, with
      // room for a loaded machine, well short of ws's 30 s.
      const cut = await Promise.race([closed.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000))]);
      assert.ok(cut, "the socket was cut once its close went unanswered");
      const bytes = Buffer.concat(received);
      // The close frame, 4408 and its reason, reached the client before the cut.
      const frame = bytes.subarray(bytes.indexOf("\r\n\r\n") + 4);
      assert.equal(frame[0], 0x88, "a close frame was sent");
      assert.equal(frame.readUInt16BE(2), 4408);
    } finally {
      socket.destroy();
      await gateway.close();
    }
  });
});
