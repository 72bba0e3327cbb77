import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "graphql";
import { unstorableLiteral } from "../src/graphql/text-input-guard-plugin.js";

describe("text input guard: string literals", () => {
  it("finds the unstorable literal of a document every time it is asked, and none in a clean one", () => {
    const bad = parse(`{ search(query: "lamp\\u0000") { totalCount } }`);
    const clean = parse(`{ search(query: "lamp") { totalCount } }`);
    for (let round = 0; round < 3; round++) {
      assert.equal(unstorableLiteral(bad)?.value, "lamp\u0000", `round ${round + 1}`);
      assert.equal(unstorableLiteral(clean), undefined, `round ${round + 1}`);
    }
  });

  it("judges each parsed document on its own, whatever was judged before", () => {
    const texts = [`{ a: search(query: "ok") { totalCount } }`, `{ a: search(query: "nul\\u0000") { totalCount } }`];
    for (const text of [...texts, ...[...texts].reverse()]) {
      const expected = text.includes("nul") ? "nul\u0000" : undefined;
      assert.equal(unstorableLiteral(parse(text))?.value, expected, text);
    }
  });
});
