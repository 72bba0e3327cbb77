// A refusal answered before its request's body had arrived left Node reading that body to keep
// the connection: a subgraph's 403 to a POST without the gateway's credential held the socket
// while the client trickled its announced 100,000 bytes, for up to the subgraph's 5-minute
// request timeout, with no per-client cap on a subgraph's sockets.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { describe, it } from "node:test";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { closeServer, createGuardedServer, createLogger, startSubgraphServer } from "#kernel";

/** A raw connection that records what the server sends and when it ends the connection. */
function rawConnection(port: number) {
  const socket: Socket = connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  let received = "";
  socket.on("data", (chunk) => (received += chunk));
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    socket,
    received: () => received,
    /** Resolves true once the server ends the connection, false if it has not after `ms`. */
    endedWithin: (ms: number) => Promise.race([ended.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]),
    /** Resolves once `count` answers have arrived. */
    answers: async (count: number) => {
      while ((received.match(/HTTP\/1\.1 \d{3} /g) ?? []).length < count) await new Promise((resolve) => socket.once("data", resolve));
    },
  };
}

const announceBody = (path: string, method = "POST") => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`;

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("an answer written before its request's body has arrived", () => {
  it("closes the connection (connection: close), at a guarded server refusing without reading the body", async () => {
    const server = createGuardedServer({ maxConnections: 100 }, (_req, res) => res.writeHead(403).end("no"));
    const port = await listening(server);
    try {
      const client = rawConnection(port);
      client.socket.write(announceBody("/graphql"));
      const trickle = setInterval(() => client.socket.write(" "), 100);
      try {
        assert.equal(await client.endedWithin(5_000), true, "the server ended the connection");
      } finally {
        clearInterval(trickle);
      }
      assert.match(client.received(), /^HTTP\/1\.1 403 /);
      assert.match(client.received(), /\r\nconnection: close\r\n/i);
    } finally {
      await closeServer(server);
    }
  });

  it("keeps the connection of requests whose body was read, and of requests announcing none", async () => {
    const server = createGuardedServer({ maxConnections: 100 }, (req, res) => {
      if (req.method === "GET") return void res.end("ok");
      req.resume();
      req.on("end", () => res.end("read"));
    });
    const port = await listening(server);
    try {
      const client = rawConnection(port);
      client.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await client.answers(1);
      client.socket.write("POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}");
      await client.answers(2);
      client.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await client.answers(3);
      assert.doesNotMatch(client.received(), /connection: close/i);
      client.socket.destroy();
    } finally {
      await closeServer(server);
    }
  });

  it("closes the connection at a subgraph refusing a POST without the gateway's credential, and at its /healthz given a body", async () => {
    const schema = buildSubgraphSchema({ typeDefs: parse("type Query { hello: String }"), resolvers: { Query: { hello: () => "hi" } } });
    const subgraph = await startSubgraphServer({
      name: "toy",
      schema,
      internalSecret: "unread-body-test-secret-0123456789",
      logger: createLogger("silent"),
      extendContext: (base) => base,
      port: 0,
      host: "127.0.0.1",
    });
    try {
      for (const [method, path, status] of [["POST", "/graphql", 403], ["GET", "/healthz", 200]] as const) {
        const client = rawConnection(subgraph.port);
        client.socket.write(announceBody(path, method));
        const trickle = setInterval(() => client.socket.write(" "), 100);
        try {
          assert.equal(await client.endedWithin(5_000), true, `${method} ${path}: the subgraph ended the connection`);
        } finally {
          clearInterval(trickle);
        }
        assert.match(client.received(), new RegExp(`^HTTP/1\\.1 ${status} `));
      }
    } finally {
      await subgraph.close();
    }
  });
});
