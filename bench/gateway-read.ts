// The gateway's CPU per product read, alone: the gateway built as production runs it, in its
// own process, with its request policy, its Redis budgets (REDIS_URL, else in memory) and the
// product read as a persisted operation, over subgraphs that answer from memory in this process
// (generated from their SDL: each distinct fetch answered once, then from its JSON text). What
// a read costs the subgraphs and the engines is left out, so the gateway's share is measured on
// its own, with less of the machine's noise in it.
//
//   npx tsx bench/gateway-read.ts [--baseline <checkout>] [--rounds 5] [--duration 8] [--connections 16] [--rate <req/s>] [--syscalls]
//
// --baseline: a second gateway, built from another checkout of the project (a worktree at the
// commit to compare with, its node_modules linked), measured in the same run: the two are
// driven in turn, round by round (the order swapped every round), so both meet the same load.
// Every answer of either must equal, byte for byte, the first answer of its product (status,
// the headers that say what it is, and the body).
// --rate: requests a second, the same for both (open loop), instead of as fast as each answers.
// A gateway's CPU per read falls as its rate rises (more work per turn of its event loop), so
// on a loaded machine, where the two get different shares of the cores, a closed loop's figures
// compare different rates; at one rate below what either can serve, they compare the same work.
// --syscalls: after the rounds, counts each gateway's system calls per read over one more round
// of each (strace -c on the process): the socket writes and reads a read costs.
//
// Ports: BENCH_PORT_RANGE when set (as the read benchmark), else any free ones.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "#kernel";
import { SUBGRAPHS, SUPERGRAPH_PATH } from "../schema/subgraphs.js";
import { operationId, PERSISTED_MANIFEST_PATH } from "../schema/golden-operations.js";
import { generatedSubgraphs } from "../gateway/test/support/generated-subgraphs.js";
import { BENCH_BUDGETS, freePort } from "./harness/bench-environment.js";
import { startBenchProcess, type BenchProcess } from "./harness/child-process.js";
import { runLoad } from "./harness/load-run.js";

const { values: args } = parseArgs({
  options: {
    baseline: { type: "string" },
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "8" },
    warmup: { type: "string", default: "5" },
    connections: { type: "string", default: "16" },
    products: { type: "string", default: "100" },
    rate: { type: "string" },
    syscalls: { type: "boolean", default: false },
  },
});
const ROUNDS = Number(args.rounds);
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const RATE = args.rate ? Number(args.rate) : undefined;

/** bench/scenarios/read-scenarios.ts's product read: products, then inventory for stock. */
const PRODUCT_READ = "query ProductPage($id: ID!) { product(id: $id) { id name brand category price { amount currency } images { url alt } stock inStock } }";
const IDS = Array.from({ length: Number(args.products) }, (_, index) => `prod_${String(index).padStart(7, "0")}`);
/** What each subgraph's answers say of caching, as the real ones do for a product read. */
const CACHE_CONTROL: Record<string, string> = { products: "max-age=60, public", inventory: "max-age=5, public" };
/** Answer headers an answer is compared by (the rest say when and over which socket). */
const COMPARED_HEADERS = ["content-type", "cache-control"];

const generated = generatedSubgraphs(Object.fromEntries(SUBGRAPHS.map(({ name, sdl }) => [name, readFileSync(sdl, "utf8")])));

/** A subgraph answering each distinct request body from memory, generated once. */
function subgraphServer(name: string): Server {
  const source = generated.build({ name });
  const answers = new Map<string, string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      const known = answers.get(body);
      const send = (text: string) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...(CACHE_CONTROL[name] ? { "cache-control": CACHE_CONTROL[name] } : {}) });
        res.end(text);
      };
      if (known !== undefined) return send(known);
      const request = JSON.parse(body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
      void (source.process({ request, context: {} } as never) as Promise<unknown>).then((answer) => {
        generated.state.asked.length = 0;
        const text = JSON.stringify(answer);
        answers.set(body, text);
        send(text);
      });
    });
  });
  // As the subgraphs do: idle connections kept longer than the gateway keeps them.
  server.keepAliveTimeout = 65_000;
  return server;
}

interface Gateway {
  label: string;
  process: BenchProcess;
  url: string;
}

