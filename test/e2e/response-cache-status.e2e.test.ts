import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "#kernel";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

const SEARCH = `query Search($q: String!) { search(query: $q, first: 3) { totalCount edges { node { id name } } } }`;

describe("the response cache does not tell a caller what others searched", () => {
  let sg: TestSupergraph;
  before(async () => {
    sg = await startTestSupergraph({ env: { RESPONSE_CACHE_TTL_SECONDS: "30", RESPONSE_CACHE_STATUS_HEADER: "false" } });
  });
  after(() => sg?.close());

  it("answers a search another caller asked with no cache status, the same data and the same cache-control", async () => {
    const someone = await sg.query(SEARCH, { q: "lamp" }, await sg.token("cache-someone"));
    const prober = await sg.query(SEARCH, { q: "lamp" });
    assert.equal(someone.errors, undefined);
    assert.deepEqual(prober.data, someone.data);
    for (const answer of [someone, prober]) assert.equal(answer.headers.get("x-response-cache"), null);
    assert.equal(prober.headers.get("cache-control"), someone.headers.get("cache-control"));
  });

  it("leaves the status out in production unless asked, and says it elsewhere", () => {
    const production = { APP_ENV: "production", JWT_AUDIENCE: "storefront-production", JWT_SECRET: "p".repeat(40), INTERNAL_SECRET: "i".repeat(40) };
    assert.equal(loadConfig(production).gateway.performance.responseCacheStatusHeader, false);
    assert.equal(loadConfig({ ...production, RESPONSE_CACHE_STATUS_HEADER: "true" }).gateway.performance.responseCacheStatusHeader, true);
    assert.equal(loadConfig({ APP_ENV: "development" }).gateway.performance.responseCacheStatusHeader, true);
    assert.equal(loadConfig({ APP_ENV: "test" }).gateway.performance.responseCacheStatusHeader, true);
  });
});
