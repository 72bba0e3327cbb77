// The gateway's CPU per request with each plan executor, alone: Apollo Server and a
// PreparedGateway in this process, subgraphs answering from memory (each answer parsed from its
// JSON text per call, as the pooled data source parses a response body). No HTTP, no request
// policy: what differs between the executors is all that differs between the rounds.
//
//   npx tsx bench/plan-executor.ts [--requests 4000] [--rounds 5] [--concurrency 16]
//
// Rounds alternate the executors (stock, prepared, stock, ...) after a warm-up of each; the
// figure is the process's CPU time (user + system, process.cpuUsage) per request.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApolloServer } from "@apollo/server";
import type { GraphQLDataSource } from "@apollo/gateway";
import { SUBGRAPHS, SUPERGRAPH_PATH } from "../schema/subgraphs.js";
import { readGoldenOperations } from "../schema/golden-operations.js";
import { PreparedGateway, type PlanExecutor } from "../gateway/src/execution/prepared-gateway.js";
import { generatedSubgraphs } from "../gateway/test/support/generated-subgraphs.js";

const { values: args } = parseArgs({ options: { requests: { type: "string", default: "4000" }, rounds: { type: "string", default: "5" }, concurrency: { type: "string", default: "16" } } });
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);

const SDL = readFileSync(SUPERGRAPH_PATH, "utf8");
const generated = generatedSubgraphs(Object.fromEntries(SUBGRAPHS.map(({ name, sdl }) => [name, readFileSync(sdl, "utf8")])));

/** Each distinct fetch answered once by the generated subgraphs, then from its JSON text. */
const answers = new Map<string, string>();
const fromMemory = ({ name }: { name: string; url?: string }): GraphQLDataSource => {
  const generator = generated.build({ name });
  return {
    async process(options) {
      const key = `${name}\u0000${options.request.query}\u0000${JSON.stringify(options.request.variables)}`;
      let text = answers.get(key);
      if (text === undefined) {
        text = JSON.stringify(await generator.process(options));
        answers.set(key, text);
      }
      generated.state.asked.length = 0;
      return JSON.parse(text);
    },
  };
};

const OPERATIONS: Record<string, string> = {
  // bench/scenarios/read-scenarios.ts's product read: products, then inventory for stock.
  "product read (product-uncached)": "query ProductPage($id: ID!) { product(id: $id) { id name brand category price { amount currency } images { url alt } stock inStock } }",
  "product page (golden ProductPage, variants)": readGoldenOperations().find((operation) => operation.name === "ProductPage")!.query,
};
const IDS = Array.from({ length: 100 }, (_, index) => `prod_${String(index).padStart(7, "0")}`);

async function serverWith(executor: PlanExecutor) {
  const server = new ApolloServer({ gateway: new PreparedGateway(SDL, fromMemory, { executor }), includeStacktraceInErrorResponses: false });
  await server.start();
  return server;
}

async function drive(server: ApolloServer, query: string, requests: number): Promise<number> {
  let next = 0;
  const startedAt = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) {
        const id = IDS[next++ % IDS.length]!;
        const response = await server.executeOperation({ query, variables: { id } });
        if (response.body.kind !== "single" || response.body.singleResult.errors) throw new Error(`Unexpected answer: ${JSON.stringify(response.body)}`);
      }
    }),
  );
  const { user, system } = process.cpuUsage(startedAt);
  return (user + system) / requests;
}

const servers = { stock: await serverWith("stock"), prepared: await serverWith("prepared") };
for (const [label, query] of Object.entries(OPERATIONS)) {
  // Both answer the same before either is measured.
  for (const id of IDS.slice(0, 5)) {
    const [a, b] = await Promise.all([servers.stock.executeOperation({ query, variables: { id } }), servers.prepared.executeOperation({ query, variables: { id } })]);
    if (JSON.stringify(a.body) !== JSON.stringify(b.body)) throw new Error(`The executors answered ${id} differently`);
  }
  for (const executor of ["stock", "prepared"] as const) await drive(servers[executor], query, REQUESTS / 2);
  const figures: Record<PlanExecutor, number[]> = { stock: [], prepared: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const executor of round % 2 === 0 ? (["stock", "prepared"] as const) : (["prepared", "stock"] as const)) figures[executor].push(await drive(servers[executor], query, REQUESTS));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`${label}: CPU µs per request, ${ROUNDS} rounds of ${REQUESTS}, ${CONCURRENCY} at a time`);
  for (const executor of ["stock", "prepared"] as const) console.log(`  ${executor.padEnd(8)} median ${median(figures[executor]).toFixed(1)}  rounds ${figures[executor].map((value) => value.toFixed(1)).join(", ")}`);
}
await Promise.all([servers.stock.stop(), servers.prepared.stop()]);
