import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { PooledGraphQLDataSource } from "../src/performance/pooled-data-source.js";
import type { GatewayContext } from "../src/gateway-context.js";

describe("pooled data source: a client that went away", () => {
  const received: string[] = [];
  let server: Server;
  let source: PooledGraphQLDataSource;
  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push(body);
        res.writeHead(200, { "content-type": "application/json" }).end('{"data":{"ok":true}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
    source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
  });
  after(async () => {
    await source.close();
    server.close();
  });

  const call = (query: string, context: Partial<GatewayContext>) =>
    source.process({ kind: "incoming operation", request: { query, variables: {} }, context, incomingRequestContext: {}, pathInIncomingRequest: [] } as never);

  it("drops a read nobody waits for, and still sends and sees through a mutation", async () => {
    const gone = AbortSignal.abort();
    await assert.rejects(call("query { a }", { requestId: "r", caller: { key: "ip:k", network: "ip:k" }, signal: gone }), (error: Error) => error.name === "AbortError");
    const answer = await call("mutation { b }", { requestId: "r", caller: { key: "ip:k", network: "ip:k" }, signal: gone });
    assert.deepEqual(answer.data, { ok: true });
    assert.deepEqual(received.map((body) => JSON.parse(body).query), ["mutation { b }"]);
  });
});
