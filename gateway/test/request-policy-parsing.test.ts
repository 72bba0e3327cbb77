import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRequestPolicy, type OperationLimits } from "../src/security/request-policy.js";
import type { CallerRateLimiter } from "../src/rate-limit/caller-rate-limiter.js";
import type { PersistedOperationCheck } from "../src/security/persisted-operations.js";
import { refusal } from "./support/policy-refusal.js";

const CALLER = { key: "user:caller", network: "ip:192.0.2.1", site: undefined };
const limits: OperationLimits = { maxDepth: 12, maxAliases: 30, maxCost: 5_000, maxFieldRepeats: 10, maxTokens: 2_000, maxBatchSize: 5 };

function policy() {
  return createRequestPolicy({
    limits,
    rateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    networkRateLimit: (async () => ({ allowed: true, retryAfterSeconds: 0 })) as unknown as CallerRateLimiter,
    budgets: { charge: async () => ({ giveBack: async () => {} }) },
    persisted: (() => ({ ok: true })) as unknown as PersistedOperationCheck,
  });
}

describe("request policy: a query text parsed once", () => {
  it("admits a repeated text with the same document, measured for each request's own variables", async () => {
    const gate = policy();
    const query = `query Page($first: Int) { products(first: $first) { edges { node { id } } } }`;
    const [a] = await gate.admit([{ query, variables: { first: 5 } }], CALLER, "http-post");
    const [b] = await gate.admit([{ query, variables: { first: 50 } }], CALLER, "http-post");
    assert.equal(a!.document, b!.document, "parsed once");
    assert.deepEqual(b!.variables, { first: 50 });
    assert.equal(gate.parsedKept().texts, 1);
    const costly = await refusal(gate.admit([{ query, variables: { first: 100_000 } }], CALLER, "http-post"));
    assert.equal(costly.code, "QUERY_TOO_COMPLEX", "the cost is measured with this request's variables");
  });

  it("measures a repeated text once per page size, not once per request", async () => {
    const gate = policy();
    const query = `query Page($first: Int, $after: String) { products(first: $first, after: $after) { edges { node { id } } } }`;
    const [a] = await gate.admit([{ query, variables: { first: 5, after: "x" } }], CALLER, "http-post");
    const [b] = await gate.admit([{ query, variables: { first: 5, after: "y" } }], CALLER, "http-post");
    const [c] = await gate.admit([{ query, variables: { first: 50 } }], CALLER, "http-post");
    assert.equal(b!.measure, a!.measure, "the same page size: the measure of the first request");
    assert.notEqual(c!.measure.cost, a!.measure.cost, "another page size: measured for it");
  });

  it("answers a request that is no GraphQL request (a browser tab on /graphql, a query posted as text) with how to send one", async () => {
    const gate = policy();
    const noQuery = await refusal(gate.admit([{}], CALLER, "http-get"));
    assert.equal(noQuery.code, "BAD_USER_INPUT");
    assert.match(noQuery.message, /^The request has no query: POST \{"query": "\{ \.\.\. \}"\} with content-type application\/json, or write one in \/explorer$/);
    const text = await refusal(gate.admit(["{ me { id } }" as never], CALLER, "http-post"));
    assert.match(text.message, /^Each operation is a JSON object with a query: POST .* application\/json/);
    assert.equal((await refusal(gate.admit([{}], CALLER, "websocket"))).message, "The operation has no query", "no HTTP advice over a WebSocket");
  });

  it("refuses a text every time it comes, and keeps nothing of it", async () => {
    const gate = policy();
    const unstorable = `{ search(query: "lamp\\u0000") { totalCount } }`;
    const tooLong = `{ ${Array.from({ length: 2_100 }, (_, i) => `f${i}`).join(" ")} }`;
    const broken = `{ search(query: "lamp") { totalCount }`;
    for (let round = 0; round < 3; round++) {
      assert.equal((await refusal(gate.admit([{ query: unstorable }], CALLER, "http-post"))).code, "BAD_USER_INPUT");
      assert.equal((await refusal(gate.admit([{ query: tooLong }], CALLER, "http-post"))).code, "QUERY_TOO_COMPLEX");
      assert.equal((await refusal(gate.admit([{ query: broken }], CALLER, "http-post"))).code, "GRAPHQL_PARSE_FAILED");
    }
    assert.deepEqual(gate.parsedKept(), { texts: 0, characters: 0 });
  });

  it("refuses a name longer than 128 characters wherever it stands, at its line and column, and takes one of 128", async () => {
    const gate = policy();
    const long = "n".repeat(129);
    const places: [string, string][] = [
      ["a field", `{ ${long} }`],
      ["an alias", `{ ${long}: __typename }`],
      ["an argument", `{ product(${long}: "x") { id } }`],
      ["a variable", `query($${long}: Int) { __typename }`],
      ["a type", `query($v: ${long}) { __typename }`],
      ["a directive", `{ __typename @${long} }`],
      ["an enum value", `{ products(first: 1, sort: { field: ${long} }) { edges { node { id } } } }`],
      ["an input field", `{ products(first: 1, filter: { ${long}: 1 }) { edges { node { id } } } }`],
      ["a fragment", `{ ...${long} } fragment ${long} on Query { __typename }`],
      ["an operation", `query ${long} { __typename }`],
    ];
    for (const [place, query] of places) {
      const refused = await refusal(gate.admit([{ query }], CALLER, "http-post"));
      assert.equal(refused.code, "GRAPHQL_PARSE_FAILED", place);
      assert.match(refused.message, /A name has at most 128 characters; this one has 129/, place);
      assert.deepEqual(refused.locations, [{ line: 1, column: query.indexOf(long) + 1 }], place);
    }
    const [admitted] = await gate.admit([{ query: `{ ${"n".repeat(128)}: __typename }` }], CALLER, "http-post");
    assert.ok(admitted);
  });

  it("still applies every per-request check to a text it knows: operation name, transport, limits", async () => {
    const gate = policy();
    const query = `query A { products(first: 1) { edges { node { id } } } } mutation B { logout }`;
    await gate.admit([{ query, operationName: "A" }], CALLER, "http-post");
    assert.equal((await refusal(gate.admit([{ query }], CALLER, "http-post"))).code, "BAD_USER_INPUT", "several operations, none named");
    assert.equal((await refusal(gate.admit([{ query, operationName: "B" }], CALLER, "http-get"))).status, 405, "a mutation over GET");
    const deep = `{ ${"categories { children { ".repeat(7)}slug${" } }".repeat(7)} }`;
    await refusal(gate.admit([{ query: deep }], CALLER, "http-post"));
    assert.equal((await refusal(gate.admit([{ query: deep }], CALLER, "http-post"))).code, "QUERY_TOO_COMPLEX", "the second time too");
    const live = `subscription Live($id: ID!) { orderStatusChanged(orderId: $id) { status } }`;
    await gate.admit([{ query: live, variables: { id: "ord_1" } }], CALLER, "websocket");
    assert.equal((await refusal(gate.admit([{ query: live, variables: { id: "ord_1" } }], CALLER, "http-post"))).status, 405, "kept over WebSocket, refused over HTTP");
  });

  it("keeps only admitted texts: one refused for its limits takes no room and displaces nothing", async () => {
    const gate = policy();
    const kept = `{ products(first: 1) { edges { node { id } } } }`;
    await gate.admit([{ query: kept }], CALLER, "http-post");
    for (let i = 0; i < 50; i++) {
      const tooManyAliases = `{ ${Array.from({ length: 31 }, (_, j) => `a${i}_${j}: categories { slug }`).join(" ")} }`;
      assert.equal((await refusal(gate.admit([{ query: tooManyAliases }], CALLER, "http-post"))).code, "QUERY_TOO_COMPLEX");
    }
    assert.deepEqual(gate.parsedKept(), { texts: 1, characters: kept.length });
  });

  it("keeps at most 1,000 texts and 256,000 characters, forgetting the least recently used first", async () => {
    const gate = policy();
    const text = (i: number, pad = 0) => `{ search(query: "${String(i).padStart(pad, "x")}") { totalCount } }`;
    for (let i = 0; i < 1_200; i++) await gate.admit([{ query: text(i) }], CALLER, "http-post");
    assert.equal(gate.parsedKept().texts, 1_000);
    const [kept] = await gate.admit([{ query: text(1_199) }], CALLER, "http-post");
    const [again] = await gate.admit([{ query: text(1_199) }], CALLER, "http-post");
    assert.equal(kept!.document, again!.document);
    for (let i = 0; i < 900; i++) await gate.admit([{ query: text(i, 9_000) }], CALLER, "http-post");
    const { texts, characters } = gate.parsedKept();
    assert.ok(characters <= 256_000, `${characters} characters kept`);
    assert.ok(texts < 1_000, `${texts} texts kept`);
  });
});

