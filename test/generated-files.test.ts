// Generated code is checked in so the platform starts without a build step; these tests
// fail when it no longer matches its source, naming the command that regenerates it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { generate } from "@graphql-codegen/cli";
import codegenConfig from "../codegen.ts";

function filesUnder(dir: string, found: Record<string, string> = {}, root = dir): Record<string, string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) filesUnder(path, found, root);
    else found[relative(root, path)] = readFileSync(path, "utf8");
  }
  return found;
}

test("typed resolvers and the typed client match their schemas and operations (npm run codegen)", async () => {
  const outputs = (await generate({ ...codegenConfig, silent: true }, false)) as { filename: string; content: string }[];
  assert.ok(outputs.length > 0);
  // The names of the stale files and the command, not a diff of tens of kilobytes of generated
  // text that buries them: after a schema change every one of them is stale at once.
  const stale = outputs.filter(({ filename, content }) => readFileSync(filename, "utf8") !== content).map(({ filename }) => filename);
  assert.deepEqual(stale, [], `${stale.join(", ")} ${stale.length === 1 ? "is" : "are"} stale: run npm run codegen`);
});

test("the Prisma client matches prisma/schema.prisma (npm run db:generate)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "prisma-stale-"));
  try {
    // Same relative layout as the repo: the client embeds its schema, output path included.
    cpSync("prisma/schema.prisma", join(scratch, "prisma", "schema.prisma"));
    cpSync("prisma/offline-engine-stub.sh", join(scratch, "stub.sh"));
    const run = spawnSync("npx", ["prisma", "generate", "--schema", join(scratch, "prisma", "schema.prisma")], {
      encoding: "utf8",
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: join(scratch, "stub.sh") },
    });
    assert.equal(run.status, 0, run.stderr);
    const fresh = filesUnder(join(scratch, "prisma", "generated", "client"));
    const committed = filesUnder("prisma/generated/client");
    const names = new Set([...Object.keys(fresh), ...Object.keys(committed)]);
    const stale = [...names].filter((name) => fresh[name] !== committed[name]).sort();
    assert.deepEqual(stale, [], "prisma/generated/client is stale: run npm run db:generate");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("the bundled explorer matches its sources (npm run build:explorer)", () => {
  const run = spawnSync("npx", ["tsx", "scripts/build-explorer.ts", "--check"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test("the bundled storefront page matches its sources (npm run build:storefront)", () => {
  const run = spawnSync("npx", ["tsx", "scripts/build-storefront.ts", "--check"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
