// Automatic persisted queries (the extensions.persistedQuery protocol) with a hash that is
// wrong, unknown or of another version: a client's mistake, answered as one, with the code the
// protocol's clients act on, and nothing logged as an internal error.
import { after, before, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

describe("persisted query extension errors through the gateway", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { LOG_LEVEL: "error" } });
  });
  after(() => sg.close());

  async function post(body: unknown) {
    const response = await fetch(sg.gatewayUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[]; data?: { __typename?: string } } };
  }

  it("answers a wrong hash, an unknown hash and an unknown version with the client's error code, logging no internal error", async () => {
    const query = "{ __typename }";
    const sha = createHash("sha256").update(query).digest("hex");
    const written: string[] = [];
    // The logger writes its JSON lines to stderr.
    const stderr = mock.method(process.stderr, "write", (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    let answers: Awaited<ReturnType<typeof post>>[];
    try {
      answers = [
        await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: "b".repeat(64) } } }),
        await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: "zz" } } }),
        await post({ query, extensions: { persistedQuery: { version: 2, sha256Hash: sha } } }),
        await post({ extensions: { persistedQuery: { version: 1, sha256Hash: "a".repeat(64) } } }),
        await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha } } }),
      ];
    } finally {
      stderr.mock.restore();
    }
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.errors?.[0]?.extensions?.code ?? a.body.data?.__typename]),
      [[400, "BAD_USER_INPUT"], [400, "BAD_USER_INPUT"], [400, "BAD_USER_INPUT"], [400, "PERSISTED_QUERY_NOT_FOUND"], [200, "Query"]],
    );
    assert.deepEqual(written.filter((line) => /"level":"error"/.test(line)), [], "no internal error is logged");
  });

  it("judges the extension the same over WebSocket: a wrong hash is the client's error, the right one is served", async () => {
    const query = "{ __typename }";
    const sha = createHash("sha256").update(query).digest("hex");
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl);
    try {
      socket.subscribe("wrong", { query, extensions: { persistedQuery: { version: 1, sha256Hash: "b".repeat(64) } } });
      socket.subscribe("right", { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha } } });
      const wrong = await socket.result("wrong");
      assert.equal(wrong.error?.payload?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(wrong));
      const right = await socket.result("right");
      assert.equal(right.next[0]?.payload?.data?.__typename, "Query", JSON.stringify(right));
    } finally {
      socket.close();
    }
  });
});
