// WebSocket ping and pong frames are messages a client sends like any other. ws answered each
// ping itself, outside the socket guard: a burst of 300 pings in one packet had the socket cut
// with no close frame (1006, ws's cap of 60 unsent pongs), unlogged and uncounted, while a
// client that read its pongs could ping without limit.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const pongsOf = (raw: RawGraphQLSocket) => {
  const seen = { count: 0 };
  raw.socket.on("pong", () => (seen.count += 1));
  return seen;
};

describe("WebSocket ping and pong frames", () => {
  for (const frame of ["ping", "pong"] as const) {
    it(`closes a socket bursting ${frame} frames with 1008 and the message rate, as a message flood is`, async () => {
      const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }), limits: { maxMessagesPerSecond: 100 } });
      try {
        const flooding = await RawGraphQLSocket.connect(gateway.url);
        for (let i = 0; i < 300; i++) flooding.socket[frame](Buffer.alloc(125, 1));
        assert.deepEqual(await flooding.closedWith(), { code: 1008, reason: "Too many messages (at most 100 a second)" });
      } finally {
        await gateway.close();
      }
    });
  }

  it("answers every ping within the rate, and the socket goes on serving operations", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }), limits: { maxMessagesPerSecond: 100 } });
    try {
      const raw = await RawGraphQLSocket.connect(gateway.url);
      const pongs = pongsOf(raw);
      for (let i = 0; i < 20; i++) raw.socket.ping(Buffer.from(`ping ${i}`));
      raw.subscribe("1", { query: "{ __typename }" });
      const { next } = await raw.result("1");
      assert.deepEqual(next[0]!.payload, { data: { __typename: "Query" } });
      for (let waited = 0; pongs.count < 20 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(pongs.count, 20);
      assert.equal(raw.closed, undefined);
      raw.close();
    } finally {
      await gateway.close();
    }
  });
});
