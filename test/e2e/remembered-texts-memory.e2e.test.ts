// Adversarial: what the gateway and the subgraphs remember of each text they are sent (the JSON
// of a fetch's text, a subgraph's parse of it) was bounded by a count of texts alone, and a text
// is the caller's to write: a product id written as a 90 KB literal goes into the fetch the
// gateway plans and sends, so 2,000 such requests, within a few guests' budgets, were held
// forever by both. What is remembered is bounded by the characters it holds.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { heapAfterGc, MB } from "../support/heap-after-gc.js";


describe("texts remembered by the gateway and the subgraphs", () => {
  let sg: TestSupergraph;
  before(async () => {
    // Budgets wide enough for the texts: what is measured is the memory, not who may send them.
    sg = await startTestSupergraph({ env: { RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_COST_PER_MINUTE: "100000000" } });
  });
  after(() => sg.close());

  it("holds no more for 200 more texts of a 90 KB literal once every bounded store is full", async () => {
    const token = await sg.token("long-literal-writer");
    let n = 0;
    const send = async () => {
      const id = `${++n}-${"x".repeat(90_000)}`;
      const answer = await sg.query(`{ product(id: "${id}") { id name } }`, {}, token);
      assert.equal(answer.status, 200, JSON.stringify(answer.errors?.[0]));
      assert.equal(answer.data?.product, null);
    };
    // 100 texts of 90 KB fill every store bounded by its characters (a few MB each).
    for (let i = 0; i < 100; i++) await send();
    const before = heapAfterGc();
    for (let i = 0; i < 200; i++) await send();
    const grown = heapAfterGc() - before;
    // Remembered by count alone, the 200 held 54 MB (the fetch's JSON at the gateway, the
    // subgraph's parse of it: 35 and 19 MB), and 2,000 would have held 540 MB.
    assert.ok(grown < 12 * MB, `200 more texts grew the heap by ${(grown / MB).toFixed(1)} MB`);
  });
});
