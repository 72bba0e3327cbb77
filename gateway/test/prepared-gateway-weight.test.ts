// Adversarial: a prepared operation keeps the document it was planned from, parsed with its
// locations, and a dense text of the limits (30 aliased products of ten fields: 3.6 KB, 1,000
// tokens) holds 360 KB that way. Weighed by its text and plan alone, the gateway's 8,000,000 of
// prepared weight held 250 MB of such texts; weighed with its parse, about what the parsed-document
// store holds for the same weight.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import type { GraphQLDataSource } from "@apollo/gateway";
import { SUPERGRAPH_PATH } from "../../schema/subgraphs.js";
import { PreparedGateway } from "../src/execution/prepared-gateway.js";
import { heapAfterGc, MB } from "../../test/support/heap-after-gc.js";

const SDL = readFileSync(SUPERGRAPH_PATH, "utf8");
const FIELDS = "id sku name description category brand createdAt updatedAt price { amount currency }";
/** 30 aliased products of ten fields: as dense as the token limit allows, all valid. */
const dense = (n: number) => `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: product(id: "p${i}") { ${FIELDS} }`).join(" ")} } # ${n}`;

describe("the weight of a prepared operation", () => {
  it("counts the document it keeps parsed: 80 dense texts hold no more than a few times the weight kept", async () => {
    const answering: GraphQLDataSource = { process: async () => ({ data: { product: null } }) };
    const keptWeight = 1_000_000;
    const gateway = new PreparedGateway(SDL, () => answering, { keptWeight });
    // No store of its own: what is weighed is what the gateway keeps.
    const server = new ApolloServer({ gateway, documentStore: null, includeStacktraceInErrorResponses: false });
    await server.start();
    try {
      const run = async (n: number) => {
        const response = await server.executeOperation({ query: dense(n) });
        assert.equal(response.body.kind === "single" && response.body.singleResult.errors, undefined);
      };
      await run(0);
      const before = heapAfterGc();
      for (let n = 1; n <= 80; n++) await run(n);
      const grown = heapAfterGc() - before;
      assert.ok(gateway.preparedWeight() <= keptWeight);
      // Weighed by text and plan, 90 of them were kept in the same weight: 38 bytes a unit, where
      // 12 are kept with their parses weighed, 6.
      assert.ok(grown < 12 * keptWeight, `${gateway.preparedCount()} dense texts kept in ${gateway.preparedWeight()} of weight grew the heap by ${(grown / MB).toFixed(1)} MB`);
    } finally {
      await server.stop();
    }
  });
});
