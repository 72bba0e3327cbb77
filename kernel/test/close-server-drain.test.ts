import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage } from "node:http";
import { test } from "node:test";
import { closeServer, listen } from "#kernel";

/** A POST to the server; resolves with the status and body, or rejects when the socket is cut. */
function post(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", agent: false }, (res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end("{}");
  });
}

test("a server closed while it answers a request lets that answer out before it closes", async () => {
  let arrived!: () => void;
  const inHandler = new Promise<void>((resolve) => (arrived = resolve));
  let finish!: () => void;
  const released = new Promise<void>((resolve) => (finish = resolve));
  const server = createServer((req, res) => {
    req.resume();
    arrived();
    void released.then(() => res.end("answered"));
  });
  const port = await listen(server, 0, "127.0.0.1");
  const answer = post(port);
  await inHandler;
  const closed = closeServer(server);
  finish();
  assert.deepEqual(await answer, { status: 200, body: "answered" });
  await closed;
  assert.equal(server.listening, false);
});

test("a request still unanswered at the drain's end is cut, and the close completes", async () => {
  let arrived!: () => void;
  const inHandler = new Promise<void>((resolve) => (arrived = resolve));
  const server = createServer((req) => {
    req.resume();
    arrived();
  });
  const port = await listen(server, 0, "127.0.0.1");
  const answer = post(port);
  await inHandler;
  await closeServer(server, 100);
  await assert.rejects(answer);
  assert.equal(server.listening, false);
});

test("a keep-alive connection idle at the close does not hold it open", async () => {
  const server = createServer((req, res) => {
    req.resume();
    res.end("ok");
  });
  const port = await listen(server, 0, "127.0.0.1");
  const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "{}" });
  assert.equal(await response.text(), "ok");
  await closeServer(server, 60_000);
  assert.equal(server.listening, false);
});
