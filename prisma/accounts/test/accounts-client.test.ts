// The accounts Prisma client is checked in (no build step); this fails when it no longer
// matches prisma/accounts/schema.prisma, naming the command that regenerates it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";

function filesUnder(dir: string, found: Record<string, string> = {}, root = dir): Record<string, string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) filesUnder(path, found, root);
    else found[relative(root, path)] = readFileSync(path, "utf8");
  }
  return found;
}

test("the accounts Prisma client matches prisma/accounts/schema.prisma (npx prisma generate --config prisma/accounts/prisma.config.ts)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "accounts-client-"));
  try {
    // Same relative layout as the repo: the client embeds its schema, output path included.
    cpSync("prisma/accounts/schema.prisma", join(scratch, "prisma", "accounts", "schema.prisma"));
    cpSync("prisma/offline-engine-stub.sh", join(scratch, "stub.sh"));
    const run = spawnSync("npx", ["prisma", "generate", "--schema", join(scratch, "prisma", "accounts", "schema.prisma")], {
      encoding: "utf8",
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: join(scratch, "stub.sh") },
    });
    assert.equal(run.status, 0, run.stderr);
    const fresh = filesUnder(join(scratch, "prisma", "accounts", "generated"));
    const committed = filesUnder("prisma/accounts/generated");
    const names = new Set([...Object.keys(fresh), ...Object.keys(committed)]);
    const stale = [...names].filter((name) => fresh[name] !== committed[name]).sort();
    assert.deepEqual(stale, [], "prisma/accounts/generated is stale: run npx prisma generate --config prisma/accounts/prisma.config.ts");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
