// Reading the schema with `__Type.isOneOf` (graphql-js 16.9+, GraphiQL's `oneOf` option): the
// gateway answers it, so an explorer that asks can load the schema; an operation the
// federation planner cannot plan is the client's validation failure, with nothing logged as an
// internal error (each was a 500 and a stack in the log, for anyone to send).
import { after, before, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from "graphql";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

/** GraphiQL's full reading with every option on: the request policy's yardstick of one reading. */
const FULL_INTROSPECTION = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
const UNPLANNABLE = '{ __type(name: "SearchFilter") { isOneOf } products(first: 1) { edges { node { id } } } }';

describe("introspection of isOneOf through the gateway", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { LOG_LEVEL: "error" } });
  });
  after(() => sg.close());

  async function post(query: string) {
    const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
  }

  /** Runs `work` with the log (stderr, one JSON event a line) captured: the events logged at error level. */
  async function errorLines(work: () => Promise<void>): Promise<string[]> {
    const written: string[] = [];
    const stderr = mock.method(process.stderr, "write", (chunk: unknown) => (written.push(String(chunk)), true));
    try {
      await work();
    } finally {
      stderr.mock.restore();
    }
    return written
      .join("")
      .split("\n")
      .filter((line) => /"level":"error"/.test(line))
      .map((line) => JSON.parse(line).event);
  }

  it("answers isOneOf and the explorer's full introspection over HTTP, and refuses what the planner cannot plan with 400 GRAPHQL_VALIDATION_FAILED, logging no error", async () => {
    let answers: Awaited<ReturnType<typeof post>>[] = [];
    const logged = await errorLines(async () => {
      answers = [await post('{ __type(name: "SearchFilter") { name isOneOf } }'), await post(FULL_INTROSPECTION), await post(UNPLANNABLE)];
    });
    // The old gateway logged an "unexpected error" with its stack for each of the three.
    assert.deepEqual(logged, [], "nothing logged at error level");
    const [one, full, unplannable] = answers;
    assert.equal(one!.status, 200, JSON.stringify(one!.body));
    assert.deepEqual(one!.body.data, { __type: { name: "SearchFilter", isOneOf: false } });

    assert.equal(full!.status, 200, JSON.stringify(full!.body.errors));
    const schema = buildClientSchema(full!.body.data as IntrospectionQuery);
    assert.ok(schema.getQueryType()?.getFields().products, "the explorer has the schema");

    assert.equal(unplannable!.status, 400);
    assert.deepEqual(unplannable!.body.errors?.map((e) => [e.message, e.extensions?.code]), [['Cannot query field "isOneOf" on type "__Type".', "GRAPHQL_VALIDATION_FAILED"]]);
  });

  it("answers the same over WebSocket", async () => {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl);
    try {
      const logged = await errorLines(async () => {
        socket.subscribe("one", { query: '{ __type(name: "SearchFilter") { name isOneOf } }' });
        socket.subscribe("unplannable", { query: UNPLANNABLE });
        const one = await socket.result("one");
        assert.deepEqual(one.next[0]?.payload, { data: { __type: { name: "SearchFilter", isOneOf: false } } }, JSON.stringify(one));
        const unplannable = await socket.result("unplannable");
        const errors = unplannable.next[0]?.payload?.errors ?? unplannable.error?.payload;
        assert.deepEqual(
          errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code),
          ["GRAPHQL_VALIDATION_FAILED"],
          JSON.stringify(unplannable),
        );
      });
      assert.deepEqual(logged, [], "nothing logged at error level");
    } finally {
      socket.close();
    }
  });
});
