// A service-to-service call's CPU on the calling side, alone: a plain HTTP server in a child
// process answers every POST with a small GraphQL answer (so only the caller's work counts),
// called by the kernel's subgraph client and, in the same run and rounds, by the same exchange
// through undici's fetch (the client's way until it moved to Dispatcher.request). With the
// subgraphs in processes of their own, a checkout makes several such calls (the stock hold,
// its commit, the catalog's variants). The figure is this process's CPU (user + system) per
// call, 16 in flight.
//
//   npx tsx bench/subgraph-client-call.ts [--calls 3000] [--rounds 3]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { Agent, fetch } from "undici";
import { createSubgraphClient, INTERNAL_HEADER, signInternalCredential } from "#kernel";
import { compareCpuPerCall } from "./harness/cpu-per-call.js";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "3000" }, rounds: { type: "string", default: "3" } } });
const CALLS = Number(args.calls);
const IN_FLIGHT = 16;
const SECRET = "bench-internal-secret-of-at-least-32-chars";
const QUERY = "mutation Reserve($orderId: ID!) { reserveStock(orderId: $orderId) { id status } }";

const server = spawn(
  process.execPath,
  [
    "-e",
    `const body = JSON.stringify({ data: { reserveStock: { id: "res_1", status: "HELD" } } });
     const s = require("node:http").createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(body); }); });
     s.keepAliveTimeout = 60000; s.listen(0, "127.0.0.1", () => console.log("PORT " + s.address().port));`,
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const url = await new Promise<string>((resolve, reject) => {
  server.stdout!.on("data", (chunk: Buffer) => {
    const found = /PORT (\d+)/.exec(chunk.toString());
    if (found) resolve(`http://127.0.0.1:${found[1]}/graphql`);
  });
  server.once("exit", (code) => reject(new Error(`the server exited (${code}) before it served`)));
});

/** The exchange the client made before: fetch with the same signed header, body, deadline and pool. */
function fetchCaller() {
  const dispatcher = new Agent({ connections: 32, keepAliveTimeout: 60_000 });
  return async (orderId: string) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: signInternalCredential(SECRET, { aud: "inventory", identity: { userId: "service:orders", roles: ["service"] }, requestId: "internal" }) },
      body: JSON.stringify({ query: QUERY, variables: { orderId } }),
      signal: AbortSignal.timeout(5_000),
      dispatcher,
    });
    const body = (await response.json()) as { data?: { reserveStock?: { status?: string } } };
    return body.data?.reserveStock?.status === "HELD";
  };
}

function clientCaller() {
  const client = createSubgraphClient({ url, audience: "inventory", internalSecret: SECRET, serviceName: "orders" });
  return async (orderId: string) => (await client.request<{ reserveStock: { status: string } }>(QUERY, { orderId })).reserveStock.status === "HELD";
}

console.log(`${CALLS} calls a round, ${IN_FLIGHT} in flight, server at ${url} (its own process)`);
await compareCpuPerCall({
  callers: { "undici fetch (before)": fetchCaller(), "subgraph client (Dispatcher.request)": clientCaller() },
  calls: CALLS,
  rounds: Number(args.rounds),
  inFlight: IN_FLIGHT,
  unit: "call",
});
server.kill();
process.exit(0);
