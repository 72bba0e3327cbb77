import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "#kernel/testing";
import { metricsRegistry } from "#kernel/observability/metrics-registry.ts";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";
import { RawGraphQLSocket } from "../support/raw-graphql-websocket.js";

const RESULTS = `query($q: String!) { search(query: $q, first: 10) { edges { node { id name price { amount currency } } } } }`;
const PRODUCT = `query($id: ID!) { product(id: $id) { id name price { amount currency } } }`;

/** Calls of the gateway to the products subgraph so far (each fetch of a query plan). */
async function productsFetches(): Promise<number> {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === "storefront_gateway_subgraph_request_duration_seconds");
  const counts = (metric?.values ?? []) as { metricName?: string; labels: Record<string, string | number>; value: number }[];
  return counts.filter((v) => v.metricName?.endsWith("_count") && v.labels.subgraph === "products").reduce((sum, v) => sum + v.value, 0);
}

describe("search results carry their name and price from the index", () => {
  let sg: TestSupergraph;
  let admin: string;
  const query = (q: string, variables: Record<string, unknown> = {}, token?: string) => sg.query(q, variables, token);

  before(async () => {
    // The response cache off: every search below reaches the subgraphs.
    sg = await startTestSupergraph({ env: { SEED_PRODUCTS: "30", RESPONSE_CACHE_TTL_SECONDS: "0" } });
    admin = await sg.token("search-admin", ["customer", "admin"]);
  });
  after(async () => {
    await sg?.close();
  });

  it("answers a results page without asking the catalog, with what the catalog says", async () => {
    await waitFor("the seeded products are searchable", async () => ((await query(RESULTS, { q: "" })).data as { search: { edges: unknown[] } } | undefined)?.search.edges.length === 10);
    const before = await productsFetches();
    const page = await query(RESULTS, { q: "" });
    assert.equal(page.errors, undefined, JSON.stringify(page.errors));
    assert.equal(await productsFetches(), before, "no fetch from the products subgraph");
    const nodes = (page.data as { search: { edges: { node: { id: string } }[] } }).search.edges.map((edge) => edge.node);
    for (const node of nodes) {
      const product = await query(PRODUCT, { id: node.id });
      assert.deepEqual(node, (product.data as { product: unknown }).product, node.id);
    }
  });

  it("answers the same results page over the WebSocket transport, without asking the catalog either", async () => {
    const overHttp = await query(RESULTS, { q: "" });
    const before = await productsFetches();
    const socket = await RawGraphQLSocket.connect(sg.gatewayUrl, await sg.token("search-ws"));
    try {
      socket.subscribe("s", { query: RESULTS, variables: { q: "" } });
      const { next, error } = await socket.result("s");
      assert.equal(error, undefined, JSON.stringify(error));
      assert.deepEqual(next[0]!.payload.data, overHttp.data);
    } finally {
      socket.close();
    }
    assert.equal(await productsFetches(), before, "no fetch from the products subgraph");
  });

  it("still asks the catalog for what the index does not carry", async () => {
    const before = await productsFetches();
    const page = await query(`{ search(query: "", first: 3) { edges { node { id name description } } } }`);
    assert.equal(page.errors, undefined, JSON.stringify(page.errors));
    assert.ok((await productsFetches()) > before, "a fetch from the products subgraph for the description");
    const nodes = (page.data as { search: { edges: { node: { description: string } }[] } }).search.edges.map((edge) => edge.node);
    assert.ok(nodes.length === 3 && nodes.every((node) => node.description.length > 0));
  });

  it("shows a new name and price once the change is indexed", async () => {
    const first = (await query(RESULTS, { q: "" })).data as { search: { edges: { node: { id: string } }[] } };
    const id = first.search.edges[0]!.node.id;
    const renamed = await query(`mutation($id: ID!) { updateProduct(id: $id, input: { name: "Zeppelin Kettle", priceAmount: 4321 }) { id } }`, { id }, admin);
    assert.equal(renamed.errors, undefined, JSON.stringify(renamed.errors));
    await waitFor("the search result shows the change", async () => {
      const page = (await query(RESULTS, { q: "zeppelin" })).data as { search: { edges: { node: { id: string; name: string; price: { amount: number } } }[] } };
      const node = page.search.edges.find((edge) => edge.node.id === id)?.node;
      return node?.name === "Zeppelin Kettle" && node.price.amount === 4321;
    });
  });
});
