import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "#kernel";

describe("SEARCH_EXACT_COUNT_LIMIT", () => {
  it("refuses a cap past 10,000: the exact-count flags weigh nothing, so a count selected through them alone must stay cheap", () => {
    assert.throws(
      () => loadConfig({ APP_ENV: "test", SEARCH_EXACT_COUNT_LIMIT: "10001" }),
      (error: unknown) => error instanceof ConfigError && /SEARCH_EXACT_COUNT_LIMIT/.test(error.message),
    );
  });

  it("takes a cap up to 10,000, and 1,000 by default", () => {
    assert.equal(loadConfig({ APP_ENV: "test", SEARCH_EXACT_COUNT_LIMIT: "10000" }).search.exactCountLimit, 10_000);
    assert.equal(loadConfig({ APP_ENV: "test" }).search.exactCountLimit, 1_000);
  });
});
