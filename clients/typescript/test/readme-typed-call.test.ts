// The client README's "A typed call" is what a frontend developer copies into their app. This
// takes that block as written, type-checks it with the project's compiler settings against the
// client's real types, and runs it against a running gateway (only the URL is changed, and
// Node 20 is given a WebSocket class, as the README says): it logs in, adds to the cart, checks
// out and follows the order to PAID.
import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../../kernel/src/testing/wait-for.js";
import { startTestSupergraph, type TestSupergraph } from "../../../test/support/start-test-supergraph.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const README_URL = "http://127.0.0.1:4000/graphql";
/** Git-ignored: the copied call is written where the project's node_modules resolve. */
const WORK_DIR = path.join(ROOT, "test-artifacts", "client-readme");

function readmeCall(): string {
  const readme = readFileSync(path.join(ROOT, "clients", "typescript", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## A typed call"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the README has a typed call");
  assert.match(block, /from "@storefront\/client";/);
  assert.ok(block.includes(`"${README_URL}"`), "the call names the gateway of npm start");
  return block;
}

/** The block as the app would have it, with the package name pointing at the client's source. */
function asAppFile(block: string, url: string): string {
  const entry = path.join(ROOT, "clients", "typescript", "src", "index.js");
  return block.replace(`"@storefront/client"`, JSON.stringify(entry)).replace(`"${README_URL}"`, JSON.stringify(url));
}

/**
 * Type-checks the file with the project's compiler settings, in a child process so it runs
 * beside the gateway's start instead of after it; resolves with tsc's output (empty when clean).
 */
function typeCheck(file: string): Promise<string> {
  const project = path.join(WORK_DIR, "tsconfig.json");
  writeFileSync(project, JSON.stringify({ extends: path.join(ROOT, "tsconfig.json"), include: [], files: [file] }));
  const tsc = spawn(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", project], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  tsc.stdout.on("data", (chunk) => (output += chunk));
  tsc.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => tsc.on("exit", (code) => resolve(code === 0 ? "" : output || `tsc exited ${code}`)));
}

describe("the client README's typed call", () => {
  let supergraph: TestSupergraph;
  let typeChecked: Promise<string>;

  before(async () => {
    mkdirSync(WORK_DIR, { recursive: true });
    const asCopied = path.join(WORK_DIR, "typed-call.mts");
    writeFileSync(asCopied, asAppFile(readmeCall(), README_URL));
    typeChecked = typeCheck(asCopied);
    supergraph = await startTestSupergraph();
  });
  after(() => supergraph?.close());

  test("type-checks as written", async () => {
    assert.equal(await typeChecked, "");
  });

  test("runs against the gateway: logs in, adds to the cart, checks out and follows the order to PAID", async () => {
    const signUp = await supergraph.query(`mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`, {
      input: { email: "ada@example.com", password: "correct horse battery staple", name: "Ada" },
    });
    assert.equal(signUp.errors, undefined, JSON.stringify(signUp.errors));
    const admin = await supergraph.token("readme-admin", ["customer", "admin"]);
    const restocked = await supergraph.query(`mutation { restock(variantId: "prod_0000001", quantity: 5, idempotencyKey: "${randomUUID()}") { available } }`, {}, admin);
    assert.equal(restocked.errors, undefined, JSON.stringify(restocked.errors));

    const file = path.join(WORK_DIR, "typed-call-run.mts");
    writeFileSync(file, asAppFile(readmeCall(), supergraph.gatewayUrl));
    const prelude = path.join(WORK_DIR, "node20-websocket.mjs");
    writeFileSync(prelude, `import WebSocket from ${JSON.stringify(pathToFileURL(path.join(ROOT, "node_modules", "ws", "wrapper.mjs")).href)};\nglobalThis.WebSocket ??= WebSocket;\n`);
    const child = spawn(process.execPath, ["--import", "tsx", "--import", pathToFileURL(prelude).href, file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await waitFor("the call follows its order to PAID", () => /^PAID SUCCEEDED$/m.test(stdout) || child.exitCode !== null, { timeoutMs: 45_000, intervalMs: 100 });
    } finally {
      // The subscription stays open after PAID (the order is not final): the app would keep it.
      child.kill();
      await exited;
    }
    assert.equal(stderr, "");
    const lines = stdout.trim().split("\n");
    assert.match(lines[0]!, /^Subtotal \$\d+\.\d\d$/);
    assert.match(lines[1]!, /^Order ord_\w+: \$\d+\.\d\d$/);
    assert.ok(lines.includes("PAID SUCCEEDED"), stdout);
  });
});
