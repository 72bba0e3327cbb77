// The servers built into plain JavaScript (npm start, the image, the benchmarks) find their
// files as they do under tsx: a module's `import.meta.url` is still its source file's URL.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { buildServer } from "../scripts/build-server.js";

const SOURCE = "test/support/built-module-location.ts";
const OUTDIR = `dist/test-build-server-${process.pid}`;
after(() => rm(OUTDIR, { recursive: true, force: true }));

test("a built module keeps its source's import.meta.url, so schema files and packages resolve from the source", async () => {
  const written = await buildServer({ outdir: OUTDIR, entries: { location: SOURCE } });
  assert.ok(written.some((file) => file.endsWith("location.js")), written.join(", "));
  const built = (await import(pathToFileURL(path.resolve(OUTDIR, "location.js")).href)) as typeof import("./support/built-module-location.js");
  assert.equal(built.ownUrl, pathToFileURL(path.resolve(SOURCE)).href);
  assert.equal(built.graphqlPackage, createRequire(import.meta.url).resolve("graphql"));
  const source = await import("./support/built-module-location.js");
  assert.equal(built.productsSchemaTypes, source.productsSchemaTypes);
  assert.ok(built.productsSchemaTypes > 0);
});

test("the built module is plain JavaScript that node runs without tsx", async () => {
  await buildServer({ outdir: OUTDIR, entries: { location: SOURCE } });
  const { execFileSync } = await import("node:child_process");
  const printed = execFileSync(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(pathToFileURL(path.resolve(OUTDIR, "location.js")).href)}); console.log(m.ownUrl)`], { encoding: "utf8", env: { PATH: process.env.PATH } });
  assert.equal(printed.trim(), pathToFileURL(path.resolve(SOURCE)).href);
});
