// Importing the relational role must leave a process's shutdown to the process: the embedded
// PostgreSQL package hooks SIGTERM and exit (async-exit-hook) and exits at once, which ended
// every subgraph with a database on SIGTERM (143) before it drained, and turned failed exit
// codes into 0. It is now loaded only when an embedded server starts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

const FIXTURE = new URL("./fixtures/relational-importer.ts", import.meta.url).pathname;

function run(mode: "drain" | "fail"): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, mode], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (mode === "drain" && out.includes("ready")) child.kill("SIGTERM");
  });
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, out })));
}

describe("importing the relational role", () => {
  it("lets a process drain on SIGTERM before it exits", async () => {
    const { code, out } = await run("drain");
    assert.deepEqual([code, out.includes("drained")], [0, true]);
  });

  it("keeps a process's failed exit code", async () => {
    assert.equal((await run("fail")).code, 3);
  });
});
