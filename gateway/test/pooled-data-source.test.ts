import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { RemoteGraphQLDataSource, type GraphQLDataSource } from "@apollo/gateway";
import { PooledGraphQLDataSource, requestBody } from "../src/performance/pooled-data-source.js";
import { newCachePolicy } from "../src/execution/overall-cache-policy.js";
import type { GatewayContext } from "../src/gateway-context.js";

/** A stand-in subgraph on a free port that reads each request's whole body, then answers as told. */
async function fakeSubgraph(answer: (body: string, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => answer(body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql` };
}

describe("pooled data source: a client that went away", () => {
  const received: string[] = [];
  let server: Server;
  let source: PooledGraphQLDataSource;
  before(async () => {
    let url: string;
    ({ server, url } = await fakeSubgraph((body, res) => {
      received.push(body);
      res.writeHead(200, { "content-type": "application/json" }).end('{"data":{"ok":true}}');
    }));
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
    await assert.rejects(call("query { a }", { requestId: "r", caller: { key: "ip:k", network: "ip:k", site: undefined }, signal: gone }), (error: Error) => error.name === "AbortError");
    const answer = await call("mutation { b }", { requestId: "r", caller: { key: "ip:k", network: "ip:k", site: undefined }, signal: gone });
    assert.deepEqual(answer.data, { ok: true });
    assert.deepEqual(received.map((body) => JSON.parse(body).query), ["mutation { b }"]);
  });
});

describe("pooled data source: a subgraph answering with an HTTP error", () => {
  let server: Server;
  let url: string;
  before(async () => {
    // The status to answer is the query's text: `{ s503 }` answers 503.
    ({ server, url } = await fakeSubgraph((body, res) => res.writeHead(Number(/s(\d{3})/.exec(body)![1]), { "content-type": "text/plain" }).end("no")));
  });
  after(() => server.close());

  const codeOf = async (status: number) => {
    const source = new PooledGraphQLDataSource({ url, connections: 1, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
    try {
      await source.process({ kind: "incoming operation", request: { query: `{ s${status} }`, variables: {} }, context: { requestId: "r" }, incomingRequestContext: {}, pathInIncomingRequest: [] } as never);
      return assert.fail("expected the call to fail");
    } catch (error) {
      return (error as { extensions?: { code?: unknown } }).extensions?.code;
    } finally {
      await source.close();
    }
  };

  it("calls 502, 503 and 504 SERVICE_UNAVAILABLE, a failure worth retrying, and leaves a 500 uncoded (unexpected)", async () => {
    for (const status of [502, 503, 504]) assert.equal(await codeOf(status), "SERVICE_UNAVAILABLE", String(status));
    assert.equal(await codeOf(500), undefined, "500");
  });
});

describe("pooled data source: a call larger than the subgraph takes", () => {
  let server: Server;
  let source: PooledGraphQLDataSource;
  before(async () => {
    // A subgraph refusing the body as the kernel's handler does (413, a GraphQL error with a code).
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(413, { "content-type": "application/json" }).end('{"errors":[{"message":"Request body over 1000000 bytes","extensions":{"code":"BAD_USER_INPUT"}}]}'));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
    source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
  });
  after(async () => {
    await source.close();
    server.close();
  });

  it("answers QUERY_TOO_COMPLEX, a code the error formatter does not log as unexpected", async () => {
    const call = source.process({ kind: "incoming operation", request: { query: "query { _entities }", variables: {} }, context: {}, incomingRequestContext: {}, pathInIncomingRequest: [] } as never);
    await assert.rejects(call, (error: Error & { extensions?: Record<string, unknown> }) => {
      assert.equal(error.extensions?.code, "QUERY_TOO_COMPLEX");
      assert.equal(error.extensions?.reason, "SUBGRAPH_REQUEST_TOO_LARGE");
      return true;
    });
  });
});

describe("pooled data source: the deadline of a call", () => {
  let server: Server;
  let url: string;
  before(async () => {
    // `{ hang }` is never answered; anything else at once.
    ({ server, url } = await fakeSubgraph((body, res) => {
      if (body.includes("halfway")) res.writeHead(200, { "content-type": "application/json" }).write('{"data":{"ok":');
      else if (body.includes("pieces")) {
        const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ data: { name: "Crème brûlée ✓ 🍮", list: Array.from({ length: 2_000 }, (_, i) => `é${i}`) } }))]);
        res.writeHead(200, [["content-type", "application/json"], ["x-repeated", "a"], ["x-repeated", "b"], ["x-empty", ""]]);
        // Every piece ends inside a character: each split is one byte into a two-byte é.
        const cuts = [0, text.indexOf("é") + 1, text.indexOf("✓") + 1, text.indexOf("🍮") + 2, text.lastIndexOf("é") + 1, text.length];
        (async () => {
          for (let i = 1; i < cuts.length; i++) {
            res.write(text.subarray(cuts[i - 1], cuts[i]));
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          res.end();
        })();
      } else if (!body.includes("hang")) res.writeHead(200, { "content-type": "application/json" }).end('{"data":{"ok":true}}');
    }));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const process = (source: PooledGraphQLDataSource, query: string, signal?: AbortSignal) =>
    source.process({ kind: "incoming operation", request: { query, variables: {} }, context: { requestId: "r", ...(signal ? { signal } : {}) }, incomingRequestContext: {}, pathInIncomingRequest: [] } as never);

  it("abandons a subgraph that never answers at the deadline (ETIMEDOUT), and a read whose client left at once", async () => {
    const source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 200, queueMs: 1_000, headersFor: () => ({}) });
    try {
      await assert.rejects(process(source, "query { hang }"), (error: Error & { code?: string }) => error.name === "SubgraphTimeoutError" && error.code === "ETIMEDOUT");
      const leaving = new AbortController();
      const call = process(source, "query { hang }", leaving.signal);
      leaving.abort();
      await assert.rejects(call, (error: Error) => error.name === "AbortError");
      assert.deepEqual((await process(source, "query { ok }")).data, { ok: true });
    } finally {
      await source.close();
    }
  });

  it("sets a call's deadline without a signal of its own per call (AbortSignal.timeout fired after every call)", async () => {
    const source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
    const { timeout, any } = AbortSignal;
    let made = 0;
    AbortSignal.timeout = (ms: number) => (made++, timeout.call(AbortSignal, ms));
    AbortSignal.any = (signals: AbortSignal[]) => (made++, any.call(AbortSignal, signals));
    try {
      for (let i = 0; i < 3; i++) assert.deepEqual((await process(source, "query { ok }", new AbortController().signal)).data, { ok: true });
      assert.equal(made, 0);
    } finally {
      AbortSignal.timeout = timeout;
      AbortSignal.any = any;
      await source.close();
    }
  });

  it("makes no abort signal of its own per call, and still abandons a call whose answer stopped halfway at the deadline", async () => {
    const source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 300, queueMs: 1_000, headersFor: () => ({}) });
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      for (let i = 0; i < 3; i++) assert.deepEqual((await process(source, "query { ok }", new Original().signal)).data, { ok: true });
      assert.equal(made, 0, "an AbortController per call, and undici's listener on its signal, were 3% of the gateway's CPU");
    } finally {
      globalThis.AbortController = Original;
    }
    try {
      await assert.rejects(process(source, "query { halfway }"), (error: Error & { code?: string }) => error.name === "SubgraphTimeoutError" && error.code === "ETIMEDOUT");
      assert.deepEqual((await process(source, "query { ok }")).data, { ok: true }, "the pool serves on");
    } finally {
      await source.close();
    }
  });

  it("reads an answer written in pieces as one text (a character split between pieces, a byte-order mark dropped) and a repeated header as a list", async () => {
    const source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
    try {
      const answer = await process(source, "query { pieces }");
      assert.deepEqual(answer.data, { name: "Crème brûlée ✓ 🍮", list: Array.from({ length: 2_000 }, (_, i) => `é${i}`) });
      const headers = (answer as { http: { headers: Headers } }).http.headers;
      assert.equal(headers.get("x-repeated"), "a, b");
      assert.equal(headers.get("x-empty"), "");
    } finally {
      await source.close();
    }
  });

  it("reads an answer's headers by name and in full, making no functions per answer", async () => {
    const source = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
    try {
      const [first, second] = [await process(source, "query { ok }"), await process(source, "query { ok }")];
      const headers = (first as { http: { headers: Headers } }).http.headers;
      assert.equal(headers.get("Content-Type"), "application/json");
      assert.equal(headers.has("content-type"), true);
      assert.equal(headers.get("x-absent"), null);
      assert.ok([...headers].some(([name, value]) => name === "content-type" && value === "application/json"));
      headers.set("x-added", "1");
      assert.equal(headers.get("x-added"), "1", "a header set is read back");
      assert.deepEqual([...headers.keys()].filter((name) => name === "x-added"), ["x-added"]);
      // Methods shared by every answer: closures made (and named) per answer were 1.5% of the gateway's CPU.
      const other = (second as { http: { headers: Headers } }).http.headers;
      assert.notEqual(other, headers);
      assert.equal(other.get, headers.get);
    } finally {
      await source.close();
    }
  });
});

describe("pooled data source: a subgraph's Cache-Control", () => {
  /** Values as subgraphs and proxies write them, and mistakes; null: no header. */
  const VALUES = [null, "max-age=60, public", "public, max-age=60", "max-age=5", "private, max-age=100", "public, private, max-age=7", "max-age=abc", "max-age=-1", "no-store", "max-age=10, s-maxage=5", "MAX-AGE=9, Public", 'max-age="20"', "max-age=0"];
  let server: Server;
  let url: string;
  before(async () => {
    ({ server, url } = await fakeSubgraph((body, res) => {
      const { variables } = JSON.parse(body) as { variables: { cacheControl: string | null } };
      res.writeHead(200, { "content-type": "application/json", ...(variables.cacheControl === null ? {} : { "cache-control": variables.cacheControl }) }).end('{"data":{"ok":true}}');
    }));
  });
  after(() => server.close());

  /** The answer's policy after a call answered with `cacheControl`, from a policy that was `start`. */
  const policyAfter = async (source: GraphQLDataSource, cacheControl: string | null, start: { maxAge?: number; scope?: "PUBLIC" | "PRIVATE" }) => {
    const overallCachePolicy = newCachePolicy();
    overallCachePolicy.replace(start);
    await source.process({ kind: "incoming operation", request: { query: "query { ok }", variables: { cacheControl } }, context: {}, incomingRequestContext: { overallCachePolicy }, pathInIncomingRequest: [] } as never);
    return { maxAge: overallCachePolicy.maxAge, scope: overallCachePolicy.scope };
  };

  it("narrows the answer's policy as the stock data source does, for a value read before or not", async () => {
    const pooled = new PooledGraphQLDataSource({ url, connections: 2, timeoutMs: 5_000, queueMs: 1_000, headersFor: () => ({}) });
    const stock = new RemoteGraphQLDataSource({ url });
    try {
      // Twice each: the second answer's value was read before.
      for (const round of [1, 2]) {
        for (const value of VALUES) {
          for (const start of [{}, { maxAge: 30, scope: "PUBLIC" as const }, { maxAge: 3, scope: "PRIVATE" as const }]) {
            assert.deepEqual(await policyAfter(pooled, value, start), await policyAfter(stock, value, start), `round ${round}, ${JSON.stringify(value)} from ${JSON.stringify(start)}`);
          }
        }
      }
    } finally {
      await pooled.close();
    }
  });
});

describe("pooled data source: a call's body", () => {
  it("is the stock body byte for byte, a query's JSON written once per text or on every call", () => {
    const queries = ['query A($id:ID!){product(id:$id){id name}}', 'query "quoted" \\ back\u2028line\ttab é 😀 \ud800 lone', ""];
    const representation = Object.assign(Object.create(null) as Record<string, unknown>, { __typename: "Product", id: "p1" });
    const variableSets = [undefined, null, {}, { id: "p1" }, { representations: [representation, null] }, { nested: { list: [1, "two", true, null], skipped: undefined } }];
    for (const round of [1, 2]) {
      for (const query of queries) {
        for (const variables of variableSets) {
          for (const operationName of [undefined, null, "A", 'B"\n']) {
            for (const extensions of [undefined, null, { persistedQuery: { version: 1 } }]) {
              const stock = JSON.stringify({ query, variables, operationName, extensions });
              assert.equal(requestBody(query, variables, operationName, extensions), stock, `round ${round}: ${stock}`);
            }
          }
        }
      }
    }
  });
});

describe("pooled data source: one client network's backlog of calls", () => {
  // Answers nothing until told: each request waits, in arrival order, for `answerNext`.
  const arrived: string[] = [];
  const held: ServerResponse[] = [];
  let server: Server;
  let source: PooledGraphQLDataSource;
  before(async () => {
    let url: string;
    ({ server, url } = await fakeSubgraph((body, res) => {
      arrived.push(JSON.parse(body).query);
      held.push(res);
    }));
    source = new PooledGraphQLDataSource({ url, connections: 1, timeoutMs: 30_000, queueMs: 30_000, headersFor: () => ({}) });
  });
  after(async () => {
    await source.close();
    server.close();
  });

  const call = (query: string, caller: GatewayContext["caller"]) =>
    source.process({ kind: "incoming operation", request: { query, variables: {} }, context: { requestId: "r", caller }, incomingRequestContext: {}, pathInIncomingRequest: [] } as never);
  const arrival = async (count: number) => {
    while (arrived.length < count) await sleep(5);
  };

  it("sends another network's call on the next free connection, ahead of the backlog one network's callers queued (one customer's serialized cart writes held every connection to the cart)", async () => {
    // Two accounts of one network, as one abuser signs up more: the network is the party.
    const flood = (user: string) => ({ key: `user:${user}`, network: "ip:198.51.100.7", site: undefined });
    const shopper = { key: "user:shopper", network: "ip:203.0.113.9", site: undefined };
    const calls = [call("mutation { flood1 }", flood("a"))];
    await arrival(1);
    calls.push(call("mutation { flood2 }", flood("a")), call("mutation { flood3 }", flood("b")), call("mutation { flood4 }", flood("b")));
    await sleep(50);
    calls.push(call("query { shopper }", shopper));
    await sleep(50);
    for (let answered = 1; answered <= 5; answered++) {
      await arrival(answered);
      held[answered - 1]!.writeHead(200, { "content-type": "application/json" }).end('{"data":{"ok":true}}');
    }
    for (const answer of await Promise.all(calls)) assert.deepEqual(answer.data, { ok: true });
    assert.deepEqual(arrived, ["mutation { flood1 }", "query { shopper }", "mutation { flood2 }", "mutation { flood3 }", "mutation { flood4 }"]);
  });
});
