import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { ApolloGateway, type GraphQLDataSource } from "@apollo/gateway";
import type { GatewayInterface } from "@apollo/server-gateway-interface";
import { SUPERGRAPH_PATH } from "../../schema/subgraphs.js";
import { PreparedGateway } from "../src/execution/prepared-gateway.js";

const SDL = readFileSync(SUPERGRAPH_PATH, "utf8");

/** Subgraphs that answer every fetch from its variables, and remember what they were asked. */
function recordingSubgraphs() {
  const asked: { subgraph: string; query: string }[] = [];
  const build = ({ name }: { name: string }): GraphQLDataSource => ({
    async process({ request }) {
      asked.push({ subgraph: name, query: request.query! });
      const variables = (request.variables ?? {}) as { id?: string; representations?: { __typename: string; id?: string }[] };
      if (variables.representations) {
        return { data: { _entities: variables.representations.map((r) => ({ __typename: r.__typename, id: r.id, stock: 7, inStock: true })) } };
      }
      if (variables.id === "missing") return { data: { product: null } };
      if (variables.id === "broken") return { errors: [{ message: "the catalog is down", extensions: { code: "SERVICE_UNAVAILABLE" } }], data: { product: null } };
      return { data: { product: { __typename: "Product", id: variables.id, name: `Product ${variables.id}`, brand: "Acme", category: "lamps", variants: [] } } };
    },
  });
  return { asked, build };
}

async function serverOver(gateway: GatewayInterface) {
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  return {
    async run(query: string, variables?: Record<string, unknown>, operationName?: string) {
      const response = await server.executeOperation({ query, variables, operationName });
      assert.equal(response.body.kind, "single");
      // Plain JSON, as a client reads it (the executor's objects have no prototype).
      return response.body.kind === "single" ? (JSON.parse(JSON.stringify(response.body.singleResult)) as { data?: { product?: { id?: string } | null } | null; errors?: unknown[] }) : undefined;
    },
    stop: () => server.stop(),
  };
}

const PRODUCT = "query ProductPage($id: ID!) { product(id: $id) { id name brand } }";
const WITH_STOCK = "query Stocked($id: ID!) { product(id: $id) { id name stock inStock } }";
const TWO = "query A($id: ID!) { product(id: $id) { id } } query B($id: ID!) { item: product(id: $id) { ...Named } } fragment Named on Product { name }";

describe("prepared gateway", () => {
  it("answers every request as @apollo/gateway does over the same subgraphs, and asks them the same", async () => {
    const ours = recordingSubgraphs();
    const stock = recordingSubgraphs();
    const prepared = await serverOver(new PreparedGateway(SDL, ours.build));
    const reference = await serverOver(new ApolloGateway({ supergraphSdl: SDL, buildService: stock.build }));
    try {
      const cases: [string, Record<string, unknown>?, string?][] = [
        [PRODUCT, { id: "p1" }],
        [PRODUCT, { id: "missing" }],
        [PRODUCT, { id: "broken" }],
        [WITH_STOCK, { id: "p2" }],
        [TWO, { id: "p3" }, "A"],
        [TWO, { id: "p4" }, "B"],
        // Variables the operation's types refuse: an error, and no subgraph is asked.
        [PRODUCT, { id: { nested: true } }],
        [PRODUCT, {}],
        ["{ product(id: \"p5\") { __typename id } __typename }"],
      ];
      for (const [query, variables, operationName] of cases) {
        const label = `${operationName ?? query.slice(0, 30)} ${JSON.stringify(variables)}`;
        assert.deepEqual(await prepared.run(query, variables, operationName), await reference.run(query, variables, operationName), label);
      }
      assert.deepEqual(ours.asked, stock.asked);
      assert.ok(ours.asked.some((call) => call.subgraph === "inventory"), "a cross-subgraph plan ran");
    } finally {
      await prepared.stop();
      await reference.stop();
    }
  });

  it("prepares an operation text once, each operation of a document apart", async () => {
    const subgraphs = recordingSubgraphs();
    const gateway = new PreparedGateway(SDL, subgraphs.build);
    const server = await serverOver(gateway);
    try {
      for (const id of ["a", "b", "c"]) assert.equal((await server.run(PRODUCT, { id }))?.data?.product?.id, id);
      assert.equal(gateway.preparedCount(), 1);
      await server.run(TWO, { id: "a" }, "A");
      await server.run(TWO, { id: "a" }, "B");
      await server.run(TWO, { id: "b" }, "B");
      assert.equal(gateway.preparedCount(), 3);
    } finally {
      await server.stop();
    }
  });

  it("keeps a bounded number of prepared operations, the least recently used going first", async () => {
    const subgraphs = recordingSubgraphs();
    const gateway = new PreparedGateway(SDL, subgraphs.build, { kept: 2 });
    const server = await serverOver(gateway);
    try {
      for (let n = 0; n < 5; n++) {
        const result = await server.run(`query Q${n}($id: ID!) { product(id: $id) { id } }`, { id: `p${n}` });
        assert.deepEqual(result?.data, { product: { id: `p${n}` } });
      }
      assert.equal(gateway.preparedCount(), 2);
    } finally {
      await server.stop();
    }
  });
});
