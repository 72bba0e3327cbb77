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

test("a socket cut while its shutdown is under way is closed once the shutdown is done, and its process exits", { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCENARIO], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(deadline);
  assert.doesNotMatch(output, /error EINVAL reset/, "the reset was refused");
  assert.match(output, /^closed$/m, "the server's socket closed");
  assert.deepEqual([code, signal], [0, null], `the process exited by itself (output: ${JSON.stringify(output)})`);
});
