// Adversarial: an operation the request does not choose, or a fragment nothing it runs spreads,
// is held to the depth, alias and repeat limits over WebSocket as over HTTP: a subscribe message
// carrying one is refused QUERY_TOO_COMPLEX and runs nothing.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { policyWithCostBudget } from "./support/cost-budget-policy.js";

const ids = (n: number) => "id ".repeat(n);

describe("whole-document limits over WebSocket", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  const documents: [string, { query: string; operationName?: string }][] = [
    ["an unchosen operation repeating a field", { query: `query A { __typename } query B { product(id: "p") { ${ids(900)}} }`, operationName: "A" }],
    ["a fragment nothing spreads", { query: `query A { __typename } fragment F on Query { product(id: "p") { ${ids(900)}} }` }],
  ];
  for (const [name, payload] of documents) {
    it(`refuses ${name} QUERY_TOO_COMPLEX and runs nothing`, async () => {
      const executed: unknown[] = [];
      const gateway = await startWebSocketGateway({
        execute: async (request: unknown) => (executed.push(request), { data: { __typename: "Query" } }),
        policy: policyWithCostBudget(100_000),
      });
      cleanup = () => gateway.close();
      const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-whole"));
      socket.subscribe("q", payload);
      const { next, error } = await socket.result("q");
      assert.deepEqual(next, []);
      const [refused] = (error?.payload ?? []) as { message: string; extensions: { code: string } }[];
      assert.equal(refused?.extensions.code, "QUERY_TOO_COMPLEX", JSON.stringify(error));
      assert.match(refused!.message, /an operation or fragment the request does not run/);
      assert.deepEqual(executed, []);
      // The socket stays open and serves the chosen operation alone.
      socket.subscribe("ok", { query: "query A { __typename }" });
      assert.deepEqual((await socket.result("ok")).next[0]!.payload, { data: { __typename: "Query" } });
      socket.close();
    });
  }

  const longName = "L".repeat(200);
  const longNames: [string, { query: string; operationName?: string }][] = [
    ["an operation name", { query: `subscription ${longName} { __typename }` }],
    ["an alias at the root", { query: `query { ${longName}: __typename }` }],
    ["a fragment spread at the root", { query: `query { ...${longName} } fragment ${longName} on Query { __typename }` }],
    ["an enum value", { query: `query { products(sort: { field: ${longName} }) { totalCount } }` }],
  ];
  for (const [name, payload] of longNames) {
    it(`refuses ${name} over 128 characters as a syntax error, as over HTTP, and runs nothing`, async () => {
      const executed: unknown[] = [];
      const gateway = await startWebSocketGateway({
        execute: async (request: unknown) => (executed.push(request), { data: { __typename: "Query" } }),
        policy: policyWithCostBudget(100_000),
      });
      cleanup = () => gateway.close();
      const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-names"));
      socket.subscribe("long", payload);
      const { next, error } = await socket.result("long");
      assert.deepEqual(next, []);
      const [refused] = (error?.payload ?? []) as { message: string; extensions: { code: string } }[];
      assert.equal(refused?.extensions.code, "GRAPHQL_PARSE_FAILED", JSON.stringify(error));
      assert.match(refused!.message, /at most 128 characters; this one has 200/);
      assert.ok(!JSON.stringify(error).includes(longName), "the name is not echoed back");
      assert.deepEqual(executed, []);
      socket.subscribe("ok", { query: "query A { __typename }" });
      assert.deepEqual((await socket.result("ok")).next[0]!.payload, { data: { __typename: "Query" } });
      socket.close();
    });
  }
});
