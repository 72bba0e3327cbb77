// A WebSocket message whose JSON nests deep (49,000 arrays in 100 KB) overflowed the stack of
// graphql-ws's parse: the socket closed as the server's failure (4500) with an error logged for
// each message, and parsing the HTTP body of the same shape cost 40 times a flat one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("WebSocket messages nested too deep", () => {
  it("close the socket as the client's bad message (4400, saying why), before and after connection_init, and leave others served", async () => {
    const gateway = await startWebSocketGateway({ execute: async () => ({ data: { __typename: "Query" } }) });
    try {
      const beforeInit = await RawGraphQLSocket.open(gateway.url);
      beforeInit.socket.send(`{"type":"connection_init","payload":{"a":${nested(40_000)}}}`);
      const refused = await beforeInit.closedWith();
      assert.equal(refused.code, 4400);
      assert.match(refused.reason, /nests deeper than \d+ levels/);

      const afterInit = await RawGraphQLSocket.connect(gateway.url);
      afterInit.socket.send(`{"type":"subscribe","id":"1","payload":{"query":"{ __typename }","variables":{"a":${nested(40_000)}}}}`);
      assert.equal((await afterInit.closedWith()).code, 4400);

      // Nesting a request needs (variables 16 deep) passes.
      const fine = await RawGraphQLSocket.connect(gateway.url);
      fine.socket.send(`{"type":"subscribe","id":"1","payload":{"query":"{ __typename }","variables":{"a":${nested(16)}}}}`);
      const { next } = await fine.result("1");
      assert.deepEqual(next[0]!.payload, { data: { __typename: "Query" } });
      fine.close();
    } finally {
      await gateway.close();
    }
  });
});
