import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Supergraph } from "@apollo/federation-internals";
import { Parser } from "graphql/language/parser.js";
import { createRequestPolicy, type OperationLimits } from "../src/security/request-policy.js";
import { listSizesOf } from "../src/security/list-sizes.js";
import type { CallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { refusal } from "./support/policy-refusal.js";

const CALLER = { key: "user:caller", network: "ip:192.0.2.1", site: undefined };
const limits: OperationLimits = { maxDepth: 12, maxAliases: 30, maxCost: 10_000, maxFieldRepeats: 20, maxTokens: 2_000, maxBatchSize: 5 };
const supergraph = Supergraph.build(readFileSync("schema/supergraph.graphql", "utf8"));
// Measured as the gateway measures: the API clients query, with the supergraph's declared sizes.
const listSizes = listSizesOf(supergraph.apiSchema().toGraphQLJSSchema(), supergraph.schema.toGraphQLJSSchema());

function policy() {
  return createRequestPolicy({
    limits,
    rateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    networkRateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    budgets: { charge: async () => ({ giveBack: async () => {} }) },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
    listSizes,
  });
}

describe("request policy: a refusal points at the part of the query to change", () => {
  it("gives a syntax error's line and column, over HTTP and WebSocket alike", async () => {
    const query = `query Search {\n  search(query: "lamp" first: 3) {\n    totalCount\n  }\n`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.code, "GRAPHQL_PARSE_FAILED");
    assert.deepEqual(refused.locations, [{ line: 5, column: 1 }], "the end of the text, where the closing brace is missing");
    assert.deepEqual(refused.toGraphQLError().toJSON().locations, [{ line: 5, column: 1 }]);
    const stray = await refusal(policy().admit([{ query: `{ products { edges } } }` }], CALLER, "websocket"));
    assert.deepEqual(stray.locations, [{ line: 1, column: 24 }]);
  });

  it("names the page size that makes an operation too costly, with its argument, value and place", async () => {
    const query = `query Listing {\n  categories { slug }\n  products(first: 1000) { edges { node { name variants { id stock } } } }\n}`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.equal(refused.extensions.field, "Query.products");
    assert.equal(refused.extensions.argument, "first");
    assert.equal(refused.extensions.first, 1000);
    assert.ok((refused.extensions.fieldCost as number) > limits.maxCost);
    assert.match(refused.message, /products\(first: 1000\).*: send a first of at most \d+ \(each item costs \d+\)$/);
    assert.deepEqual(refused.locations, [{ line: 3, column: 3 }]);
  });

  it("names the largest page that fits, and that page is admitted where one more is not", async () => {
    const listing = (first: number) => `query Listing {\n  categories { slug }\n  products(first: ${first}) { edges { node { name variants { id stock } } } }\n}`;
    const refused = await refusal(policy().admit([{ query: listing(1000) }], CALLER, "http-post"));
    const fits = refused.extensions.pageThatFits as number;
    assert.ok(fits > 1 && fits < 1000, `pageThatFits ${fits}`);
    assert.match(refused.message, new RegExp(`: send a first of at most ${fits} \\(each item costs \\d+\\)$`));
    const [admitted] = await policy().admit([{ query: listing(fits) }], CALLER, "http-post");
    assert.ok(admitted!.measure.cost <= limits.maxCost);
    assert.equal((await refusal(policy().admit([{ query: listing(fits + 1) }], CALLER, "http-post"))).code, "QUERY_TOO_COMPLEX");
  });

  it("tells a page of one item too costly to ask for fewer fields under it, naming the costliest list there, not to send a smaller page", async () => {
    const query = `{ products(first: 1) { edges { node { name variants { id product { variants { id stock } } } } } } }`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.equal(refused.extensions.first, 1);
    assert.equal(refused.extensions.pageThatFits, undefined);
    assert.doesNotMatch(refused.message, /send a/);
    assert.match(refused.message, /products\(first: 1\) \(Query\.products\), \d+ each time it runs: one item alone costs \d+, so no first fits: ask for fewer fields under it; the costliest there is variants \(Product\.variants\), \d+ each time it runs$/);
  });

  it("names a page sent through a variable, nested under another field, at the place it is selected", async () => {
    const query = `query Mine($n: Int) { me { email orders(first: $n) { edges { node { id items { product { name } } } } } } }`;
    const refused = await refusal(policy().admit([{ query, variables: { n: 100_000 } }], CALLER, "http-post"));
    assert.equal(refused.extensions.argument, "first");
    assert.equal(refused.extensions.first, 100_000);
    assert.match(String(refused.extensions.field), /\.orders$/);
    assert.deepEqual(refused.locations, [{ line: 1, column: query.indexOf("orders(") + 1 }]);
  });

  it("names the costliest list when no page size was sent, and what else to change", async () => {
    const query = `{ search(query: "lamp") { totalCount } products { edges { node { name variants { id stock images { url srcset alt } } } } } }`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.extensions.field, "Query.products");
    assert.equal(refused.extensions.argument, undefined);
    assert.match(refused.message, /send a first of at most \d+ \(it runs with 20; each item costs \d+\), or ask for fewer fields under it$/);
    assert.deepEqual(refused.locations, [{ line: 1, column: query.indexOf("products") + 1 }]);
  });

  it("names the deepest field of an operation nested too deep, with its path and place, through fragments", async () => {
    const query = [
      "query Deep {",
      "  me { ...Orders }",
      "}",
      "fragment Orders on User { orders { edges { node { items { product { variants { product { variants { product { variants { product { name } } } } } } } } } } } }",
    ].join("\n");
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.ok((refused.extensions.depth as number) > limits.maxDepth);
    assert.equal(refused.extensions.deepestField, "me.orders.edges.node.items.product.variants.product.variants.product.variants.product.name");
    assert.match(refused.message, /depth \d+ exceeds 12; the deepest field is me\.orders\..*\.name/);
    const line = query.split("\n")[3]!;
    assert.deepEqual(refused.locations, [{ line: 4, column: line.lastIndexOf("name") + 1 }]);
  });

  it("names the deepest field the depth counts, not a deeper introspection read beside it", async () => {
    const ofTypes = "ofType { ".repeat(12) + "name" + " }".repeat(12);
    const deep = "me { orders { edges { node { items { product { variants { product { variants { product { variants { product { name } } } } } } } } } } } }";
    const query = `{ __schema { types { fields { type { ${ofTypes} } } } } ${deep} }`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.equal(refused.extensions.deepestField, "me.orders.edges.node.items.product.variants.product.variants.product.variants.product.name");
  });

  it("names the selection holding too many aliases and its first aliased field, through root fragments", async () => {
    const aliased = Array.from({ length: 31 }, (_, i) => `p${i}: product(id: "prod_0000001") { id }`).join("\n  ");
    const query = `query Wide {\n  ...Wide\n}\nfragment Wide on Query {\n  ${aliased}\n}`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.equal(refused.extensions.aliases, 31);
    assert.equal(refused.extensions.path, "");
    assert.match(refused.message, /aliases 31 exceeds 30; at the operation's root 31 fields are aliased: ask for fewer aliased fields there/);
    assert.deepEqual(refused.locations, [{ line: 5, column: 3 }]);
  });

  it("names where a fragment bomb's aliases land, counted as often as its spreads expand them", async () => {
    const levels = Array.from({ length: 5 }, (_, i) => `fragment A${i + 1} on Product { ...A${i} ...A${i} }`).join("\n");
    const query = `{ me { email } product(id: "prod_0000001") { ...A5 } }\nfragment A0 on Product { a: id b: name }\n${levels}`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
    assert.equal(refused.extensions.aliases, 64);
    assert.equal(refused.extensions.path, "product");
    assert.match(refused.message, /under product 64 fields are aliased/);
    assert.deepEqual(refused.locations, [{ line: 2, column: "fragment A0 on Product { ".length + 1 }]);
  });

  it("names the field selected too often in one selection, its path and its first place", async () => {
    const query = `{\n  product(id: "prod_0000001") {\n    variants { ${"sku ".repeat(21)}}\n  }\n}`;
    const refused = await refusal(policy().admit([{ query }], CALLER, "websocket"));
    assert.equal(refused.code, "QUERY_TOO_COMPLEX");
    assert.equal(refused.extensions.repeats, 21);
    assert.equal(refused.extensions.field, "sku");
    assert.equal(refused.extensions.path, "product.variants");
    assert.match(refused.message, /repeats 21 exceeds 20; under product\.variants sku is selected 21 times: select it once/);
    assert.deepEqual(refused.locations, [{ line: 3, column: "    variants { ".length + 1 }]);
  });

  it("points at the place of every limit's refusal from the one parse that admitted the text: the text is not parsed again", async () => {
    const bomb = (field: string, levels: number) =>
      `{ product(id: "prod_0000001") { ...B${levels} } }\nfragment B0 on Product { ${field} }\n${Array.from({ length: levels }, (_, i) => `fragment B${i + 1} on Product { ...B${i} ...B${i} }`).join("\n")}`;
    const deep = "{ me { orders { edges { node { items { product { variants { product { variants { product { variants { product { name } } } } } } } } } } } } }";
    const cases = {
      aliases: bomb("a: id", 20),
      repeats: bomb("id", 5),
      depth: deep,
      cost: `{ products(first: 1000) { edges { node { name variants { id stock } } } } }`,
    };
    const documents = { parsed: 0 };
    const parseDocument = Parser.prototype.parseDocument;
    Parser.prototype.parseDocument = function (this: Parser) {
      documents.parsed += 1;
      return parseDocument.call(this);
    };
    try {
      for (const [limit, query] of Object.entries(cases)) {
        documents.parsed = 0;
        const refused = await refusal(policy().admit([{ query }], CALLER, "http-post"));
        assert.ok(refused.extensions[limit] !== undefined, `${limit}: ${refused.message}`);
        assert.equal(refused.locations?.length, 1, `${limit} points at its place`);
        assert.equal(documents.parsed, 1, `${limit}: the text is parsed once`);
      }
    } finally {
      Parser.prototype.parseDocument = parseDocument;
    }
  });
});
