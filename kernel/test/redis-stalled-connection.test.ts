import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { test } from "node:test";
import { RedisKeyValueStore } from "#kernel/adapters.ts";

/**
 * Enough of a Redis for ioredis, on a free port: each command (an array whose first bulk string
 * is its name) goes to `onCommand` with its connection's number, which answers it or not; the
 * handshake's INFO is answered as a loaded server's unless `onCommand` says it handled it.
 */
async function fakeRedis(onCommand: (command: string, socket: Socket, connection: number) => boolean) {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", (bytes) => {
      for (const name of bytes.toString("latin1").matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
        const command = name[1]!.toUpperCase();
        if (onCommand(command, socket, connection) || command !== "INFO") continue;
        const info = "# Server\r\nloading:0\r\n";
        socket.write(`$${info.length}\r\n${info}\r\n`);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/**
 * A Redis that completes the handshake of every connection, then may stop answering
 * (a server blocked by a slow script or a fork, a network path that went silent): it
 * reads what it is sent and answers nothing, keeping the connection open.
 */
async function stallingRedis() {
  let stalled = false;
  const commands: string[] = [];
  const redis = await fakeRedis((command, socket) => {
    if (stalled) return true;
    if (command === "INFO") return false;
    if (command === "GET") {
      commands.push(command);
      socket.write("$-1\r\n");
    } else socket.write("+OK\r\n");
    return true;
  });
  return {
    ...redis,
    commands,
    stall: () => {
      stalled = true;
    },
  };
}

test("a Redis connection that stops answering is dropped, so the next commands fail at once instead of each waiting out its timeout", { timeout: 10_000 }, async () => {
  const redis = await stallingRedis();
  const store = new RedisKeyValueStore(redis.url, { commandTimeoutMs: 300 });
  try {
    await store.connect();
    assert.equal(await store.client.get("answered"), null);
    redis.stall();
    await assert.rejects(store.client.get("unanswered"), /timed out|timeout/i);
    // The silent connection is closed rather than kept for the next caller to wait on.
    if (store.client.status === "ready") await new Promise((closed) => store.client.once("close", closed));
    const sentBefore = redis.commands.length;
    // Redis still silent: the reconnection cannot finish its handshake, and a command meanwhile
    // is refused without being sent (a rate limiter falls back to its in-memory insurance).
    await assert.rejects(store.client.get("while-stalled"), (error: Error) => !/timed out/i.test(error.message));
    assert.equal(redis.commands.length, sentBefore, "nothing was sent on a connection that is not ready");
  } finally {
    await store.close();
    await redis.close();
  }
});

/**
 * A Redis whose first connection dies with a command unanswered (a server killed or restarted
 * mid-command); every later connection answers.
 */
const redisThatDropsItsFirstConnection = () =>
  fakeRedis((command, socket, connection) => {
    if (command === "INFO") return false;
    if (command === "GET" && connection === 1) setTimeout(() => socket.destroy(), 20);
    else socket.write(command === "GET" ? "$-1\r\n" : "+OK\r\n");
    return true;
  });

test("a connection that died with a command unanswered is made again once: the new one outlives the dead one's deadline", { timeout: 10_000 }, async () => {
  const redis = await redisThatDropsItsFirstConnection();
  const store = new RedisKeyValueStore(redis.url, { commandTimeoutMs: 400 });
  try {
    await store.connect();
    await assert.rejects(store.client.get("in-flight"));
    if (store.client.status !== "ready") await once(store.client, "ready");
    assert.equal(await store.client.get("answered"), null);
    // Past the first command's deadline: its timer belonged to the dead connection and must not
    // tear down the one that replaced it (every command on it would be refused meanwhile).
    await new Promise((elapsed) => setTimeout(elapsed, 600));
    assert.equal(store.client.status, "ready");
    assert.equal(redis.connections(), 2, "one reconnection, no second one");
    assert.equal(await store.client.get("still-answered"), null);
  } finally {
    await store.close();
    await redis.close();
  }
});
