// A second `npm start` while one runs: one line naming what is taken and how to move it, at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer } from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { portsEnv, startEnv } from "./support/start-command.js";

function secondStart(env: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], { encoding: "utf8", timeout: 60_000, env: startEnv(env) });
}

/** `npm start` in a child on `env`, resolved once it is ready (or has exited), with its output so far. */
async function startReady(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env: startEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 120_000;
  while (!output.includes("ready in") && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return { child, exited, output: () => output };
}

/** The status of `url` once it answers 200, or its last answer after a minute of asking. */
async function readyStatus(url: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status } = await fetch(url);
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test("npm start on a port already in use exits at once with one line naming the port and its variable", async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
  const { port } = holder.address() as AddressInfo;
  try {
    const run = secondStart({ GATEWAY_PORT: String(port) });
    assert.equal(run.status, 1, `status ${run.status} signal ${run.signal}: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use .*GATEWAY_PORT=${port + 100} npm start$`));
    assert.equal(run.stdout, "", "nothing started, nothing announced");
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test("npm start on a port an outgoing connection holds as its own end says so, rather than blaming another start", { skip: process.platform !== "linux" }, async () => {
  const server = createServer((socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  // A port no server listens on, taken as the local end the system gave an outgoing connection
  // (one bound to a port of its choosing does not block a server's bind; one given its port does).
  const connection = connect({ port: (server.address() as AddressInfo).port, host: "127.0.0.1" });
  await once(connection, "connect");
  const port = connection.localPort!;
  try {
    const run = secondStart({ GATEWAY_PORT: String(port) });
    assert.equal(run.status, 1, `status ${run.status} signal ${run.signal}: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use \\(no server listens on it: this machine's outgoing connections take their own ends from the ports \\d+-\\d+, and one holds it for now; try again, or choose ports outside \\d+-\\d+\\); set GATEWAY_PORT to a free port`));
    assert.doesNotMatch(lines[0]!, /another npm start|stop it/);
  } finally {
    connection.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The variables a suggested `A=1 B=2 npm start` sets, in its order. */
function settingsOf(command: string): Record<string, string> {
  assert.match(command, / npm start$/);
  return Object.fromEntries(command.replace(/ npm start$/, "").split(" ").map((pair) => pair.split("=") as [string, string]));
}

test("the command a blocked npm start suggests keeps every port and the data directory it was given, moving only what is taken", async () => {
  const env = await portsEnv();
  const dataDir = mkdtempSync(join(tmpdir(), "beside-"));
  const given: Record<string, string> = { ...env, EMBEDDED_DATA_DIR: dataDir };
  // npm start runs the notification service inside it, on no port of its own.
  const placing = Object.fromEntries(Object.entries(given).filter(([name]) => name !== "NOTIFICATIONS_PORT"));
  try {
    for (const takenVariables of [["PRODUCTS_PORT"], ["PRODUCTS_PORT", "SEARCH_PORT"]]) {
      const holders = await Promise.all(
        takenVariables.map(async (variable) => {
          const holder = createServer();
          await new Promise<void>((resolve) => holder.listen(Number(env[variable]), "127.0.0.1", () => resolve()));
          return holder;
        }),
      );
      try {
        const run = secondStart(given);
        assert.equal(run.status, 1, `status ${run.status} signal ${run.signal}: ${run.stderr}`);
        const command = /(?:for example|beside it:) (.*npm start)$/.exec(run.stderr.trim())?.[1];
        assert.ok(command, run.stderr);
        const moved = Object.fromEntries(takenVariables.map((variable) => [variable, String(Number(env[variable]) + 100)]));
        assert.deepEqual(settingsOf(command), { ...placing, ...moved }, run.stderr);
      } finally {
        await Promise.all(holders.map((holder) => new Promise((resolve) => holder.close(resolve))));
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("npm start with two port variables naming one port exits at once with one line naming both", async () => {
  const env = await portsEnv();
  const dataDir = mkdtempSync(join(tmpdir(), "same-port-"));
  const run = secondStart({ ...env, PAYMENT_SIMULATOR_PORT: env.GATEWAY_PORT!, EMBEDDED_DATA_DIR: dataDir });
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(run.status, 1, `status ${run.status} signal ${run.signal}: ${run.stderr}`);
  assert.equal(
    run.stderr,
    `GATEWAY_PORT and PAYMENT_SIMULATOR_PORT name the same port ${env.GATEWAY_PORT}: npm start runs every server in one process, each on a port of its own; set PAYMENT_SIMULATOR_PORT to another\n`,
  );
  assert.equal(run.stdout, "", "nothing started, nothing announced");
});

test("npm start with a mistyped variable lists the problem alone, without a stack trace", () => {
  const run = secondStart({ GATEWAY_PORT: "abc" });
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stderr, 'Invalid configuration:\n- GATEWAY_PORT must be an integer between 0 and 65535 (got "abc")\n(see the configuration table in README.md)\n');
  assert.equal(run.stdout, "");
});

test("a second npm start on other ports but the same data directory exits with one line naming EMBEDDED_DATA_DIR, and the first keeps serving", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "start-twice-"));
  chmodSync(dataDir, 0o755); // the embedded server runs as its own user when this runs as root
  const firstEnv = await portsEnv();
  const first = await startReady({ EMBEDDED_DATA_DIR: dataDir, ...firstEnv });
  try {
    assert.match(first.output(), /ready in/, first.output());

    const run = secondStart({ EMBEDDED_DATA_DIR: dataDir, ...(await portsEnv()) });
    assert.equal(run.status, 1, `status ${run.status} signal ${run.signal}: ${run.stderr}`);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /data directory .*start-twice-.* is in use by another process.*EMBEDDED_DATA_DIR=/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    assert.equal(run.stdout, "", "nothing announced");

    // The same command again, as a newcomer runs it: one line naming every port it holds and
    // its data directory, with the whole command that starts beside it (not one port at a time).
    const again = secondStart({ EMBEDDED_DATA_DIR: dataDir, ...firstEnv });
    assert.equal(again.status, 1, again.stderr);
    const line = again.stderr.trim();
    assert.equal(line.split("\n").length, 1, again.stderr);
    const held = ["GATEWAY_PORT", "PRODUCTS_PORT", "SEARCH_PORT", "INVENTORY_PORT", "CART_PORT", "ORDERS_PORT", "PAYMENTS_PORT", "ACCOUNTS_PORT", "PAYMENT_SIMULATOR_PORT", "EMBEDDED_PG_PORT"];
    const suggested = held.map((name) => `${name}=${Number(firstEnv[name]) + 100}`).join(" ");
    assert.ok(line.endsWith(`start this one beside it: ${suggested} EMBEDDED_DATA_DIR=${dataDir}-2 npm start`), line);
    assert.equal(again.stdout, "", "nothing announced");

    const health = await fetch(`http://127.0.0.1:${firstEnv.GATEWAY_PORT}/healthz`);
    assert.equal(health.status, 200, "the first start is untouched");
  } finally {
    first.child.kill("SIGTERM");
    await first.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("npm start after one killed with -9 stops the embedded PostgreSQL it left running and starts on the same data; a running start's server is left alone", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "start-after-kill-"));
  chmodSync(dataDir, 0o755); // the embedded server runs as its own user when this runs as root
  const env: Record<string, string> = { EMBEDDED_DATA_DIR: dataDir, ...(await portsEnv()) };
  const { orphanedEmbeddedPostgres, stopOrphanedEmbeddedPostgres } = await import("../platform/orphaned-postgres.js");
  const { loadConfig } = await import("#kernel");
  const killed = await startReady(env);
  let second: Awaited<ReturnType<typeof startReady>> | undefined;
  try {
    assert.match(killed.output(), /ready in/, killed.output());
    assert.equal(orphanedEmbeddedPostgres(loadConfig(startEnv(env))), undefined, "the server of a running start is not an orphan");
    killed.child.kill("SIGKILL");
    await killed.exited;

    second = await startReady(env);
    assert.match(second.output(), /^Stopped the embedded PostgreSQL \(pid \d+\) that an earlier npm start left running on /m, second.output());
    assert.match(second.output(), /ready in/, second.output());
    // /readyz asks every subgraph with a 1.5 s budget; right after "ready in", on a loaded
    // machine, the one process is still busy planning ahead and a first answer may be 503.
    assert.equal(await readyStatus(`http://127.0.0.1:${env.GATEWAY_PORT}/readyz`), 200, "the new start serves");
  } finally {
    second?.child.kill("SIGTERM");
    await second?.exited;
    // Whatever failed, no server is left behind on the directory about to be removed.
    await stopOrphanedEmbeddedPostgres(loadConfig(startEnv(env))).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("the data directories a blocked npm start suggests are ignored by git, as the default one is", async () => {
  const { portsInUseMessage } = await import("../platform/ports-in-use.js");
  const line = portsInUseMessage([], "127.0.0.1", ".data");
  const suggested = /EMBEDDED_DATA_DIR=(\S+)/.exec(line)?.[1];
  assert.ok(suggested, line);
  // A second start's embedded PostgreSQL and accounts file must never land in a commit by `git add -A`.
  for (const dir of [".data", suggested, `${suggested}-2`]) {
    const check = spawnSync("git", ["check-ignore", "-q", `${dir}/postgres/PG_VERSION`]);
    assert.equal(check.status, 0, `${dir}/ is ignored by git`);
  }
});
