// A subgraph's CPU per fetch, alone: the products and inventory subgraph servers in a child
// process (the products subgraph whole, on the embedded catalog and its hot cache; inventory's
// server over an in-memory stock), called over HTTP exactly as the gateway calls them for the
// product read of `product-uncached`: the planned texts, one signed header per read and
// subgraph, as the gateway signs them. The figure is the child's CPU time (/proc/<pid>/stat) per read.
//
//   npx tsx bench/subgraph-fetch.ts [--reads 4000] [--rounds 5] [--concurrency 16] [--products 100] [--port 42300 (0: any free ports)] [--redis-db 14] [--profile-dir DIR] [--runner bundle|tsx] [--apollo-only]
//
// The servers' process runs this file built into plain JavaScript, as production runs (`--runner
// tsx`: through tsx). Compare two versions of the code by running this script from each, alternately.
// Every read's answers (Cache-Control header and body) must equal its product's first; their
// digest, printed at the end, must equal the `--apollo-only` run's (both servers through Apollo
// Server's pipeline: the reference).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse } from "graphql";
import { operationFromDocument, Supergraph } from "@apollo/federation-internals";
import { QueryPlanner } from "@apollo/query-planner";
import { Pool } from "undici";
import { createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, INTERNAL_HEADER, loadConfig, signInternalCredential, startSubgraphServer } from "#kernel";
import { platformOver } from "#kernel/testing";
import { SUPERGRAPH_PATH } from "../schema/subgraphs.js";
import { startProductsSubgraph } from "../subgraphs/products/src/products-subgraph.js";
import { createInventorySchema } from "../subgraphs/inventory/src/subgraph.js";
import { createInventoryContext } from "../subgraphs/inventory/src/subgraph-context.js";
import type { InventoryService } from "../subgraphs/inventory/src/domain/inventory.service.js";
import { seedDemoCatalog } from "../platform/seed-demo-catalog.js";
import { seedListing } from "../subgraphs/products/src/listing/seed-listing.js";
import { entryArguments, type EntryRunner } from "./harness/built-entry.js";

const { values: args } = parseArgs({
  options: {
    serve: { type: "boolean", default: false },
    reads: { type: "string", default: "4000" },
    rounds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "16" },
    products: { type: "string", default: "100" },
    // The product cache on this Redis database (REDIS_URL's server) instead of in memory.
    "redis-db": { type: "string" },
    // Writes the servers' V8 CPU profile into this folder when they stop.
    "profile-dir": { type: "string" },
    port: { type: "string", default: "42300" },
    runner: { type: "string", default: "bundle" },
    // Every request through Apollo Server's pipeline: no prepared queries (the reference path).
    "apollo-only": { type: "boolean", default: false },
    secret: { type: "string", default: "bench-subgraph-fetch-secret-0123456789" },
  },
});
const SECRET = args.secret!;
const PRODUCT_READ = "query ProductPage($id: ID!) { product(id: $id) { id name brand category price { amount currency } images { url alt } stock inStock } }";

if (args.serve) await serve();
else await drive();

/** The child: both servers, then their URLs on stdout. */
async function serve(): Promise<void> {
  const config = loadConfig({ APP_ENV: "test", NODE_ENV: "production", SEED_PRODUCTS: args.products!, INTERNAL_SECRET: SECRET });
  const bus = new EmbeddedEventBus();
  const kv = args["redis-db"] && process.env.REDIS_URL ? await redisStore(process.env.REDIS_URL, args["redis-db"]) : new EmbeddedKeyValueStore();
  const platform = platformOver({ config, bus, kv });
  const port = Number(args.port);
  const products = await startProductsSubgraph(platform, { port, images: { gatewayOrigin: () => "http://127.0.0.1" }, preparedQueries: !args["apollo-only"] });
  const stock = new Map<string, number>();
  await seedDemoCatalog({
    store: products.store,
    count: config.catalog.seedProducts,
    logger: createLogger("silent"),
    stock: async (levels) => void levels.forEach((level) => stock.set(level.variantId, level.stock)),
    announce: products.announceChanges,
    ...seedListing(products.listings),
  });
  const inventoryService = {
    availability: async (ids: readonly string[]) => new Map(ids.map((id) => [id, stock.get(id) ?? 0])),
    variantsOf: async (ids: readonly string[]) => new Map(ids.map((id) => [id, [id]])),
  } as unknown as InventoryService;
  const inventory = await startSubgraphServer({
    name: "inventory",
    schema: createInventorySchema(),
    internalSecret: SECRET,
    logger: createLogger("silent"),
    extendContext: (base) => createInventoryContext(base, inventoryService),
    port: port === 0 ? 0 : port + 1,
    host: "127.0.0.1",
    preparedQueries: !args["apollo-only"],
  });
  process.stdout.write(`READY ${JSON.stringify({ products: products.url, inventory: inventory.url })}\n`);
  process.on("SIGTERM", () => void Promise.all([products.close(), inventory.close()]).finally(() => process.exit(0)));
}

async function redisStore(url: string, db: string) {
  const { RedisKeyValueStore } = await import("#kernel/adapters.ts");
  const at = new URL(url);
  at.pathname = `/${db}`;
  const store = new RedisKeyValueStore(at.toString());
  await store.connect();
  await store.client.flushdb();
  return store;
}

