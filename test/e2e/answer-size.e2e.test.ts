// The size of an answer is bounded by what the limits count: a field that may hold thousands of
// characters is weighed by them in the cost measure, so a short query cannot ask for megabytes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { wsClient } from "../support/graphql-client.js";
import { MAX_DESCRIPTION_LENGTH } from "../../subgraphs/products/src/domain/product.validation.js";

/** The demo catalog's products, each given a description of the most characters one may hold. */
const PRODUCTS = 40;
const LONG_DESCRIPTION = "Sturdy, reliable design built for everyday use. ".repeat(200).slice(0, MAX_DESCRIPTION_LENGTH);

const aliasedDescriptions = (count: number) => Array.from({ length: count }, (_, i) => `d${i}: description`).join(" ");

describe("answer size: long text fields weigh what they may hold", () => {
  let sg: TestSupergraph;
  /** Each product's description as the catalog keeps it. */
  const stored = new Map<string, string>();

  before(async () => {
    sg = await startTestSupergraph();
    const admin = await sg.token("answer-size-admin", ["customer", "admin"]);
    for (let n = 1; n <= PRODUCTS; n++) {
      const id = `prod_${String(n).padStart(7, "0")}`;
      const answer = await sg.query(`mutation($id: ID!, $d: String!) { updateProduct(id: $id, input: { description: $d }) { id description } }`, { id, d: LONG_DESCRIPTION }, admin);
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
      const description = answer.data!.updateProduct.description as string;
      assert.ok(description.length > MAX_DESCRIPTION_LENGTH - 100, `${description.length} characters`);
      stored.set(id, description);
    }
  });
  after(async () => {
    await sg?.close();
  });

  it("refuses 29 aliased descriptions of a page of products as too complex (a 540-byte query answered 14.5 MB, 450 ms of CPU)", async () => {
    const query = `{ products(first: ${PRODUCTS}) { edges { node { ${aliasedDescriptions(29)} } } } }`;
    assert.ok(query.length < 600);
    const answer = await sg.query(query);
    assert.equal(answer.data, undefined);
    assert.equal(answer.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX", JSON.stringify(answer.errors));
  });

  it("refuses the same descriptions spread from a root fragment, and over the WebSocket, as over HTTP", async () => {
    const throughFragment = `query { ...Page } fragment Page on Query { products(first: ${PRODUCTS}) { edges { node { ${aliasedDescriptions(29)} } } } }`;
    const spread = await sg.query(throughFragment);
    assert.equal(spread.data, undefined);
    assert.equal(spread.errors?.[0]?.extensions?.code, "QUERY_TOO_COMPLEX", JSON.stringify(spread.errors));

    const client = wsClient(sg.gatewayUrl);
    try {
      for (const query of [`{ products(first: ${PRODUCTS}) { edges { node { ${aliasedDescriptions(29)} } } } }`, throughFragment]) {
        const errors = await new Promise<readonly { extensions?: Record<string, unknown> }[]>((resolve, reject) => {
          client.subscribe({ query }, { next: () => reject(new Error("answered")), error: (error) => resolve(error as { extensions?: Record<string, unknown> }[]), complete: () => reject(new Error("completed without a refusal")) });
        });
        assert.equal(errors[0]?.extensions?.code, "QUERY_TOO_COMPLEX", JSON.stringify(errors));
      }
    } finally {
      await client.dispose();
    }
  });

  it("serves the listing a storefront shows: a page of products, each with its whole description", async () => {
    const answer = await sg.query(`{ products(first: ${PRODUCTS}) { edges { node { id name description } } } }`);
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    const edges = answer.data!.products.edges as { node: { id: string; description: string } }[];
    assert.equal(edges.length, PRODUCTS);
    for (const { node } of edges) assert.ok(node.description === stored.get(node.id), node.id);
  });

  it("serves a product page asking for its description once", async () => {
    const answer = await sg.query(`{ product(id: "prod_0000001") { id description } }`);
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.ok(answer.data!.product.description === stored.get("prod_0000001"));
  });
});
