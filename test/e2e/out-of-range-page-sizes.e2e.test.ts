// A page size no GraphQL Int can hold (1e400, 3e9, 2.5, or a literal past 2^31) never runs: the
// request is the client's mistake and is answered as one (BAD_USER_INPUT for a variable's value,
// GRAPHQL_VALIDATION_FAILED for a literal), never priced as a query too costly to run.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

const PRODUCTS = "query Page($n: Int) { products(first: $n) { edges { node { id } } } }";

describe("page sizes outside what an Int holds", { timeout: 120_000 }, () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph();
  });
  after(() => sg?.close());

  /** Posts a raw body: JSON numbers like 1e400 cannot be written by JSON.stringify. */
  const post = async (body: string) => {
    const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json", "apollo-require-preflight": "true" }, body });
    return (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  };

  it("answers a variable's value no Int holds BAD_USER_INPUT, for each such value", async () => {
    for (const value of ["1e400", "-1e400", "3000000000", "2.5", "1e20"]) {
      const answer = await post(`{"query":${JSON.stringify(PRODUCTS)},"variables":{"n":${value}}}`);
      assert.equal(answer.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", `${value}: ${JSON.stringify(answer.errors)}`);
      assert.match(answer.errors![0]!.message, /\$n/, value);
    }
    const fine = await post(JSON.stringify({ query: PRODUCTS, variables: { n: 2 } }));
    assert.equal(fine.errors, undefined, JSON.stringify(fine.errors));
  });

  it("answers the same over the WebSocket as over HTTP", async () => {
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, await sg.token("ws-page-sizes"));
    try {
      for (const [id, n] of [["big", 3_000_000_000], ["fraction", 2.5]] as const) {
        socket.subscribe(id, { query: PRODUCTS, variables: { n } });
        const { next, error } = await socket.result(id);
        const errors = (error?.payload ?? next[0]?.payload.errors) as { extensions?: { code?: string } }[] | undefined;
        assert.equal(errors?.[0]?.extensions?.code, "BAD_USER_INPUT", `${id}: ${JSON.stringify({ next, error })}`);
      }
    } finally {
      socket.close();
    }
  });

  it("answers a literal no Int holds GRAPHQL_VALIDATION_FAILED", async () => {
    const answer = await post(JSON.stringify({ query: "{ products(first: 99999999999) { edges { node { id } } } }" }));
    assert.equal(answer.errors?.[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED", JSON.stringify(answer.errors));
  });

  it("still refuses a page that can run but costs too much", async () => {
    const answer = await post(JSON.stringify({ query: PRODUCTS.replace("node { id }", "node { id variants { id } reviews(first: 100) { edges { node { id } } } }"), variables: { n: 2_000_000_000 } }));
    assert.equal(answer.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX", JSON.stringify(answer.errors));
  });
});
