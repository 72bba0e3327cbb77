import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { ApolloServer } from "@apollo/server";
import { createApolloHandler } from "../src/http/apollo-http-handler.js";

/** An Apollo server behind the handler, counting what reaches `admit` (where budgets are charged). */
async function startHandler() {
  const apollo = new ApolloServer({ typeDefs: "type Query { hello: String }", resolvers: { Query: { hello: () => "hi" } }, csrfPrevention: true });
  await apollo.start();
  let admitted = 0;
  const handle = createApolloHandler(apollo, async () => ({}), {
    csrfPrevention: true,
    admit: async () => {
      admitted += 1;
      return undefined;
    },
  });
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    admitted: () => admitted,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
    },
  };
}

describe("HTTP handler: cross-site requests", () => {
  it("refuses what any web page could make a visitor's browser send before admission, so it spends none of the visitor's network's budgets", async () => {
    const handler = await startHandler();
    try {
      const body = JSON.stringify({ query: "{ hello }" });
      // What a page may send without a CORS preflight: form content types (any parameters), or a GET.
      const crossSite: RequestInit[] = [
        { method: "POST", headers: { "content-type": "text/plain; charset=json" }, body },
        { method: "POST", headers: { "content-type": "TEXT/PLAIN" }, body },
        { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body },
        { method: "POST", headers: { "content-type": "multipart/form-data; boundary=json" }, body },
        { method: "GET" },
      ];
      for (const init of crossSite) {
        const url = init.method === "GET" ? `${handler.url}?query=${encodeURIComponent("{ hello }")}` : handler.url;
        const response = await fetch(url, init);
        assert.equal(response.status, 400, JSON.stringify(init.headers));
        const answer = (await response.json()) as { errors: { extensions: { code: string } }[] };
        assert.equal(answer.errors[0]!.extensions.code, "BAD_REQUEST");
      }
      assert.equal(handler.admitted(), 0, "nothing reached admission");
      // What only a preflighted (same-site or allowed) request carries is served.
      const json = await fetch(handler.url, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.deepEqual(await json.json(), { data: { hello: "hi" } });
      const get = await fetch(`${handler.url}?query=${encodeURIComponent("{ hello }")}`, { headers: { "apollo-require-preflight": "true" } });
      assert.deepEqual(await get.json(), { data: { hello: "hi" } });
      assert.equal(handler.admitted(), 2);
    } finally {
      await handler.close();
    }
  });
});

describe("HTTP handler: a query sent by GET without a preflight header", () => {
  it("is told of the header or to POST, as urql's GET of a query is, not to change a content type it has none of", async () => {
    const handler = await startHandler();
    try {
      // What urql's fetch exchange sends for a query by default: a GET with an accept header only.
      const response = await fetch(`${handler.url}?query=${encodeURIComponent("query Hello { hello }")}&operationName=Hello`, {
        headers: { accept: "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed" },
      });
      assert.equal(response.status, 400);
      const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      assert.equal(answer.errors[0]!.extensions.code, "BAD_REQUEST");
      assert.match(answer.errors[0]!.message, /^A query sent by GET runs only with a non-empty x-apollo-operation-name or apollo-require-preflight header/);
      assert.match(answer.errors[0]!.message, /POST the query with content-type application\/json \(urql sends queries by GET unless its client is made with preferGetMethod: false\)$/);
      assert.doesNotMatch(answer.errors[0]!.message, /content-type other than/);
      assert.equal(handler.admitted(), 0, "refused before admission, as before");
    } finally {
      await handler.close();
    }
  });
});

describe("HTTP handler: a mutation or subscription sent by GET", () => {
  it("is told to use POST (or the WebSocket) rather than that it looks forged, before admission", async () => {
    const handler = await startHandler();
    try {
      const refusals = [
        ["mutation { hello }", "Mutations are sent with POST"],
        ["  # a comment first\n,mutation Named { hello }", "Mutations are sent with POST"],
        ["subscription { hello }", "Subscriptions are served over WebSocket (graphql-ws) on this same URL"],
      ] as const;
      for (const [query, message] of refusals) {
        const response = await fetch(`${handler.url}?query=${encodeURIComponent(query)}`);
        assert.equal(response.status, 405, query);
        assert.equal(response.headers.get("allow"), "POST");
        const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        assert.equal(answer.errors[0]!.message, message);
        assert.equal(answer.errors[0]!.extensions.code, "OPERATION_NOT_ALLOWED");
      }
      assert.equal(handler.admitted(), 0, "nothing reached admission");
      // A query, or text that is no GraphQL, keeps the cross-site refusal.
      for (const query of ["{ hello }", "query { hello }", "\u0000mutation"]) {
        const response = await fetch(`${handler.url}?query=${encodeURIComponent(query)}`);
        assert.equal(response.status, 400, query);
        assert.equal(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, "BAD_REQUEST");
      }
    } finally {
      await handler.close();
    }
  });
});

describe("HTTP handler: requests that are no GraphQL request", () => {
  it("answers a method other than GET and POST 405 with the methods it takes, and a compressed body 415, both before admission", async () => {
    const handler = await startHandler();
    try {
      const body = JSON.stringify({ query: "{ hello }" });
      for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
        for (const headers of [{ "content-type": "application/json" }, {}] as Record<string, string>[]) {
          const response = await fetch(handler.url, { method, headers, ...(method === "OPTIONS" ? {} : { body }) });
          assert.equal(response.status, 405, `${method} ${JSON.stringify(headers)}`);
          assert.equal(response.headers.get("allow"), "GET, POST");
          const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
          assert.equal(answer.errors[0]!.extensions.code, "BAD_USER_INPUT");
          assert.match(answer.errors[0]!.message, new RegExp(`not ${method}`));
        }
      }
      const { gzipSync, deflateSync, brotliCompressSync } = await import("node:zlib");
      for (const [encoding, compressed] of [["gzip", gzipSync(body)], ["deflate", deflateSync(body)], ["br", brotliCompressSync(body)]] as const) {
        const response = await fetch(handler.url, { method: "POST", headers: { "content-type": "application/json", "content-encoding": encoding }, body: compressed });
        assert.equal(response.status, 415, encoding);
        const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        assert.equal(answer.errors[0]!.extensions.code, "BAD_USER_INPUT");
        assert.match(answer.errors[0]!.message, new RegExp(`Content-Encoding ${encoding}`));
      }
      assert.equal(handler.admitted(), 0, "nothing reached admission");
      const identity = await fetch(handler.url, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "identity" }, body });
      assert.deepEqual(await identity.json(), { data: { hello: "hi" } });
    } finally {
      await handler.close();
    }
  });
});

