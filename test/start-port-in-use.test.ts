// A second `npm start` while one runs: one line naming the port and how to move it, at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

test("npm start on a port already in use exits at once with one line naming the port and its variable", async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
  const { port } = holder.address() as AddressInfo;
  try {
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, APP_ENV: "development", HOST: "127.0.0.1", GATEWAY_PORT: String(port), LOG_LEVEL: "silent" },
    });
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use .*GATEWAY_PORT=${port + 100} npm start$`));
    assert.equal(run.stdout, "", "nothing started, nothing announced");
    assert.ok(Date.now() - started < 15_000);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});
