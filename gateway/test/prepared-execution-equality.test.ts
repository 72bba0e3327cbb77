import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { ApolloServer } from "@apollo/server";
import { SUBGRAPHS, SUPERGRAPH_PATH } from "../../schema/subgraphs.js";
import { readGoldenOperations, readReleasedOperations } from "../../schema/golden-operations.js";
import { PreparedGateway, type PlanExecutor } from "../src/execution/prepared-gateway.js";
import { generatedSubgraphs, SCENARIOS, variablesFor } from "./support/generated-subgraphs.js";
import { CRAFTED_OPERATIONS } from "./support/crafted-operations.js";
import { ABSTRACT_OPERATIONS, ABSTRACT_SUBGRAPHS, composeAbstractSupergraph } from "./support/abstract-types-supergraph.js";

const SDL = readFileSync(SUPERGRAPH_PATH, "utf8");
const SUBGRAPH_SDLS = Object.fromEntries(SUBGRAPHS.map(({ name, sdl }) => [name, readFileSync(sdl, "utf8")]));

/** A gateway over its own generated subgraphs, answering as a client reads it: status and body, byte for byte. */
async function gatewayWith(executor: PlanExecutor, supergraphSdl = SDL, subgraphSdls = SUBGRAPH_SDLS) {
  const subgraphs = generatedSubgraphs(subgraphSdls);
  const gateway = new PreparedGateway(supergraphSdl, subgraphs.build, { executor });
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  return {
    gateway,
    subgraphs,
    async run(query: string, variables: Record<string, unknown>, operationName: string | undefined) {
      const response = await server.executeOperation({ query, variables, operationName });
      return `${response.http.status ?? 200} ${JSON.stringify(response.body)}`;
    },
    stop: () => server.stop(),
  };
}

/** Every operation of `texts`, under every misbehaviour of the subgraphs, with required variables only and with all of them. */
async function compareAll(texts: string[], supergraphSdl?: string, subgraphSdls?: Record<string, string>, salts = 1) {
  const stock = await gatewayWith("stock", supergraphSdl, subgraphSdls);
  const prepared = await gatewayWith("prepared", supergraphSdl, subgraphSdls);
  let compared = 0;
  let ranOwn = 0;
  const withErrors = new Set<string>();
  let withData = 0;
  try {
    for (const text of texts) {
      const operations = parse(text).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
      for (const operation of operations) {
        const name = operation.name?.value;
        for (let scenario = 0; scenario < SCENARIOS.length; scenario++) {
          for (const [optional, salt] of [false, true].flatMap((optional) => Array.from({ length: salts }, (_, salt) => [optional, salt] as const))) {
            const variables = variablesFor(stock.gateway.schema, operation.variableDefinitions, optional, [name, scenario, salt]);
            stock.subgraphs.state.scenario = prepared.subgraphs.state.scenario = scenario;
            stock.subgraphs.state.salt = prepared.subgraphs.state.salt = salt;
            stock.subgraphs.state.asked.length = prepared.subgraphs.state.asked.length = 0;
            const expected = await stock.run(text, variables, name);
            const actual = await prepared.run(text, variables, name);
            const label = `${name ?? text.slice(0, 60)} scenario ${scenario} salt ${salt} ${JSON.stringify(variables)}`;
            assert.equal(actual, expected, label);
            assert.deepEqual(prepared.subgraphs.state.asked, stock.subgraphs.state.asked, `${label}: the subgraphs were asked the same`);
            if (expected.includes('"errors"')) withErrors.add(`${name}:${scenario}`);
            // The generated subgraphs themselves failing would compare two identical refusals.
            assert.doesNotMatch(expected, /INTERNAL_SERVER_ERROR.*is not a function|Cannot read properties/, label);
            if (/"data":\{"[^"]+":[{[]/.test(expected)) withData++;
            compared++;
          }
        }
        if (prepared.gateway.runsOwnExecutor(text, name)) ranOwn++;
      }
    }
  } finally {
    await stock.stop();
    await prepared.stop();
  }
  assert.ok(withData > compared / 4, `${withData} of ${compared} answers carry data`);
  return { compared, ranOwn, withErrors: withErrors.size };
}

describe("the gateway's own plan executor answers as @apollo/gateway's", () => {
  it("over every persisted operation, the subgraphs well and misbehaving (nulls, thrown errors, null entities, wrong values, failed calls)", async () => {
    const texts = [...readGoldenOperations(), ...readReleasedOperations()].map((operation) => operation.query);
    const { compared, ranOwn, withErrors } = await compareAll(texts);
    assert.ok(compared >= texts.length * SCENARIOS.length * 2, `${compared} answers compared`);
    assert.ok(ranOwn >= texts.length - 3, `${ranOwn} of ${texts.length} operations ran on the gateway's own executor (subscriptions run the stock one)`);
    assert.ok(withErrors > texts.length, "the misbehaving subgraphs produced errors to compare");
  });

  it("over crafted operations: aliases, fragments, __typename, skip and include, variables with defaults, the same field twice", async () => {
    const { compared, ranOwn } = await compareAll(CRAFTED_OPERATIONS, undefined, undefined, 3);
    assert.ok(compared > 0);
    assert.equal(ranOwn, CRAFTED_OPERATIONS.length, "every crafted operation ran on the gateway's own executor");
  });

  it("over interfaces and unions: fragments on them, __typename of abstract fields, entities fetched under an interface", async () => {
    const { compared, ranOwn, withErrors } = await compareAll(ABSTRACT_OPERATIONS, composeAbstractSupergraph(), ABSTRACT_SUBGRAPHS, 12);
    assert.ok(compared > 0 && withErrors > 0);
    assert.equal(ranOwn, ABSTRACT_OPERATIONS.length, "every operation ran on the gateway's own executor");
  });
});
