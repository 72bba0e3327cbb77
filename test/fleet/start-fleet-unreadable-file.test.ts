// `npm run start:fleet` with a file variable that names nothing: the same refusal as npm start,
// before any process starts (its gateways read the files last, after every subgraph started).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

function startFleet(env: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/fleet/start-fleet.ts", "--base-port", "41850"], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_NO_WARNINGS: "1",
      HOST: "127.0.0.1",
      // Named, never reached: the check comes before any process connects to an engine.
      DATABASE_URL: "postgres://storefront@127.0.0.1:1/storefront",
      KAFKA_BROKERS: "127.0.0.1:1",
      REDIS_URL: "redis://127.0.0.1:1",
      MONGO_URL: "mongodb://127.0.0.1:1/storefront",
      MYSQL_URL: "mysql://storefront@127.0.0.1:1/storefront",
      FLEET_LOG_DIR: "/nonexistent/fleet-logs",
      ...env,
    },
  });
}

for (const variable of ["SUPERGRAPH_PATH", "PERSISTED_OPERATIONS_PATH"]) {
  test(`start:fleet with a ${variable} naming no file stops at once, naming the variable`, () => {
    const result = startFleet({ [variable]: "/nonexistent/storefront.file" });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(
      result.stderr,
      `start:fleet: Invalid configuration:\n- ${variable} names /nonexistent/storefront.file, which does not exist\n(see the configuration table in README.md)\n`,
    );
    assert.equal(result.stdout, "", "nothing started");
  });
}

test("start:fleet with a setting every process would refuse stops at once with the list", () => {
  const result = startFleet({ MAX_QUERY_DEPTH: "deep" });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /^start:fleet: Invalid configuration:\n- MAX_QUERY_DEPTH must be an integer/);
});
