// `npm start` as root with its data in a folder only root may enter: the embedded PostgreSQL
// runs as the user postgres, and the start says so in one line naming EMBEDDED_DATA_DIR.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { portsEnv, startEnv } from "./support/start-command.js";

test("npm start as root on a data directory the postgres user may not enter says who may not and which variable moves it", { skip: process.getuid?.() !== 0 && "PostgreSQL runs as another user only when the start runs as root" }, async () => {
  // mkdtemp makes a folder of mode 700: only root enters it.
  const closed = mkdtempSync(join(tmpdir(), "start-closed-"));
  assert.equal(statSync(closed).mode & 0o777, 0o700);
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], { encoding: "utf8", timeout: 120_000, env: startEnv({ ...(await portsEnv()), EMBEDDED_DATA_DIR: join(closed, "data") }) });
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^npm start could not start: the embedded PostgreSQL runs as the user postgres .* may not enter .*start-closed-.*: set EMBEDDED_DATA_DIR to a directory every user may enter/);
    assert.equal(run.stdout, "", "nothing announced");
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
});
