// scripts/services.sh as a newcomer meets it before anything is installed: `status` says what is
// down and the one command that brings it up, instead of a bare "down" and exit status 1.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

test("services.sh status names what is not up and the command that installs and starts it", () => {
  // A copy in an empty checkout: nothing installed under its .run/, whatever this machine has.
  const root = mkdtempSync(join(tmpdir(), "services-status-"));
  try {
    mkdirSync(join(root, "scripts"));
    copyFileSync("scripts/services.sh", join(root, "scripts", "services.sh"));
    const run = spawnSync("bash", [join(root, "scripts", "services.sh"), "status", "kubeconform"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^kubeconform +down +not installed\n$/);
    assert.match(run.stderr, /not up: kubeconform; scripts\/services\.sh up kubeconform installs what is missing and starts it/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