const work = mkdtempSync(path.join(tmpdir(), "gateway-read-"));
const stops: (() => Promise<void>)[] = [async () => rmSync(work, { recursive: true, force: true })];
const stopAll = async () => {
  for (const stop of stops.splice(0)) await stop().catch(() => undefined);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().then(() => process.exit(130)));

try {
  const subgraphUrls: Record<string, string> = {};
  for (const { name } of SUBGRAPHS) {
    const server = subgraphServer(name);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.unref();
    subgraphUrls[name] = `http://127.0.0.1:${port}/graphql`;
  }

  const manifest = JSON.parse(readFileSync(PERSISTED_MANIFEST_PATH, "utf8")) as Record<string, string>;
  manifest[operationId(PRODUCT_READ)] = PRODUCT_READ;
  const manifestPath = path.join(work, "persisted-operations.json");
  writeFileSync(manifestPath, JSON.stringify(manifest));

  const config = loadConfig();
  let redisUrl = "";
  if (config.cache.redisUrl) {
    const url = new URL(config.cache.redisUrl);
    url.pathname = `/${process.env.BENCH_REDIS_DB || "9"}`;
    redisUrl = url.toString();
  }
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...BENCH_BUDGETS,
    APP_ENV: "production",
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    JWT_SECRET: randomBytes(32).toString("hex"),
    JWT_AUDIENCE: "storefront-bench",
    INTERNAL_SECRET: randomBytes(32).toString("hex"),
    GATEWAY_WORKERS: "1",
    RESPONSE_CACHE_TTL_SECONDS: "0",
    GATEWAY_PERSISTED_ANSWERS: "own",
    PERSISTED_OPERATIONS_PATH: manifestPath,
    SUPERGRAPH_PATH: path.resolve(SUPERGRAPH_PATH),
    REDIS_URL: redisUrl,
    ...Object.fromEntries(["DATABASE_URL", "KAFKA_BROKERS", "MONGO_URL", "OPENSEARCH_URL", "ELASTICSEARCH_URL", "MYSQL_URL"].map((name) => [name, ""])),
    ...Object.fromEntries(Object.entries(subgraphUrls).map(([subgraph, url]) => [`${subgraph.toUpperCase()}_URL`, url])),
  };

  const gateways: Gateway[] = [];
  /** A process's user and system CPU so far, in ticks of 10 ms (/proc; the gateway runs no workers here). */
  const cpuTicks = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return { user: Number(fields[11]), system: Number(fields[12]) };
  };
  for (const [label, root] of [["this checkout", undefined], ...(args.baseline ? [["baseline", path.resolve(args.baseline)]] : [])] as [string, string | undefined][]) {
    const port = await freePort();
    const child = await startBenchProcess({
      name: `gateway-${label.replace(/\W+/g, "-")}`,
      entry: "gateway/src/main.ts",
      root,
      env: { ...env, GATEWAY_PORT: String(port) },
      logFile: path.join(work, `${label.replace(/\W/g, "-")}.log`),
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    });
    stops.unshift(child.stop);
    gateways.push({ label, process: child, url: `http://127.0.0.1:${port}/graphql` });
  }

  // Each product's answer, from the first gateway: every answer of every gateway must equal it.
  const expected = new Map<string, { status: number; headers: string; body: string }>();
  const answerOf = async (url: string, id: string) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: PRODUCT_READ, variables: { id } }) });
    return { status: response.status, headers: COMPARED_HEADERS.map((name) => `${name}: ${response.headers.get(name)}`).join("\n"), body: await response.text() };
  };
  // The persisted operations are planned in the background after start: asked until answered.
  for (const gateway of gateways) {
    for (let tries = 0; ; tries++) {
      const answer = await answerOf(gateway.url, IDS[0]!);
      if (answer.status === 200 && answer.body.includes('"data"')) break;
      if (tries > 100) throw new Error(`${gateway.label} does not answer the product read: ${answer.status} ${answer.body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  for (const id of IDS) {
    for (const gateway of gateways) {
      const answer = await answerOf(gateway.url, id);
      const want = expected.get(id);
      if (!want) expected.set(id, answer);
      else if (JSON.stringify(want) !== JSON.stringify(answer)) throw new Error(`${gateway.label} answered ${id} differently:\n${JSON.stringify(want)}\n${JSON.stringify(answer)}`);
    }
  }

  let next = 0;
  const request = () => {
    const id = IDS[next++ % IDS.length]!;
    const want = expected.get(id)!;
    return {
      body: JSON.stringify({ query: PRODUCT_READ, variables: { id } }),
      check(status: number, body: string, headers: Record<string, string | string[]>) {
        const got = COMPARED_HEADERS.map((name) => `${name}: ${headers[name] ?? null}`).join("\n");
        if (status !== want.status || body !== want.body || got !== want.headers) return `${id}: not the answer expected`;
        return undefined;
      },
    };
  };
  const round = async (gateway: Gateway, seconds: number) => {
    const before = cpuTicks(gateway.process.pid);
    const load = await runLoad({ url: gateway.url, connections: CONNECTIONS, durationSeconds: seconds, next: request, overallRate: RATE });
    const after = cpuTicks(gateway.process.pid);
    if (load.errors || load.wrong) throw new Error(`${gateway.label}: ${load.errors} errors, ${load.wrong} wrong answers (${load.firstWrong ?? ""})`);
    const user = after.user - before.user;
    const system = after.system - before.system;
    return { rps: load.rps, cpuMsPerRead: ((user + system) * 10) / load.requests, systemShare: system / (user + system), requests: load.requests };
  };

  console.log(`gateway-read: ${gateways.map((g) => g.label).join(" and ")}, ${CONNECTIONS} connections, ${IDS.length} products, ${ROUNDS} rounds of ${DURATION} s; load average ${loadavg().map((l) => l.toFixed(1)).join("/")}`);
  for (const gateway of gateways) await round(gateway, Number(args.warmup));
  // What a gateway spends unasked (timers, metrics, GC) sits in every figure, divided by its rate.
  const idle = gateways.map((gateway) => cpuTicks(gateway.process.pid));
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  console.log(`idle: ${gateways.map((gateway, i) => { const now = cpuTicks(gateway.process.pid); return `${gateway.label} ${((now.user + now.system - idle[i]!.user - idle[i]!.system) * 10) / 5} ms of CPU a second`; }).join(", ")}`);
  const figures = new Map<string, { rps: number; cpuMsPerRead: number }[]>(gateways.map((g) => [g.label, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? gateways : [...gateways].reverse();
    const line: string[] = [];
    for (const gateway of order) {
      const figure = await round(gateway, DURATION);
      figures.get(gateway.label)!.push(figure);
      line.push(`${gateway.label} ${figure.rps.toFixed(0)} req/s ${figure.cpuMsPerRead.toFixed(3)} ms (${Math.round(100 * figure.systemShare)}% in the kernel)`);
    }
    const perRound = gateways.length === 2 ? `  ratio ${(figures.get(gateways[0]!.label)![r]!.cpuMsPerRead / figures.get(gateways[1]!.label)![r]!.cpuMsPerRead).toFixed(2)}` : "";
    console.log(`round ${r + 1} (load ${loadavg()[0]!.toFixed(1)}): ${line.join(", ")}${perRound}`);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const gateway of gateways) {
    const rounds = figures.get(gateway.label)!;
    console.log(`${gateway.label}: median ${median(rounds.map((f) => f.cpuMsPerRead)).toFixed(3)} ms of gateway CPU a read, ${median(rounds.map((f) => f.rps)).toFixed(0)} req/s`);
  }
  if (gateways.length === 2) {
    const ratios = figures.get(gateways[0]!.label)!.map((f, r) => f.cpuMsPerRead / figures.get(gateways[1]!.label)![r]!.cpuMsPerRead);
    console.log(`gateway CPU a read, ${gateways[0]!.label} / ${gateways[1]!.label}: median ${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(", ")})`);
  }

  if (args.syscalls) {
    for (const gateway of gateways) {
      const counted = path.join(work, `strace-${gateway.process.pid}.txt`);
      const strace = spawn("strace", ["-f", "-c", "-o", counted, "-p", String(gateway.process.pid)], { stdio: "ignore" });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { requests } = await round(gateway, DURATION);
      strace.kill("SIGINT");
      await new Promise((resolve) => strace.once("exit", resolve));
      const table = readFileSync(counted, "utf8");
      const calls = [...table.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/gm)].map((m) => ({ name: m[2]!, calls: Number(m[1]) }));
      console.log(`${gateway.label}: system calls a read over ${requests} reads: ${calls.sort((a, b) => b.calls - a.calls).map((c) => `${c.name} ${(c.calls / requests).toFixed(2)}`).join(", ")}`);
    }
  }
} finally {
  await stopAll();
}
