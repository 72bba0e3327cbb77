// A subgraph's prepared queries answer exactly what Apollo Server answers: status, headers,
// body and metrics, for entity fetches, root fields, fragments, aliases and nulls; and every
// request they cannot answer exactly (errors, mutations, refused text, bad variables, other
// body shapes) reaches Apollo Server before any resolver runs.
import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { badInput, createLogger, INTERNAL_HEADER, metricsRegistry, preparedSubgraphQueries, signInternalCredential, startSubgraphServer, type RunningServer } from "#kernel";
import { readBody } from "#kernel/http/read-body.ts";

const SECRET = "prepared-subgraph-queries-secret-0123456789";

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Product @key(fields: "id") { id: ID!, stock: Int, tags: [String!]!, variants: [Variant!]!, secret: String }
  type Variant { id: ID!, stock: Int! }
  interface Named { name: String! }
  type Shelf implements Named { name: String!, products(ids: [ID!]!): [Product]! }
  type Query {
    shelf(name: String! = "main"): Shelf
    echo(text: String, n: Int): String
    failing(how: String!): String
    whoami: String
  }
  type Mutation { save(text: String!): String }
`);

/** Every call each resolver saw, to prove a refused request ran none. */
const calls: string[] = [];
const stock = new Map([
  ["p1", 3],
  ["p2", 0],
]);
const resolvers = {
  Product: {
    __resolveReference: (ref: { id: string }) => (ref.id === "gone" ? null : { id: ref.id }),
    stock: (product: { id: string }) => (calls.push(`stock ${product.id}`), stock.get(product.id) ?? null),
    tags: (product: { id: string }) => [product.id, "tag"],
    variants: (product: { id: string }) => [1, 2].map((n) => ({ id: `${product.id}-v${n}`, stock: n })),
    secret: () => {
      throw new Error("database password is hunter2");
    },
  },
  Shelf: { products: (_shelf: unknown, { ids }: { ids: string[] }) => ids.map((id) => (id === "none" ? null : { id })) },
  Query: {
    shelf: (_root: unknown, { name }: { name: string }) => (calls.push(`shelf ${name}`), { name }),
    echo: (_root: unknown, args: Record<string, unknown>) => (calls.push("echo"), JSON.stringify(args)),
    failing: (_root: unknown, { how }: { how: string }) => {
      calls.push(`failing ${how}`);
      throw badInput(`refused ${how}`);
    },
    whoami: (_root: unknown, _args: unknown, context: { identity?: { userId: string }; requestId: string }) => `${context.identity?.userId ?? "anonymous"} ${context.requestId}`,
  },
  Mutation: { save: (_root: unknown, { text }: { text: string }) => (calls.push(`save ${text}`), "saved") },
};

/** Each server's name by its URL: the header a call carries is signed for the server it goes to. */
const audienceOf = new Map<string, string>();
const start = (preparedQueries: boolean) =>
  startSubgraphServer({
    name: preparedQueries ? "prepared" : "reference",
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    internalSecret: SECRET,
    logger: createLogger("silent"),
    extendContext: (base) => base,
    port: 0,
    host: "127.0.0.1",
    preparedQueries,
  }).then((server) => (audienceOf.set(server.url, preparedQueries ? "prepared" : "reference"), server));

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  calls: string[];
}

/** A POST as the gateway sends it: no Accept header (fetch would add one). */
async function call(url: string, body: unknown, extraHeaders: Record<string, string> = {}): Promise<Answer> {
  calls.length = 0;
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const headers = { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: audienceOf.get(url) ?? "unknown", requestId: "req-1", identity: { userId: "usr_1", roles: ["customer"] } }), ...extraHeaders };
  const answer = await new Promise<Omit<Answer, "calls">>((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: Object.fromEntries(Object.entries(res.headers).filter(([name]) => name !== "date")) as Record<string, string>, body: text }));
    });
    req.on("error", reject);
    req.end(payload);
  });
  return { ...answer, calls: [...calls] };
}

const ENTITIES = "query Fetch__inventory__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{stock tags variants{id stock}}}}";

/** Requests the prepared path answers itself. */
const ANSWERED: [string, unknown][] = [
  ["an entity fetch as the gateway plans it", { query: ENTITIES, operationName: "Fetch__inventory__1", variables: { representations: [{ __typename: "Product", id: "p1" }, { __typename: "Product", id: "p2" }, { __typename: "Product", id: "gone" }] } }],
  ["the same text with other representations", { query: ENTITIES, operationName: "Fetch__inventory__1", variables: { representations: [{ __typename: "Product", id: "p2" }] } }],
  ["a root field with nested lists, nulls in a list, aliases and __typename", { query: "query Shelf($ids:[ID!]!){ s: shelf { __typename name products(ids:$ids){ id a: stock __typename } } other: shelf(name: \"x\") { name } }", variables: { ids: ["p1", "none", "p2"] } }],
  ["fragments on an interface and inline", { query: "query { shelf { ...N ... on Shelf { products(ids: [\"p1\"]) { ...P } } } } fragment N on Named { name } fragment P on Product { id tags }" }],
  ["operationName null and no variables", { query: "{ echo(text: \"hi\", n: 2) }", operationName: null, variables: null }],
  ["the context's identity and request id", { query: "{ whoami }" }],
  ["one operation of several chosen by name", { query: "query A { echo(text: \"a\") } query B { echo(text: \"b\") }", operationName: "B" }],
  ["a variable default", { query: "query ($t: String = \"dflt\") { echo(text: $t) }" }],
];

/**
 * Queries whose execution ends in errors: the prepared path runs them, then hands them to Apollo
 * Server, which runs them again and answers.
 */
const ERRED = ["a resolver's coded error", "an uncoded error inside an entity"];

/** Requests Apollo Server answers (the prepared path hands them over before any resolver runs, or asks again on errors). */
const HANDED_OVER: [string, unknown, Record<string, string>?][] = [
  ["a resolver's coded error", { query: "{ failing(how: \"x\") }" }],
  ["an uncoded error inside an entity", { query: "query ($r:[_Any!]!){ _entities(representations:$r){ ...on Product { id stock secret } } }", variables: { r: [{ __typename: "Product", id: "p1" }] } }],
  ["a mutation", { query: "mutation { save(text: \"t\") }" }],
  ["a variable that does not coerce", { query: "query ($n: Int) { echo(n: $n) }", variables: { n: "three" } }],
  ["a missing required variable", { query: ENTITIES, operationName: "Fetch__inventory__1" }],
  ["an unknown operation name", { query: ENTITIES, operationName: "Other", variables: { representations: [] } }],
  ["two operations and no name", { query: "query A { echo } query B { echo }" }],
  ["a NUL in a variable", { query: "query ($t: String) { echo(text: $t) }", variables: { t: "a\u0000b" } }],
  ["a NUL in a literal", { query: "{ echo(text: \"a\\u0000b\") }" }],
  ["a syntax error", { query: "{ echo(" }],
  ["a field the schema lacks", { query: "{ nothing }" }],
  ["variables as a JSON string", { query: "{ echo }", variables: "{}" }],
  ["extensions", { query: "{ echo }", extensions: { persistedQuery: { version: 1, sha256Hash: "00" } } }],
  ["a batch", [{ query: "{ echo }" }]],
  ["no query", { variables: {} }],
  ["a query that is no string", { query: { kind: "Document" } }],
  ["an Accept header asking for graphql-response+json", { query: "{ echo(text: \"a\") }" }, { accept: "application/graphql-response+json" }],
  ["an Accept header nothing satisfies", { query: "{ echo(text: \"a\") }" }, { accept: "text/html" }],
];

describe("a subgraph's prepared queries", () => {
  let reference: RunningServer;
  let prepared: RunningServer;
  /** The prepared path alone, over HTTP: 599 where it hands a request over. */
  let alone: Server;
  let aloneUrl: string;
  before(async () => {
    [reference, prepared] = await Promise.all([start(false), start(true)]);
    const answer = preparedSubgraphQueries({
      schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
      server: "alone",
      context: async (req: IncomingMessage) => ({ requestId: "req-1", identity: { userId: "usr_1", roles: ["customer"] }, via: req.url }),
    });
    alone = createServer((req, res) => {
      void readBody(req, 1_000_000).then(async (raw) => {
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
        if (!(await answer(body, req, res))) res.writeHead(599).end();
      });
    });
    await new Promise<void>((resolve) => alone.listen(0, "127.0.0.1", resolve));
    aloneUrl = `http://127.0.0.1:${(alone.address() as { port: number }).port}/graphql`;
  });
  after(async () => {
    await Promise.all([reference?.close(), prepared?.close(), new Promise((resolve) => alone?.close(resolve))]);
  });

  for (const [what, body] of ANSWERED) {
    it(`answers ${what} as Apollo Server does, itself`, async () => {
      const expected = await call(reference.url, body);
      assert.equal(expected.status, 200, expected.body);
      assert.ok(!expected.body.includes('"errors"'), expected.body);
      // Twice: the text is prepared on first sight and found the second time.
      for (let time = 0; time < 2; time++) assert.deepEqual(await call(prepared.url, body), expected);
      const itself = await call(aloneUrl, body);
      assert.equal(itself.status, 200, "the prepared path answered it");
      assert.equal(itself.body, expected.body);
      assert.equal(itself.headers["content-type"], expected.headers["content-type"]);
      assert.deepEqual(itself.calls, expected.calls);
    });
  }

  for (const [what, body, headers] of HANDED_OVER) {
    it(`hands ${what} to Apollo Server, whose answer is the reference's`, async () => {
      const expected = await call(reference.url, body, headers);
      const erred = ERRED.includes(what);
      const answer = await call(prepared.url, body, headers);
      assert.deepEqual({ ...answer, calls: [] }, { ...expected, calls: [] });
      // Errors of a query: its resolvers ran once on each path.
      assert.deepEqual(answer.calls, erred ? [...expected.calls, ...expected.calls] : expected.calls);
      const itself = await call(aloneUrl, body, headers);
      assert.equal(itself.status, 599, `the prepared path answered ${itself.body}`);
      assert.deepEqual(itself.calls, erred ? expected.calls : [], "handed over before any resolver ran");
    });
  }

  it("counts its answers in the operation metrics as Apollo Server's plugin does", async () => {
    const count = async (server: string) => {
      const metric = await metricsRegistry.getSingleMetric("storefront_graphql_operations_total")!.get();
      return metric.values.filter((value) => value.labels.server === server && value.labels.outcome === "ok" && value.labels.kind === "query").reduce((sum, value) => sum + value.value, 0);
    };
    const before = { reference: await count("reference"), prepared: await count("prepared") };
    for (const [, body] of ANSWERED) {
      await call(reference.url, body);
      await call(prepared.url, body);
    }
    assert.equal((await count("prepared")) - before.prepared, ANSWERED.length);
    assert.equal((await count("reference")) - before.reference, ANSWERED.length);
    const timed = async (server: string) => {
      const metric = await metricsRegistry.getSingleMetric("storefront_graphql_operation_duration_seconds")!.get();
      return new Map(metric.values.filter((value) => value.labels.server === server && (value as { metricName?: string }).metricName?.endsWith("_count")).map((value) => [`${value.labels.operation} ${value.labels.kind}`, value.value]));
    };
    const timedBefore = { reference: await timed("reference"), prepared: await timed("prepared") };
    for (const [, body] of ANSWERED) {
      await call(reference.url, body);
      await call(prepared.url, body);
    }
    const added = (now: Map<string, number>, then: Map<string, number>) => [...now].map(([key, value]) => `${key} +${value - (then.get(key) ?? 0)}`).filter((line) => !line.endsWith(" +0")).sort();
    const addedPrepared = added(await timed("prepared"), timedBefore.prepared);
    assert.deepEqual(addedPrepared, added(await timed("reference"), timedBefore.reference));
    assert.ok(addedPrepared.includes("Fetch__inventory__1 query +2"), addedPrepared.join(", "));
  });

  it("refuses a request without the gateway's credential before either path", async () => {
    const response = await fetch(prepared.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: ENTITIES, variables: { representations: [] } }) });
    assert.equal(response.status, 403);
  });
});
