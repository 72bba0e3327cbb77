import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";

/** Every process of the production layout (what `npm run start:fleet` and Kubernetes run). */
const MAINS = [
  "gateway/src/main.ts",
  "subgraphs/products/src/main.ts",
  "subgraphs/search/src/main.ts",
  "subgraphs/inventory/src/main.ts",
  "subgraphs/cart/src/main.ts",
  "subgraphs/orders/src/main.ts",
  "subgraphs/payments/src/main.ts",
  "subgraphs/accounts/src/main.ts",
  "services/notifications/src/main.ts",
  "services/payment-simulator/src/main.ts",
];

/** Runs one main with only the given settings (no engine URLs from the suite's environment). */
function run(main: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NODE_NO_WARNINGS: "1", APP_ENV: "development", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The output is JSON lines only, and one of them says the start failed, with why. */
function startFailure(output: string): Record<string, unknown> {
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  const records = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`a line that is not JSON: ${line}`);
    }
  });
  const failed = records.filter((record) => record.event === "start failed");
  assert.equal(failed.length, 1, output);
  assert.equal(failed[0]!.level, "error");
  return failed[0]!;
}

describe("a process that cannot start says why in one JSON log line and exits 1", () => {
  for (const main of MAINS) {
    it(`${main}: a refused configuration`, async () => {
      const { code, output } = await run(main, { OTEL_EXPORTER_OTLP_ENDPOINT: "not-a-url" });
      assert.equal(code, 1, output);
      assert.match(String(startFailure(output).reason), /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
    });
  }

  it("subgraphs/orders/src/main.ts: an engine it needs is not configured", async () => {
    const { code, output } = await run("subgraphs/orders/src/main.ts", {});
    assert.equal(code, 1, output);
    const failure = startFailure(output);
    assert.match(String(failure.reason), /DATABASE_URL is required/);
    assert.match(String(failure.stack), /open-platform\.ts/, "the stack is kept, inside the line");
  });
});
