import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatCount } from "../src/index.js";

describe("search counts as shown", () => {
  it("shows an exact count as it is and a lower bound with a plus", () => {
    assert.equal(formatCount(12, true), "12");
    assert.equal(formatCount(1_000, false), "1,000+");
    assert.equal(formatCount(10_000, true), "10,000");
  });
});