/** The gateway's fetches for the product read, planned from the composed supergraph. */
function plannedFetches(): { products: string; inventory: string } {
  const supergraph = Supergraph.build(readFileSync(SUPERGRAPH_PATH, "utf8"));
  const plan = new QueryPlanner(supergraph).buildQueryPlan(operationFromDocument(supergraph.schema, parse(PRODUCT_READ)));
  const found: Record<string, string> = {};
  const visit = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    const fetch = node as { kind?: string; serviceName?: string; operation?: string };
    if (fetch.kind === "Fetch") found[fetch.serviceName!] = fetch.operation!;
    for (const value of Object.values(node)) visit(value);
  };
  visit(plan.node);
  return { products: found.products!, inventory: found.inventory! };
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

async function drive(): Promise<void> {
  const entry = await entryArguments(new URL(import.meta.url).pathname, args.runner as EntryRunner);
  const child = spawn(process.execPath, [...(args["profile-dir"] ? ["--cpu-prof", `--cpu-prof-dir=${args["profile-dir"]}`] : []), ...entry.args, "--serve", "--products", args.products!, "--port", args.port!, "--secret", SECRET, ...(args["apollo-only"] ? ["--apollo-only"] : []), ...(args["redis-db"] ? ["--redis-db", args["redis-db"]] : [])], {
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const urls = await new Promise<{ products: string; inventory: string }>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split("\n").find((l) => l.startsWith("READY "));
      if (line) resolve(JSON.parse(line.slice(6)));
    });
    child.once("exit", (code) => reject(new Error(`the servers exited with ${code}`)));
  });
  const fetches = plannedFetches();
  const pools = { products: new Pool(new URL(urls.products).origin, { connections: Number(args.concurrency) }), inventory: new Pool(new URL(urls.inventory).origin, { connections: Number(args.concurrency) }) };
  const header = (aud: "products" | "inventory", requestId: string = crypto.randomUUID()) => signInternalCredential(SECRET, { aud, requestId });
  const listed = await callNamed("products", header("products"), `{ products(first: ${args.products}) { edges { node { id variants { id } } } } }`, undefined, {});
  const list = JSON.parse(listed.slice(listed.indexOf("\n") + 1)) as {
    data: { products: { edges: { node: { id: string; variants: { id: string }[] } }[] } };
  };
  const catalog = list.data.products.edges.map((edge) => edge.node);
  const productsOperation = parse(fetches.products).definitions[0] as { name?: { value: string } };
  const inventoryOperation = parse(fetches.inventory).definitions[0] as { name?: { value: string } };
  // Each product's two answers (Cache-Control header and body) as first seen: every later read
  // must equal them, and their digest, printed at the end, equals the `--apollo-only` run's
  // (Apollo Server's pipeline, the reference).
  const firstSeen = new Map<string, string>();
  const sameAsFirst = (key: string, answer: string) => {
    const seen = firstSeen.get(key);
    if (seen === undefined) firstSeen.set(key, answer);
    else if (seen !== answer) throw new Error(`${key} answered ${answer}, first ${seen}`);
  };
  // One product read: the products fetch, then inventory's entity fetch with what it required.
  const read = async (index: number) => {
    const product = catalog[index % catalog.length]!;
    const requestId = crypto.randomUUID();
    const first = await callNamed("products", header("products", requestId), fetches.products, productsOperation.name?.value, { id: product.id });
    if (!first.includes(`"id":"${product.id}"`) || first.includes(`"errors"`)) throw new Error(`products answered ${first}`);
    sameAsFirst(`products ${product.id}`, first);
    const representations = [{ __typename: "Product", id: product.id, variants: product.variants.map((variant) => ({ id: variant.id })) }];
    const second = await callNamed("inventory", header("inventory", requestId), fetches.inventory, inventoryOperation.name?.value, { representations });
    if (!second.includes(`"stock":`) || second.includes(`"errors"`)) throw new Error(`inventory answered ${second}`);
    sameAsFirst(`inventory ${product.id}`, second);
  };
  async function callNamed(service: "products" | "inventory", signed: string, query: string, operationName: string | undefined, variables: Record<string, unknown>) {
    const { statusCode, headers, body } = await pools[service].request({
      path: "/graphql",
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signed },
      body: JSON.stringify({ query, variables, operationName }),
    });
    const text = await body.text();
    if (statusCode !== 200) throw new Error(`${service} answered ${statusCode}: ${text}`);
    return `cache-control: ${headers["cache-control"] ?? "(none)"}\n${text}`;
  }
  const round = async (reads: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Number(args.concurrency) }, async () => {
        while (next < reads) await read(next++);
      }),
    );
  };
  const ticksPerSecond = 100;
  await round(Number(args.reads));
  const figures: number[] = [];
  for (let r = 0; r < Number(args.rounds); r++) {
    const before = cpuTicks(child.pid!);
    await round(Number(args.reads));
    const used = cpuTicks(child.pid!) - before;
    figures.push(((used / ticksPerSecond) * 1e6) / Number(args.reads));
  }
  const sorted = [...figures].sort((a, b) => a - b);
  console.log(`servers' CPU µs per product read (products + inventory fetch): median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)}; rounds ${figures.map((f) => f.toFixed(1)).join(", ")}`);
  console.log(`texts: ${fetches.products}\n       ${fetches.inventory}`);
  const digest = createHash("sha256");
  for (const key of [...firstSeen.keys()].sort()) digest.update(`${key}\n${firstSeen.get(key)}\n`);
  console.log(`answers: ${firstSeen.size}, each read equal to the first; digest ${digest.digest("hex").slice(0, 16)} (compare with --apollo-only); products' header: ${firstSeen.values().next().value?.split("\n")[0]}`);
  await pools.products.close();
  await pools.inventory.close();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  await entry.cleanup();
}