// Validation walks every operation and fragment of a document, not only the one a request runs,
// and compares same-named fields pairwise: an operation left unchosen (or a fragment nothing
// spreads) selecting `id` 900 times was validated at no limit, 8-10 ms of CPU a request, where
// the same selection in the chosen operation is refused by the policy at once.
const ids = (n: number) => "id ".repeat(n);
const aliased = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(" ");

describe("request policy: the whole document is held to the depth, alias and repeat limits", () => {
  const cases: [string, { query: string; operationName?: string }, string][] = [
    ["an unchosen operation repeating a field", { query: `query A { __typename } query B { product(id: "p") { ${ids(900)}} }`, operationName: "A" }, "repeats"],
    ["a fragment nothing spreads", { query: `query A { __typename } fragment F on Query { product(id: "p") { ${ids(900)}} }` }, "repeats"],
    ["a fragment only an unchosen operation spreads", { query: `query A { __typename } query B { ...F } fragment F on Query { product(id: "p") { ${ids(900)}} }`, operationName: "A" }, "repeats"],
    ["an unchosen operation of many aliases", { query: `query A { __typename } query B { ${aliased(31)} }`, operationName: "A" }, "aliases"],
    ["an unchosen operation nested too deep", { query: `query A { __typename } query B { ${"a { ".repeat(13)}b${" }".repeat(13)} }`, operationName: "A" }, "depth"],
  ];
  for (const [name, request, limit] of cases) {
    it(`refuses ${name} (QUERY_TOO_COMPLEX, naming the ${limit})`, async () => {
      const refused = await refusal(policy().admit([request], CALLER, "http-post"));
      assert.equal(refused.code, "QUERY_TOO_COMPLEX");
      assert.ok((refused.extensions[limit] as number) > (refused.extensions.limit as number), refused.message);
      assert.match(refused.message, /an operation or fragment the request does not run/);
    });
  }

  it("admits a document of several operations and shared fragments within the limits, and a spread cycle anywhere is a validation error", async () => {
    const query = `query A { ...F } query B { product(id: "p") { ...P } } fragment F on Query { __typename } fragment P on Product { id name }`;
    const [admitted] = await policy().admit([{ query, operationName: "B" }], CALLER, "http-post");
    assert.equal(admitted!.operationName, "B");
    const cycle = await refusal(policy().admit([{ query: `query A { __typename } fragment X on Query { ...Y } fragment Y on Query { ...X }` }], CALLER, "http-post"));
    assert.equal(cycle.code, "GRAPHQL_VALIDATION_FAILED");
  });
});
