import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { BodyTooLargeError, InvalidUtf8Error, readBody } from "../src/http/read-body.js";

/** A server whose handler hands each request to `read` and reports how the read ended. */
async function withServer(read: (req: IncomingMessage) => Promise<string>, run: (port: number, outcomes: Promise<string>[]) => Promise<void>) {
  const outcomes: Promise<string>[] = [];
  const server = createServer((req, res) => {
    const outcome = read(req).then(
      (body) => `body:${body}`,
      (error: Error) => `${error.constructor.name}`,
    );
    outcomes.push(outcome);
    void outcome.then((text) => {
      if (!res.destroyed) res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run((server.address() as AddressInfo).port, outcomes);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function post(port: number, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("readBody", () => {
  it("gives the body's text, whole, from one chunk or many", async () => {
    await withServer(
      (req) => readBody(req, 1_000_000),
      async (port) => {
        assert.equal((await post(port, '{"query":"{ a }"}')).text, 'body:{"query":"{ a }"}');
        const many = "é".repeat(100_000);
        assert.equal((await post(port, many)).text, `body:${many}`);
        assert.equal((await post(port, "")).text, "body:");
      },
    );
  });

  it("refuses a declared length over the limit before reading, and a body that grows past it", async () => {
    await withServer(
      (req) => readBody(req, 10),
      async (port) => {
        assert.equal((await post(port, "x".repeat(11))).text, "BodyTooLargeError");
        // No declared length: refused as it grows, the rest dropped unread, and the refusal
        // still answered on the connection.
        const socket = connect(port, "127.0.0.1");
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        let answer = "";
        socket.setEncoding("utf8");
        const answered = new Promise<void>((resolve) =>
          socket.on("data", (chunk: string) => {
            answer += chunk;
            if (answer.includes("BodyTooLargeError")) resolve();
          }),
        );
        socket.write("POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n5\r\nklmno\r\n");
        await answered;
        socket.destroy();
      },
    );
    assert.ok(new BodyTooLargeError() instanceof Error);
  });

  it("refuses bytes that are not UTF-8", async () => {
    await withServer(
      (req) => readBody(req, 1_000),
      async (port) => {
        assert.equal((await post(port, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).text, "InvalidUtf8Error");
      },
    );
    assert.ok(new InvalidUtf8Error() instanceof Error);
  });

  it("rejects, never waits forever, when the client goes away mid-body", async () => {
    await withServer(
      (req) => readBody(req, 1_000_000),
      async (port, outcomes) => {
        const socket = connect(port, "127.0.0.1");
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        socket.write("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly part");
        while (outcomes.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        socket.destroy();
        assert.notEqual(await outcomes[0], "body:only part");
        assert.doesNotMatch(await outcomes[0]!, /^body:/);
      },
    );
  });

  it("gives what there was for a body already read to its end, and rejects for one already cut short", async () => {
    await withServer(
      async (req) => {
        await readBody(req, 1_000);
        return readBody(req, 1_000);
      },
      async (port) => {
        assert.equal((await post(port, "first")).text, "body:");
      },
    );
    await withServer(
      async (req) => {
        req.destroy();
        return readBody(req, 1_000);
      },
      async (port, outcomes) => {
        await post(port, "lost").catch(() => undefined);
        assert.doesNotMatch(await outcomes[0]!, /^body:/);
      },
    );
  });
});
