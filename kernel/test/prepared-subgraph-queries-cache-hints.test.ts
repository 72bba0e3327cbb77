// A subgraph with declared cache hints answers the gateway's reads on its prepared path with the
// Cache-Control header Apollo Server's pipeline gives them (root hints, nested hints that cannot
// lower them, `_entities` hinted by the types its representations name), and hands to Apollo
// Server every read whose header would depend on what its resolvers return.
import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { createLogger, INTERNAL_HEADER, preparedSubgraphQueries, signInternalCredential, startSubgraphServer, type RunningServer } from "#kernel";
import { readBody } from "#kernel/http/read-body.ts";

const SECRET = "prepared-cache-hints-secret-0123456789abcdef";

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  enum CacheControlScope { PUBLIC PRIVATE }
  type Money @cacheControl(inheritMaxAge: true) { amount: Int!, currency: String! }
  type Product @key(fields: "id") @cacheControl(maxAge: 60) {
    id: ID!
    name: String!
    price: Money!
    related: Product
    variants: [Variant!]!
    review: Review
    owner: Owner
  }
  type Variant @key(fields: "id") @cacheControl(maxAge: 20) { id: ID!, sku: String! }
  type Review { text: String! }
  type Owner @cacheControl(maxAge: 60, scope: PRIVATE) { name: String! }
  type Query {
    product(id: ID!): Product @cacheControl(maxAge: 60)
    listing: [Product!]! @cacheControl(maxAge: 30)
    privateProduct(id: ID!): Product @cacheControl(maxAge: 60, scope: PRIVATE)
    greeting: String
  }