describe("HTTP handler: JSON nested too deep", () => {
  it("refuses a body or GET parameter nesting deeper than any request needs before parsing it, and serves the nesting requests use", async () => {
    const { jsonNestsDeeperThan, MAX_JSON_NESTING } = await import("../src/http/json-nesting.js");
    // Brackets inside strings, escaped quotes included, are text, not nesting.
    assert.equal(jsonNestsDeeperThan(`{"a":"${"[".repeat(100)}\\"${"{".repeat(100)}"}`), false);
    assert.equal(jsonNestsDeeperThan(`{"a":${"[".repeat(MAX_JSON_NESTING - 1)}${"]".repeat(MAX_JSON_NESTING - 1)}}`), false);
    assert.equal(jsonNestsDeeperThan(`{"a":${"[".repeat(MAX_JSON_NESTING)}${"]".repeat(MAX_JSON_NESTING)}}`), true);
    const handler = await startHandler();
    try {
      const deep = `${"[".repeat(49_000)}${"]".repeat(49_000)}`;
      const refusals = [
        await fetch(handler.url, { method: "POST", headers: { "content-type": "application/json" }, body: `{"query":"{ hello }","extensions":{"a":${deep}}}` }),
        await fetch(handler.url, { method: "POST", headers: { "content-type": "application/json" }, body: `[{"query":"{ hello }","variables":{"a":${deep}}}]` }),
        await fetch(`${handler.url}?query=${encodeURIComponent("{ hello }")}&variables=${encodeURIComponent(`{"a":${"[".repeat(2_000)}${"]".repeat(2_000)}}`)}`, { headers: { "apollo-require-preflight": "1" } }),
      ];
      for (const response of refusals) {
        assert.equal(response.status, 400);
        const answer = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        assert.equal(answer.errors[0]!.extensions.code, "BAD_USER_INPUT");
        assert.match(answer.errors[0]!.message, /nests deeper than/);
      }
      assert.equal(handler.admitted(), 0);
      // Braces in the GET query itself (a selection's, or here a comment's) are no JSON and are not counted.
      const deepSelection = `{ hello } # ${"{".repeat(40)}`;
      const get = await fetch(`${handler.url}?query=${encodeURIComponent(deepSelection)}&variables=${encodeURIComponent(`{"a":${"[".repeat(16)}${"]".repeat(16)}}`)}`, { headers: { "apollo-require-preflight": "1" } });
      assert.equal(get.status, 200);
    } finally {
      await handler.close();
    }
  });
});
