// How `npm start` stops, as a terminal, a process manager or a closed window stop it: the
// requests being answered get their answers, from the embedded PostgreSQL too, and nothing is
// left running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessRunning } from "#kernel";
import { waitFor } from "#kernel/testing";
import { portsEnv, startEnv } from "./support/start-command.js";

/** `npm start` itself (the package.json script, through npm) in its own process group, as a terminal runs a command. */
async function npmStart() {
  const dataDir = mkdtempSync(join(tmpdir(), "start-stop-"));
  chmodSync(dataDir, 0o755); // the embedded server runs as its own user when this runs as root
  const env: Record<string, string> = { EMBEDDED_DATA_DIR: dataDir, ...(await portsEnv()) };
  const child = spawn("npm", ["start"], { env: startEnv(env), stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor("npm start is ready", () => output.includes("ready in") || child.exitCode !== null, { timeoutMs: 180_000, intervalMs: 100 });
  assert.match(output, /ready in/, output);
  const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;
  const postgresPid = Number(readFileSync(join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    child,
    gateway,
    postgresPid,
    exited,
    output: () => output,
    /** Whatever the test did, nothing of this start outlives it. */
    async cleanUp() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // the group is gone already
      }
      if (isProcessRunning(postgresPid)) process.kill(postgresPid, "SIGINT");
      await waitFor("the embedded PostgreSQL is gone", () => !isProcessRunning(postgresPid), { timeoutMs: 30_000, intervalMs: 100 }).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(() => true, () => false);
}

/** Every process of the group npm start runs in has exited. */
function groupGone(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return false;
  } catch {
    return true;
  }
}

test("SIGTERM sent to the npm process alone (a process manager, kill <pid>) stops the servers and the embedded PostgreSQL", async () => {
  const start = await npmStart();
  try {
    assert.ok(await answers(`${start.gateway}/healthz`));
    start.child.kill("SIGTERM");
    await start.exited;
    // The shell between npm and node used to die of the signal and leave node serving.
    await waitFor("the gateway stops answering", async () => !(await answers(`${start.gateway}/healthz`)), { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor("the embedded PostgreSQL has stopped", () => !isProcessRunning(start.postgresPid), { timeoutMs: 30_000, intervalMs: 100 });
    await waitFor("no process of the start is left", () => groupGone(start.child), { timeoutMs: 30_000, intervalMs: 100 });
  } finally {
    await start.cleanUp();
  }
});

test("Ctrl-C (SIGINT to the terminal's process group) lets a request being answered read PostgreSQL, then stops everything", async () => {
  const start = await npmStart();
  try {
    const logIn = await fetch(`${start.gateway}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { logIn(email: "customer@storefront.test", password: "customer-password-dev-only") { accessToken } }` }),
    }).then((response) => response.json() as Promise<{ data: { logIn: { accessToken: string } } }>);
    // A cart read the gateway has begun to receive when Ctrl-C comes: its body arrives after.
    const body = JSON.stringify({ query: "{ cart { totalQuantity } }" });
    const half = Math.floor(body.length / 2);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const call = request(`${start.gateway}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${logIn.data.logIn.accessToken}` },
      });
      call.on("response", (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, text }));
      });
      call.on("error", reject);
      call.write(body.slice(0, half));
      setTimeout(() => {
        process.kill(-start.child.pid!, "SIGINT");
        // The server the terminal's Ctrl-C used to reach as well stops at once when it does;
        // a second is ample for it, and well inside the gateway's 5 s drain.
        void waitFor("the embedded PostgreSQL stops", () => !isProcessRunning(start.postgresPid), { timeoutMs: 1_000, intervalMs: 20 })
          .catch(() => undefined)
          .then(() => call.end(body.slice(half)));
      }, 200);
    });
    const { status, text } = await answer;
    assert.equal(status, 200, text);
    assert.deepEqual(JSON.parse(text), { data: { cart: { totalQuantity: 0 } } });

    await start.exited;
    await waitFor("the embedded PostgreSQL has stopped", () => !isProcessRunning(start.postgresPid), { timeoutMs: 30_000, intervalMs: 100 });
    await waitFor("no process of the start is left", () => groupGone(start.child), { timeoutMs: 30_000, intervalMs: 100 });
    assert.doesNotMatch(start.output(), /\n\s+at /, "no stack trace");
  } finally {
    await start.cleanUp();
  }
});