`);

const calls: string[] = [];
const product = (id: string) => ({ id, name: `name ${id}`, price: { amount: 100, currency: "EUR" } });
const resolvers = {
  Product: {
    __resolveReference: (ref: { id: string }) => (calls.push(`product ${ref.id}`), product(ref.id)),
    related: (parent: { id: string }) => (parent.id === "p1" ? product("p2") : null),
    variants: (parent: { id: string }) => [{ id: `${parent.id}-v`, sku: `sku-${parent.id}` }],
    // Only p2 has a review: a nested field without a hint (age 0) that resolves for one product only.
    review: (parent: { id: string }) => (parent.id === "p2" ? { text: "good" } : null),
    owner: (parent: { id: string }) => (parent.id === "p2" ? { name: "ann" } : null),
  },
  Variant: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, sku: `sku-${ref.id}` }) },
  Query: {
    product: (_root: unknown, { id }: { id: string }) => (calls.push(`product ${id}`), product(id)),
    listing: () => [product("p1"), product("p2")],
    privateProduct: (_root: unknown, { id }: { id: string }) => product(id),
    greeting: () => "hello",
  },
};

const schema = () => buildSubgraphSchema({ typeDefs, resolvers: resolvers as never });
/** Each server's name by its URL: the header a call carries is signed for the server it goes to. */
const audienceOf = new Map<string, string>();
const start = (preparedQueries: boolean) => {
  const name = preparedQueries ? "hinted-prepared" : "hinted-reference";
  return startSubgraphServer({ name, schema: schema(), internalSecret: SECRET, logger: createLogger("silent"), extendContext: (base) => base, port: 0, host: "127.0.0.1", preparedQueries }).then(
    (server) => (audienceOf.set(server.url, name), server),
  );
};

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  calls: string[];
}

async function call(url: string, body: unknown): Promise<Answer> {
  calls.length = 0;
  const headers = { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: audienceOf.get(url) ?? "unknown", requestId: "req-1" }) };
  const answer = await new Promise<Omit<Answer, "calls">>((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: Object.fromEntries(Object.entries(res.headers).filter(([name]) => name !== "date")) as Record<string, string>, body: text }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
  return { ...answer, calls: [...calls] };
}

const entities = (selection: string, representations: unknown[]) => ({
  query: `query Fetch__products__0($representations:[_Any!]!){_entities(representations:$representations){${selection}}}`,
  operationName: "Fetch__products__0",
  variables: { representations: representations },
});

/** Reads the prepared path answers itself, with the header each must carry. */
const ANSWERED: [string, unknown, string][] = [
  ["a root field's age, nested hints equal or inherited", { query: "query ($id: ID!) { product(id: $id) { id name price { amount currency } related { id name } } }", variables: { id: "p1" } }, "max-age=60, public"],
  ["a root field's lower age over nested hints of 60", { query: "{ listing { id related { id } } }" }, "max-age=30, public"],
  ["an entity fetch of one type", entities("...on Product{name price{amount}}", [{ __typename: "Product", id: "p1" }, { __typename: "Product", id: "p2" }]), "max-age=60, public"],
  ["an entity fetch whose representations name a type of a lower age", entities("...on Product{name} ...on Variant{sku}", [{ __typename: "Product", id: "p1" }, { __typename: "Variant", id: "v1" }]), "max-age=20, public"],
  ["an entity fetch of no representations", entities("...on Product{name}", []), "no-store"],
  ["a root field without a hint", { query: "{ greeting product(id: \"p1\") { review { text } } }" }, "no-store"],
  ["a private root field over a private nested hint", { query: "{ privateProduct(id: \"p2\") { owner { name } } }" }, "max-age=60, private"],
  ["__typename alone", { query: "{ __typename }" }, "no-store"],
];

/** A field without a hint (age 0) under `related`, which only p1 has: p1's answer is uncacheable, p2's not. */
const RELATED_REVIEW = "query ($id: ID!) { product(id: $id) { related { review { text } } } }";

/** Reads whose header depends on the data or on the request: Apollo Server works it out. */
const HANDED_OVER: [string, unknown][] = [
  ["a nested field without a hint under a parent that resolves", { query: RELATED_REVIEW, variables: { id: "p1" } }],
  ["the same text where its parent is null", { query: RELATED_REVIEW, variables: { id: "p2" } }],
  ["a nested hint lower than the root's", { query: "{ listing { variants { sku } } }" }],
  ["a nested private hint under a public root", { query: "{ product(id: \"p2\") { owner { name } } }" }],
  ["an entity fetch whose entities hold a nested field without a hint", entities("...on Product{review{text}}", [{ __typename: "Product", id: "p2" }])],
  ["a root field under @include", { query: "query ($yes: Boolean!) { product(id: \"p1\") @include(if: $yes) { id } }", variables: { yes: true } }],
  ["representations naming no type of the schema", entities("...on Product{name}", [{ __typename: "Nothing", id: "p1" }])],
  ["representations written in the text", { query: "{ _entities(representations: [{ __typename: \"Product\", id: \"p1\" }]) { ...on Product { name } } }" }],
];

describe("a hinted subgraph's prepared queries", () => {
  let reference: RunningServer;
  let prepared: RunningServer;
  let alone: Server;
  let aloneUrl: string;
  before(async () => {
    [reference, prepared] = await Promise.all([start(false), start(true)]);
    const answer = preparedSubgraphQueries({ schema: schema(), server: "hinted-alone", cacheHints: true, context: async (req: IncomingMessage) => ({ requestId: "req-1", via: req.url }) });
    alone = createServer((req, res) => {
      void readBody(req, 1_000_000).then(async (raw) => {
        if (!(await answer(JSON.parse(raw), req, res))) res.writeHead(599).end();
      });
    });
    await new Promise<void>((resolve) => alone.listen(0, "127.0.0.1", resolve));
    aloneUrl = `http://127.0.0.1:${(alone.address() as { port: number }).port}/graphql`;
  });
  after(async () => {
    await Promise.all([reference?.close(), prepared?.close(), new Promise((resolve) => alone?.close(resolve))]);
  });

  for (const [what, body, header] of ANSWERED) {
    it(`answers ${what} with Apollo Server's header, itself`, async () => {
      const expected = await call(reference.url, body);
      assert.equal(expected.status, 200, expected.body);
      assert.ok(!expected.body.includes('"errors"'), expected.body);
      assert.equal(expected.headers["cache-control"], header);
      for (let time = 0; time < 2; time++) assert.deepEqual(await call(prepared.url, body), expected);
      const itself = await call(aloneUrl, body);
      assert.equal(itself.status, 200, "the prepared path answered it");
      assert.equal(itself.body, expected.body);
      assert.equal(itself.headers["cache-control"], header);
    });
  }

  for (const [what, body] of HANDED_OVER) {
    it(`hands ${what} to Apollo Server before any resolver runs`, async () => {
      const expected = await call(reference.url, body);
      assert.deepEqual(await call(prepared.url, body), expected);
      const itself = await call(aloneUrl, body);
      assert.equal(itself.status, 599, `the prepared path answered ${itself.body} with ${itself.headers["cache-control"]}`);
      assert.deepEqual(itself.calls, [], "handed over before any resolver ran");
    });
  }

  it("gives one text the headers its data give it", async () => {
    // The reason the prepared path hands them over: one text, two headers.
    const withRelated = await call(reference.url, { query: RELATED_REVIEW, variables: { id: "p1" } });
    const withoutRelated = await call(reference.url, { query: RELATED_REVIEW, variables: { id: "p2" } });
    assert.equal(withRelated.headers["cache-control"], "no-store");
    assert.equal(withoutRelated.headers["cache-control"], "max-age=60, public");
  });
});
