import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { ApolloServer } from "@apollo/server";
import type { GraphQLDataSource } from "@apollo/gateway";
import { createLogger } from "#kernel";
import { startTracing, type Tracing } from "#kernel/observability/tracing.js";
import { SUPERGRAPH_PATH } from "../../schema/subgraphs.js";
import { PreparedGateway } from "../src/execution/prepared-gateway.js";

const SDL = readFileSync(SUPERGRAPH_PATH, "utf8");
const WITH_STOCK = "query Stocked($id: ID!) { product(id: $id) { id name stock } }";
const exporter = new InMemorySpanExporter();
let tracing: Tracing;

const subgraphs = ({ name }: { name: string }): GraphQLDataSource => ({
  async process({ request }) {
    const representations = (request.variables as { representations?: { __typename: string; id: string }[] }).representations;
    if (representations) return { data: { _entities: representations.map((r) => ({ ...r, stock: 3 })) } };
    return { data: { product: { __typename: "Product", id: "p1", name: `from ${name}` } } };
  },
});

describe("the gateway's own plan executor and tracing", () => {
  before(async () => {
    tracing = await startTracing({ serviceName: "prepared-execution-traced-test", otlpEndpoint: "http://127.0.0.1:9", exportDelayMs: 10 }, createLogger("silent"), exporter);
  });

  it("runs a traced request on the stock executor, whose execute and fetch spans the trace keeps; an untraced one on its own, the same answer", async () => {
    const gateway = new PreparedGateway(SDL, subgraphs);
    const server = new ApolloServer({ gateway });
    await server.start();
    try {
      const run = () => server.executeOperation({ query: WITH_STOCK, variables: { id: "p1" } });
      const untraced = await run();
      assert.ok(gateway.runsOwnExecutor(WITH_STOCK, undefined));
      await tracing.flush();
      assert.deepEqual(exporter.getFinishedSpans().filter((span) => span.name.startsWith("gateway.")), [], "no executor spans where nothing is traced");
      const traced = await trace.getTracer("test").startActiveSpan("request", { kind: SpanKind.SERVER }, async (span) => {
        try {
          return await run();
        } finally {
          span.end();
        }
      });
      await tracing.flush();
      const names = exporter.getFinishedSpans().map((span) => span.name);
      assert.ok(names.includes("gateway.execute"), names.join(", "));
      assert.equal(names.filter((name) => name === "gateway.fetch").length, 2, "one span per fetch: products, then inventory");
      assert.equal(JSON.stringify(traced.body), JSON.stringify(untraced.body));
    } finally {
      await server.stop();
    }
  });
});
