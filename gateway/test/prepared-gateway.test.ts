import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hash } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildClientSchema, getIntrospectionQuery, graphqlSync, parse, type IntrospectionQuery } from "graphql";
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
  it("plans the manifest's operations ahead of their first request, by name and, for one operation, without", async () => {
    const subgraphs = recordingSubgraphs();
    const gateway = new PreparedGateway(SDL, subgraphs.build);
    const planned: (string | undefined)[] = [];
    gateway.whenPlanned((_context, _query, operationName) => planned.push(operationName));
    const server = await serverOver(gateway);
    try {
      const count = await gateway.prepareAhead([PRODUCT, TWO, "query {", "query Unknown { nope }"]);
      assert.equal(count, 4, "ProductPage with and without its name, A and B; the broken and unknown texts are left to be refused when asked");
      assert.deepEqual([gateway.isPrepared(PRODUCT, "ProductPage"), gateway.isPrepared(PRODUCT, undefined), gateway.isPrepared(TWO, "A"), gateway.isPrepared(TWO, "B"), gateway.isPrepared(TWO, undefined)], [true, true, true, true, false]);
      assert.equal((await server.run(PRODUCT, { id: "p1" }, "ProductPage"))?.data?.product?.id, "p1");
      assert.equal((await server.run(TWO, { id: "p2" }, "B"))?.errors, undefined);
      assert.deepEqual(planned, [], "the first requests plan nothing");
    } finally {
      await server.stop();
    }
  });

  it("keeps the plans made ahead whatever texts callers send after (review: 43 heavy texts evicted them)", async () => {
    const gateway = new PreparedGateway(SDL, recordingSubgraphs().build, { kept: 2 });
    const server = await serverOver(gateway);
    try {
      await gateway.prepareAhead([PRODUCT]);
      for (let i = 0; i < 4; i++) await server.run(`query Other${i}($id: ID!) { product(id: $id) { id } }`, { id: "p" });
      assert.deepEqual([gateway.isPrepared(PRODUCT, "ProductPage"), gateway.isPrepared(PRODUCT, undefined)], [true, true]);
      assert.equal(gateway.isPrepared("query Other0($id: ID!) { product(id: $id) { id } }", undefined), false, "callers' texts are still evicted");
    } finally {
      await server.stop();
    }
  });

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
        // Reading the schema (what an explorer sends first), alone and beside a field.
        [getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true })],
        ["query Meta { ...Root } fragment Root on Query { __typename __type(name: \"Product\") { name fields { name } } }"],
        ["{ __type(name: \"Product\") { name } product(id: \"p6\") { id } }"],
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

  it("keeps prepared operations within a weight whatever their count: 60 texts of 30 aliases of 3,000 characters are not all held", async () => {
    const subgraphs = recordingSubgraphs();
    const gateway = new PreparedGateway(SDL, subgraphs.build);
    const server = await serverOver(gateway);
    try {
      // Each 90 KB text with a plan as large: 2,000 of them held 675 MB before, under the count alone.
      const longAliases = (n: number) => `query L${n} { ${Array.from({ length: 30 }, (_, i) => `${"a".repeat(3_000)}${n}x${i}: product(id: "p${i}") { name }`).join(" ")} }`;
      for (let n = 0; n < 60; n++) await server.run(longAliases(n));
      assert.ok(gateway.preparedCount() < 60, `${gateway.preparedCount()} of 60 heavy texts kept`);
      assert.ok(gateway.preparedWeight() <= 8_000_000, `${gateway.preparedWeight()} characters kept`);
      // Light texts still find room: the heaviest go first.
      for (const id of ["a", "b"]) assert.equal((await server.run(PRODUCT, { id }))?.data?.product?.id, id);
      assert.ok(gateway.preparedCount() >= 1);
    } finally {
      await server.stop();
    }
  });

  it("weighs an operation run on its own executor as its text, its parse and twice its plan: the execution holds about what the plan does", async () => {
    const stock = new PreparedGateway(SDL, recordingSubgraphs().build, { executor: "stock" });
    const prepared = new PreparedGateway(SDL, recordingSubgraphs().build, { executor: "prepared" });
    // One operation, prepared by name and without: two texts' worth, two plans each.
    assert.equal(await stock.prepareAhead([WITH_STOCK]), 2);
    assert.equal(await prepared.prepareAhead([WITH_STOCK]), 2);
    assert.ok(prepared.runsOwnExecutor(WITH_STOCK, "Stocked") && !stock.runsOwnExecutor(WITH_STOCK, "Stocked"));
    // Each of the two holds the text and its parse (weighed by its JSON) besides its plans.
    const plans = stock.preparedWeight() - 2 * (WITH_STOCK.length + JSON.stringify(parse(WITH_STOCK)).length);
    assert.ok(plans > 0);
    assert.equal(prepared.preparedWeight(), stock.preparedWeight() + plans);
  });

  it("says which texts it holds planned, and what each planning took, once per text, with the request's context", async () => {
    const subgraphs = recordingSubgraphs();
    const gateway = new PreparedGateway(SDL, subgraphs.build);
    const planned: { context: unknown; query: string; operationName?: string; milliseconds: number }[] = [];
    gateway.whenPlanned((context, query, operationName, milliseconds) => planned.push({ context, query, operationName, milliseconds }));
    const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
    await server.start();
    try {
      assert.equal(gateway.isPrepared(PRODUCT, undefined), false);
      const context = { planning: new Map<string, number>() };
      await server.executeOperation({ query: PRODUCT, variables: { id: "a" } }, { contextValue: context as never });
      await server.executeOperation({ query: PRODUCT, variables: { id: "b" } }, { contextValue: {} as never });
      assert.equal(planned.length, 1, "planned once");
      // Apollo Server runs the operation on a shallow copy of the context: what it holds is shared.
      assert.equal((planned[0]!.context as typeof context).planning, context.planning);
      assert.equal(planned[0]!.query, PRODUCT);
      assert.ok(planned[0]!.milliseconds > 0);
      assert.equal(gateway.isPrepared(PRODUCT, undefined), true);
      assert.equal(gateway.isPrepared(TWO, "A"), false);
      await server.executeOperation({ query: TWO, operationName: "A", variables: { id: "c" } });
      assert.deepEqual([gateway.isPrepared(TWO, "A"), gateway.isPrepared(TWO, "B")], [true, false]);
      assert.equal(planned.length, 2);
    } finally {
      await server.stop();
    }
  });

  it("reads the process's CPU time only to measure a planning, never for an operation it holds planned", async () => {
    const gateway = new PreparedGateway(SDL, recordingSubgraphs().build);
    const planned: number[] = [];
    gateway.whenPlanned((_context, _query, _name, milliseconds) => planned.push(milliseconds));
    const server = await serverOver(gateway);
    const cpuUsage = process.cpuUsage;
    let readings = 0;
    process.cpuUsage = ((previous?: NodeJS.CpuUsage) => {
      readings++;
      return cpuUsage(previous);
    }) as typeof process.cpuUsage;
    try {
      await server.run(PRODUCT, { id: "a" });
      assert.equal(planned.length, 1, "the first request plans and is measured");
      const afterPlanning = readings;
      assert.ok(afterPlanning >= 2, "a planning is measured from the CPU time before and after");
      for (const id of ["b", "c", "d"]) assert.equal((await server.run(PRODUCT, { id }))?.data?.product?.id, id);
      assert.equal(readings, afterPlanning, "a prepared operation's requests read no CPU time (a system call per request)");
      assert.equal(planned.length, 1);
    } finally {
      process.cpuUsage = cpuUsage;
      await server.stop();
    }
  });

  it("says a persisted text planned ahead is prepared without hashing it (asked for every request by the request policy)", async () => {
    const gateway = new PreparedGateway(SDL, recordingSubgraphs().build);
    await gateway.prepareAhead([WITH_STOCK]);
    const digest = Hash.prototype.digest;
    let digests = 0;
    Hash.prototype.digest = function (this: Hash, ...args: Parameters<typeof digest>) {
      digests++;
      return digest.apply(this, args);
    } as typeof digest;
    try {
      assert.deepEqual([gateway.isPrepared(WITH_STOCK, "Stocked"), gateway.isPrepared(WITH_STOCK, undefined)], [true, true]);
      assert.equal(digests, 0, "no SHA-256 of the text");
      assert.equal(gateway.isPrepared(PRODUCT, "ProductPage"), false, "a text not planned ahead is looked up by its hash");
      assert.ok(digests > 0);
    } finally {
      Hash.prototype.digest = digest;
    }
  });

  it("answers introspection of __Type.isOneOf, and GraphiQL's full introspection with it, as graphql-js does over the API schema, asking no subgraph", async () => {
    const subgraphs = recordingSubgraphs();
    const gateway = new PreparedGateway(SDL, subgraphs.build);
    const server = await serverOver(gateway);
    try {
      // The planner's copy of the introspection types has no isOneOf: this was a 500 INTERNAL_SERVER_ERROR.
      assert.deepEqual(await server.run('{ __type(name: "SearchFilter") { name isOneOf } }'), { data: { __type: { name: "SearchFilter", isOneOf: false } } });
      const full = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
      const answer = await server.run(full);
      assert.deepEqual(answer, JSON.parse(JSON.stringify(graphqlSync({ schema: gateway.schema, source: full }))));
      // What an explorer does with it: builds the schema clients see.
      const read = buildClientSchema((answer as unknown as { data: IntrospectionQuery }).data);
      assert.ok(read.getType("SearchFilter") && read.getQueryType()?.getFields().products, "the explorer's schema is the API schema");
      assert.deepEqual(subgraphs.asked, []);
    } finally {
      await server.stop();
    }
  });

  it("refuses an operation the planner cannot plan as the client's validation failure (400 GRAPHQL_VALIDATION_FAILED), asking no subgraph", async () => {
    const subgraphs = recordingSubgraphs();
    const server = new ApolloServer({ gateway: new PreparedGateway(SDL, subgraphs.build), includeStacktraceInErrorResponses: false });
    await server.start();
    try {
      // Beside a field of a subgraph, the reading goes through the planner, which refuses isOneOf.
      const response = await server.executeOperation({ query: '{ __type(name: "SearchFilter") { isOneOf } product(id: "p1") { id } }' });
      assert.equal(response.http.status, 400);
      const result = response.body.kind === "single" ? response.body.singleResult : undefined;
      assert.deepEqual(
        result?.errors?.map((error) => [error.message, error.extensions?.code]),
        [['Cannot query field "isOneOf" on type "__Type".', "GRAPHQL_VALIDATION_FAILED"]],
        "the planner's reason, as validation words it, not a masked INTERNAL_SERVER_ERROR",
      );
      assert.equal(result?.data, undefined);
      assert.deepEqual(subgraphs.asked, []);
    } finally {
      await server.stop();
    }
  });
  it("reports the first invalid variable value only, asking no subgraph (red team: 9,000 unknown enum values took 1.4 s and 9,000 errors, 700 unknown keys a 64 MB answer)", async () => {
    const subgraphs = recordingSubgraphs();
    const server = await serverOver(new PreparedGateway(SDL, subgraphs.build));
    try {
      const kinds = await server.run("query Suggest($kinds: [SuggestionKind!]) { autocomplete(prefix: \"lamp\", kinds: $kinds) { text } }", { kinds: ["PRODUCT", ...Array.from({ length: 9_000 }, (_, i) => `KIND${i}`)] });
      assert.equal(kinds?.errors?.length, 1, "one error, not one per invalid value");
      const kindError = kinds!.errors![0] as { message: string; extensions: { code: string } };
      assert.equal(kindError.extensions.code, "BAD_USER_INPUT");
      assert.match(kindError.message, /KIND0.*kinds\[1\]/);

      const filter = Object.fromEntries(Array.from({ length: 700 }, (_, i) => [`unknownField${i}`, "x".repeat(100)]));
      const keys = await server.run("query Listing($filter: ProductFilter) { products(first: 1, filter: $filter) { edges { node { id } } } }", { filter });
      assert.equal(keys?.errors?.length, 1);
      assert.equal((keys!.errors![0] as { extensions: { code: string } }).extensions.code, "BAD_USER_INPUT");
      assert.ok(JSON.stringify(keys).length < 2 * JSON.stringify(filter).length, "the object is quoted once, not once per unknown key");
      assert.deepEqual(subgraphs.asked, []);
    } finally {
      await server.stop();
    }
  });
});
