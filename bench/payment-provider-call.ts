// The payments subgraph's CPU per provider charge, alone: the payment simulator in a child
// process (so only the caller's work is counted), charged by the subgraph's HttpPaymentProvider
// and, in the same run and the same rounds, by the same exchange through undici's fetch (the
// adapter's way until it moved to Dispatcher.request): every checkout makes one such call.
// The figure is this process's CPU time (user + system) per charge, 16 charges in flight.
//
//   npx tsx bench/payment-provider-call.ts [--charges 3000] [--rounds 3] [--port 0]
//
// Every charge must be answered succeeded, or the run stops.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { Agent, fetch } from "undici";
import { HttpPaymentProvider } from "../subgraphs/payments/src/adapters/http-payment-provider.js";
import { compareCpuPerCall } from "./harness/cpu-per-call.js";

const { values: args } = parseArgs({ options: { charges: { type: "string", default: "3000" }, rounds: { type: "string", default: "3" }, port: { type: "string", default: "0" } } });
const CHARGES = Number(args.charges);
const IN_FLIGHT = 16;

const simulator = spawn(process.execPath, ["--import", "tsx", "services/payment-simulator/src/main.ts"], {
  env: { ...process.env, APP_ENV: "development", LOG_LEVEL: "error", PAYMENT_SIMULATOR_PORT: args.port, PAYMENT_SIMULATOR_LATENCY_MS: "0" },
  stdio: ["ignore", "pipe", "inherit"],
});
const baseUrl = await new Promise<string>((resolve, reject) => {
  let out = "";
  simulator.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const found = /Payment simulator on (\S+)/.exec(out);
    if (found) resolve(found[1]!);
  });
  simulator.once("exit", (code) => reject(new Error(`the simulator exited (${code}) before it served`)));
});

/** The exchange the adapter made before: fetch with the same headers, body, deadline and pool. */
function fetchCharger() {
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  return async (key: string) => {
    const response = await fetch(new URL("/v1/charges", baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ amount: 1999, currency: "USD", customer: "bench", description: `Order ${key}`, metadata: { paymentId: key, orderId: key } }),
      signal: AbortSignal.timeout(5_000),
      dispatcher,
    });
    const body = JSON.parse(await response.text()) as { captured?: boolean };
    return response.status === 200 && body.captured === true;
  };
}

function adapterCharger() {
  const provider = new HttpPaymentProvider({ baseUrl, timeoutMs: 5_000 });
  return async (key: string) =>
    (await provider.charge({ idempotencyKey: key, amount: { amount: 1999, currency: "USD" }, customerId: "bench", paymentId: key, orderId: key })).kind === "succeeded";
}

console.log(`${CHARGES} charges a round, ${IN_FLIGHT} in flight, simulator at ${baseUrl} (its own process, no latency)`);
await compareCpuPerCall({
  callers: { "undici fetch (before)": fetchCharger(), "HttpPaymentProvider (Dispatcher.request)": adapterCharger() },
  calls: CHARGES,
  rounds: Number(args.rounds),
  inFlight: IN_FLIGHT,
  unit: "charge",
});
simulator.kill();
process.exit(0);
