// `npm start` with a file variable that names nothing: one line naming the variable, before anything starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PORT_VARIABLES = ["GATEWAY_PORT", "PRODUCTS_PORT", "SEARCH_PORT", "INVENTORY_PORT", "CART_PORT", "ORDERS_PORT", "PAYMENTS_PORT", "ACCOUNTS_PORT", "PAYMENT_SIMULATOR_PORT", "NOTIFICATIONS_PORT"];

function start(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), "start-unreadable-"));
  try {
    return spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      encoding: "utf8",
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_NO_WARNINGS: "1",
        APP_ENV: "development",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        EMBEDDED_DATA_DIR: dataDir,
        // Port 0 everywhere: a start that got past the check binds wherever the system says.
        ...Object.fromEntries(PORT_VARIABLES.map((name) => [name, "0"])),
        // Never another start's PostgreSQL port (54329): a start past the check fails to bind it.
        EMBEDDED_PG_PORT: "1",
        ...env,
      },
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const variable of ["SUPERGRAPH_PATH", "PERSISTED_OPERATIONS_PATH"]) {
  test(`a ${variable} naming no file stops the start at once, naming the variable`, () => {
    const result = start({ [variable]: "/nonexistent/storefront.file" });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`^Invalid configuration:\\n- ${variable} names /nonexistent/storefront.file, which does not exist\\n`));
    assert.equal(result.stdout.includes("ready in"), false);
  });
}

test("a SUPERGRAPH_PATH naming a directory is refused the same way", () => {
  const result = start({ SUPERGRAPH_PATH: "schema" });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /- SUPERGRAPH_PATH names schema, which is not a file/);
});
