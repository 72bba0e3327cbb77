import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const RESET = fileURLToPath(new URL("../src/http/unread-answer-reset.ts", import.meta.url));

/**
 * In a process of its own (a handle that never closes keeps its process from exiting): a
 * server that ends each connection and cuts it in the same turn, while the shutdown that end
 * began is under way, as a stranger's eviction or a deadline can meet an answer that closes.
 */
const SCENARIO = `
  import { createServer, connect } from "node:net";
  import { resetSocket } from ${JSON.stringify(RESET)};
  const server = createServer((socket) => {
    socket.on("error", (error) => console.log("error " + error.code + " " + error.syscall));
    socket.on("close", () => { console.log("closed"); server.close(); });
    socket.end("bye");
    resetSocket(socket);
  });
  server.listen(0, "127.0.0.1", () => {
    const client = connect(server.address().port, "127.0.0.1");
    client.on("error", () => {});
    client.resume();
    client.on("close", () => console.log("client closed"));
  });
`;

/**
 * The same cut, where the shutdown it waits for fails: `failure` is "client reset" (the client
 * resets the connection before the shutdown is done: the kernel refuses it, ENOTCONN) or
 * "socket error" (the socket fails while the shutdown is under way, as a deadline or a failed
 * read destroys it with an error). `guarded` installs what every server of the platform puts on
 * its sockets (the lingering close, a WebSocket's cut), which can take that destroy for a close.
 */
const failingShutdown = (failure: "client reset" | "socket error", guarded: boolean) => `
  import { createServer, connect } from "node:net";
  import { resetSocket, resetUnreadOnClose, resetWhenCut } from ${JSON.stringify(RESET)};
  const lingering = { closing: () => false, lingering: new Set() };
  let accepted;
  const server = createServer((socket) => {
    accepted = socket;
    if (${guarded}) { resetUnreadOnClose(socket, lingering, 60_000); resetWhenCut(socket); }
    socket.on("error", (error) => console.log("error " + error.code + " " + error.syscall));
    socket.on("close", () => { console.log("closed"); server.close(); });
    socket.write("hello");
  });
  server.listen(0, "127.0.0.1", () => {
    const client = connect(server.address().port, "127.0.0.1");
    client.on("error", () => {});
    client.once("data", () => {
      // Over loopback the reset reaches the server's kernel before this returns.
      if (${failure === "client reset"}) client.resetAndDestroy();
      accepted.end();
      const state = accepted._writableState;
      console.log("shutdown under way " + (state.finalCalled && !accepted.writableFinished));
      resetSocket(accepted);
      // Before the loop's next turn, where the shutdown is done.
      if (${failure === "socket error"}) process.nextTick(() => accepted.destroy(Object.assign(new Error("failed"), { code: "EFAILED", syscall: "read" })));
      if (${failure === "socket error"}) client.on("close", () => console.log("client closed"));
      if (${failure === "socket error"}) client.resume();
    });
  });
`;

async function run(scenario: string): Promise<{ output: string; exit: [number | null, NodeJS.Signals | null] }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", scenario], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const exit = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(deadline);
  return { output, exit };
}

test("a socket cut while its shutdown is under way is closed once the shutdown is done, and its process exits", { timeout: 30_000 }, async () => {
  const { output, exit } = await run(SCENARIO);
  assert.doesNotMatch(output, /error EINVAL reset/, "the reset was refused");
  assert.match(output, /^closed$/m, "the server's socket closed");
  assert.deepEqual(exit, [0, null], `the process exited by itself (output: ${JSON.stringify(output)})`);
});

for (const failure of ["client reset", "socket error"] as const) {
  for (const guarded of [false, true]) {
    test(`a socket cut while its shutdown is under way is closed when that shutdown fails (${failure}${guarded ? ", the platform's close guards on" : ""}), and its process exits`, { timeout: 30_000 }, async () => {
      const { output, exit } = await run(failingShutdown(failure, guarded));
      assert.match(output, /^shutdown under way true$/m, "the cut came while the shutdown was under way");
      if (failure === "socket error" && !guarded) assert.match(output, /^error EFAILED read$/m, "the socket failed during the shutdown");
      assert.doesNotMatch(output, /error EINVAL reset/, "the reset was refused");
      assert.match(output, /^closed$/m, "the server's socket closed");
      assert.deepEqual(exit, [0, null], `the process exited by itself (output: ${JSON.stringify(output)})`);
    });
  }
}
