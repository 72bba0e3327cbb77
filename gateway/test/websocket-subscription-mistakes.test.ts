// A live subscription is run as an `order` query the gateway writes; the mistakes a client
// makes in its subscription are told in its own words, at places in its own text, and the
// gateway's own alias never shows.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, describe, it } from "node:test";
import { Supergraph } from "@apollo/federation-internals";
import { execute as executeGraphQL, parse, print, type DocumentNode, type ExecutionResult } from "graphql";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { startWebSocketGateway } from "./support/websocket-gateway.js";
import { planLiveOrder } from "../src/subscriptions/live-order-results.js";

const schema = Supergraph.build(readFileSync("schema/supergraph.graphql", "utf8")).apiSchema().toGraphQLJSSchema();

describe("a live subscription's mistakes", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("are its own document's, at its own lines and columns, never the gateway's order query or alias", async () => {
    const ran: string[] = [];
    // The live query runs against the API schema, over one order.
    const execute = async (request: { query: unknown }): Promise<ExecutionResult> => {
      ran.push(print(request.query as DocumentNode));
      const answer = await executeGraphQL({ schema, document: request.query as DocumentNode, rootValue: { order: { id: "o1", status: "PAID" } } });
      return JSON.parse(JSON.stringify(answer)) as ExecutionResult;
    };
    const gateway = await startWebSocketGateway({ execute, schema });
    cleanup = () => gateway.close();
    const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-mistakes"));
    const cases: [string, Record<string, unknown>, string, RegExp, { line: number; column: number }[] | undefined][] = [
      ["field", { query: 'subscription { orderStatusChanged(orderId: "o1") { nope } }' }, "GRAPHQL_VALIDATION_FAILED", /Cannot query field "nope" on type "Order"/, [{ line: 1, column: 52 }]],
      ["argument", { query: 'subscription {\n  orderStatusChanged(orderId: "o1", foo: 1) { status }\n}' }, "GRAPHQL_VALIDATION_FAILED", /Unknown argument "foo" on field "Subscription.orderStatusChanged"/, [{ line: 2, column: 37 }]],
      ["variable", { query: "subscription Follow($id: ID!) { orderStatusChanged(orderId: $id) { status } }", variables: { id: { a: 1 } } }, "BAD_USER_INPUT", /Variable "\$id" got invalid value/, [{ line: 1, column: 21 }]],
    ];
    for (const [id, payload, code, message, locations] of cases) {
      socket.subscribe(id, payload);
      const { next, error } = await socket.result(id);
      assert.deepEqual(next, [], id);
      const [mistake] = error!.payload as { message: string; locations?: unknown; extensions: { code: string } }[];
      assert.equal(mistake!.extensions.code, code, id);
      assert.match(mistake!.message, message, id);
      assert.deepEqual(mistake!.locations, locations, id);
      assert.doesNotMatch(JSON.stringify(error), /__liveStatus|Query\.order/, id);
    }
    assert.deepEqual(ran, [], "nothing was run for a subscription with mistakes");

    // The client's own field aliased as the gateway's probe: followed, its value its own.
    socket.subscribe("alias", { query: 'subscription { orderStatusChanged(orderId: "o1") { __liveStatus: id status } }' });
    const answer = await socket.waitFor((m) => m.id === "alias");
    assert.deepEqual(answer.payload, { data: { orderStatusChanged: { __liveStatus: "o1", status: "PAID" } } });
    socket.close();
  });

  it("never spell out the schema with graphql-js's \"Did you mean\" hints, unless outside production", async () => {
    const execute = async (): Promise<ExecutionResult> => ({ data: null });
    const typo = { query: 'subscription { orderStatusChanged(orderId: "o1") { statu } }' };
    for (const fieldSuggestions of [false, true]) {
      const gateway = await startWebSocketGateway({ execute, schema, fieldSuggestions });
      const socket = await RawGraphQLSocket.connect(gateway.url, await gateway.token("u-hints"));
      try {
        socket.subscribe("typo", typo);
        const { error } = await socket.result("typo");
        const [mistake] = error!.payload as { message: string; extensions: { code: string } }[];
        assert.equal(mistake!.extensions.code, "GRAPHQL_VALIDATION_FAILED");
        assert.match(mistake!.message, /^Cannot query field "statu" on type "Order"\./);
        if (fieldSuggestions) assert.match(mistake!.message, /Did you mean "status"/);
        else assert.doesNotMatch(mistake!.message, /Did you mean|"status"/, "production gives no hint of the schema");
      } finally {
        socket.close();
        await gateway.close();
      }
    }
  });

  it("reads the status under a key the client's document does not use, so a field it aliases __liveStatus is kept as its own", async () => {
    const plan = planLiveOrder(parse('subscription { orderStatusChanged(orderId: "o1") { __liveStatus: id status } }'), undefined, {});
    assert.ok(!("error" in plan));
    assert.notEqual(plan.statusKey, "__liveStatus");
    // The query the gateway runs is valid against the schema (no conflicting response keys).
    const answer = await executeGraphQL({ schema, document: plan.query, rootValue: { order: { id: "o1", status: "PAID" } } });
    assert.deepEqual(answer.errors, undefined);
    assert.deepEqual({ ...(answer.data?.orderStatusChanged as object) }, { __liveStatus: "o1", status: "PAID", [plan.statusKey]: "PAID" });
  });
});
