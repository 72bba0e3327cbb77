// How long the gateway's request policy takes to judge hostile requests, in process (no
// network): the cost of refusing must stay linear in the request and small next to serving.
//
//   npx tsx bench/request-policy.ts [--rounds 200]
//
// Each case is judged `--rounds` times after a warm-up; p50/p99/max per judgement.
import { parseArgs } from "node:util";
import { createCallerRateLimiter } from "../gateway/src/rate-limit/caller-rate-limiter.js";
import { createOperationBudgets } from "../gateway/src/security/operation-budgets.js";
import { loadPersistedOperations } from "../gateway/src/security/persisted-operations.js";
import { createRequestPolicy, PolicyRefusal, type OperationRequest } from "../gateway/src/security/request-policy.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "200" } } });
const ROUNDS = Number(args.rounds);

const policy = createRequestPolicy({
  limits: { maxDepth: 12, maxAliases: 30, maxCost: 5000, maxFieldRepeats: 20, maxTokens: 1000, maxBatchSize: 10 },
  rateLimit: createCallerRateLimiter({ pointsPerMinute: 1e9 }),
  networkRateLimit: createCallerRateLimiter({ pointsPerMinute: 1e9 }),
  budgets: createOperationBudgets({ auth: 1e9, checkout: 1e9, search: 1e9, views: 1e9, guestCarts: 1e9 }, { networkMultiple: 1 }),
  persisted: loadPersistedOperations(undefined, false),
});

const bomb = (levels: number) =>
  `{ product(id: "p") { ...F${levels} } } fragment F0 on Product { id name } ${Array.from({ length: levels }, (_, i) => `fragment F${i + 1} on Product { ...F${i} ...F${i} }`).join(" ")}`;
const aliases = (n: number, field: (i: number) => string) => Array.from({ length: n }, (_, i) => field(i)).join(" ");

const cases: [string, () => OperationRequest[]][] = [
  ["legitimate product page", () => [{ query: `query($id: ID!) { product(id: $id) { id name description price { amount currency } images { url alt } stock inStock } }`, variables: { id: "prod_0000001" } }]],
  ["fragment bomb, 26 levels (1 KB)", () => [{ query: bomb(26) }]],
  ["fragment bomb, 200 levels (token limit)", () => [{ query: bomb(200) }]],
  ["5,000 aliased __typename", () => [{ query: `{ ${aliases(5000, (i) => `t${i}: __typename`)} }` }]],
  ["950 repeated fields", () => [{ query: `{ product(id: "p") { ${"id ".repeat(950)} } }` }]],
  ["40 aliases in a root fragment", () => [{ query: `{ ... on Query { ${aliases(40, (i) => `p${i}: product(id: "p") { id }`)} } }` }]],
  ["variables nested 40,000 deep", () => [{ query: `query($f: SearchFilter) { search(query: "x", filter: $f) { totalCount } }`, variables: { f: JSON.parse(`${"[".repeat(40_000)}${"]".repeat(40_000)}`) } }]],
  ["100 KB string variable", () => [{ query: `query($q: String!) { search(query: $q) { totalCount } }`, variables: { q: "x".repeat(100_000) } }]],
  ["batch of 10 product pages", () => Array.from({ length: 10 }, () => ({ query: `{ product(id: "prod_0000001") { id name } }` }))],
];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
console.log(`request policy, in process, ${ROUNDS} judgements per case after a warm-up (node ${process.version})`);
console.log(`${"case".padEnd(42)} ${"verdict".padEnd(20)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)}`);
for (const [name, build] of cases) {
  let verdict = "admitted";
  const judge = async () => {
    const requests = build();
    const started = performance.now();
    try {
      await policy.admit(requests, { key: "ip:bench", network: "ip:bench", site: undefined }, "http-post");
      verdict = "admitted";
    } catch (error) {
      if (!(error instanceof PolicyRefusal)) throw error;
      verdict = error.code;
    }
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) await judge();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await judge());
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(42)} ${verdict.padEnd(20)} ${percentile(times, 50).toFixed(3).padStart(8)} ${percentile(times, 99).toFixed(3).padStart(8)} ${times.at(-1)!.toFixed(3).padStart(8)}`);
}
