// A gateway of several node:cluster workers shares one port, so a scrape lands on one worker:
// it must answer with the whole gateway, every worker's counts summed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { get } from "node:http";
import { createServer } from "node:net";
import { it } from "node:test";
import { waitFor } from "#kernel/testing";
import { parseExposition, total } from "./support/prometheus-scrape.js";

/** One GET on a connection of its own, so the cluster hands each to the next worker. */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

it("a gateway with two workers answers /metrics with both workers' counts, whichever worker is asked", async () => {
  const port = await freePort();
  const gateway = spawn("node", ["--import", "tsx", "gateway/src/main.ts"], {
    env: { ...process.env, APP_ENV: "test", GATEWAY_PORT: String(port), GATEWAY_WORKERS: "2", LOG_LEVEL: "silent", KAFKA_BROKERS: "", REDIS_URL: "", OTEL_EXPORTER_OTLP_ENDPOINT: "" },
    stdio: "ignore",
  });
  try {
    const origin = `http://127.0.0.1:${port}`;
    let health = 0;
    const healthz = async () => {
      const answer = await getOnNewConnection(`${origin}/healthz`);
      health += 1;
      return answer.status === 200;
    };
    // Both workers listen once two answers in a row came (round robin hands them one each).
    await waitFor("both gateway workers answer", async () => (await healthz()) && (await healthz()), { timeoutMs: 60_000, intervalMs: 200 });
    for (let i = 0; i < 20; i++) assert.ok(await healthz());
    const counted = async () => {
      const answer = await getOnNewConnection(`${origin}/metrics`);
      assert.equal(answer.status, 200);
      const samples = parseExposition(answer.body);
      assert.ok(samples.every((s) => s.labels.service === "gateway"));
      return total(samples, "storefront_gateway_http_responses_total", { route: "healthz", status: "200" });
    };
    // A worker still loading cannot answer the primary's collection yet: wait until both can.
    await waitFor("a scrape counts both workers' answers", async () => (await counted()) === health, { timeoutMs: 30_000, intervalMs: 200 });
    for (let scrape = 0; scrape < 4; scrape++) assert.equal(await counted(), health, `scrape ${scrape}`);
  } finally {
    gateway.kill("SIGTERM");
  }
});
