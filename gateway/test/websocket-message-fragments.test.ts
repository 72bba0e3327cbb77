// A WebSocket message may come in many frames, each parsed as it arrives, while the socket guard
// counts whole messages: a ping cut into 16,000 empty frames cost the gateway 5.6 times what the
// same bytes in one frame did, within the message rate.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { MAX_MESSAGE_FRAGMENTS } from "../src/subscriptions/graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

/** Sends `message` as text cut into `frames` frames, all but the first continuation frames. */
function sendInFrames(raw: RawGraphQLSocket, message: unknown, frames: number): void {
  const text = Buffer.from(JSON.stringify(message));
  const cut = Math.min(frames - 1, text.length - 1);
  for (let i = 0; i < frames - 1; i++) raw.socket.send(i < cut ? text.subarray(i, i + 1) : Buffer.alloc(0), { binary: false, fin: false });
  raw.socket.send(text.subarray(cut), { binary: false, fin: true });
}

describe("WebSocket messages in many frames", () => {
  it("closes a socket sending a message in more frames than any client cuts one into (1008), serving nothing of it", async () => {
    let executed = 0;
    const gateway = await startWebSocketGateway({ execute: async () => ((executed += 1), { data: { __typename: "Query" } }) });
    try {
      const raw = await RawGraphQLSocket.connect(gateway.url);
      sendInFrames(raw, { id: "1", type: "subscribe", payload: { query: "{ __typename }" } }, 1_000);
      assert.equal((await raw.closedWith()).code, 1008);
      assert.equal(raw.messages.filter((message) => message.id === "1").length, 0);
      assert.equal(executed, 0);
    } finally {
      await gateway.close();
    }
  });

  it(`serves a message a proxy cut into pieces, up to ${MAX_MESSAGE_FRAGMENTS} frames`, async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }) });
    try {
      const raw = await RawGraphQLSocket.connect(gateway.url);
      sendInFrames(raw, { id: "1", type: "subscribe", payload: { query: "{ __typename }" } }, MAX_MESSAGE_FRAGMENTS);
      const { next } = await raw.result("1");
      assert.deepEqual(next[0]!.payload, { data: { __typename: "Query" } });
      assert.equal(raw.closed, undefined);
      raw.close();
    } finally {
      await gateway.close();
    }
  });
});
