// Connection exhaustion: one client holding silent sockets used to take every file descriptor
// of the process. These cases hold sockets the way that client did and check who is still served.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { Agent, get as httpGet, request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { clientNetwork, closeServer, createGuardedServer, defaultMaxConnections, MAX_PIPELINED, MAX_REQUEST_HEADERS, maxConnectionsFor, openFileLimit, PIPELINE_FLOOD_CONNECTIONS, resetWhenCut, STALLED_READER_MS, startHealthServer, type ConnectionGuards, type ConnectionRefusal } from "#kernel";
import { WebSocketServer } from "ws";
import { heldForConnection, waitFor } from "#kernel/testing";

/**
 * How long a stalled reader may wait for its verdict: the kernel's socket tables are looked at
 * once a second on a quiet machine, but at most STALLED_READER_MS apart where a look is slow
 * (a loaded machine, many sockets), whatever a test's own stall deadline, and a verdict takes up
 * to three looks. On a quiet machine each such test ends within seconds all the same.
 */
const THREE_LOOKS_MS = 3 * STALLED_READER_MS + 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A race's losing side that keeps the process up no longer than the test (unlike `sleep`). */
const giveUpAfter = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

async function guardedServer(guards: Omit<ConnectionGuards, "onRefused">) {
  const refused: ConnectionRefusal[] = [];
  const server = createGuardedServer({ ...guards, onRefused: (reason) => refused.push(reason) }, (req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, refused };
}

/** A socket from `from` that sends nothing; resolves once connected. */
function silentSocket(port: number, from = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: from });
    socket.on("error", () => {});
    socket.once("connect", () => resolve(socket));
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
}

/** One GET on a fresh connection from `from`: the status, or the error that stopped it. */
function get(port: number, from = "127.0.0.1"): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ port, host: "127.0.0.1", localAddress: from, path: "/", agent: false, timeout: 3_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
    req.end();
  });
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("guarded HTTP server: per-client socket cap", async () => {
  const { server, port, refused } = await guardedServer({ maxConnections: 10_000, maxConnectionsPerClient: 20 });
  after(() => closeServer(server));

  it("closes a client's sockets past its cap while another client is served", async () => {
    const sockets = await Promise.all(Array.from({ length: 300 }, () => silentSocket(port).catch(() => undefined)));
    const held = () => sockets.filter((socket) => socket && !socket.destroyed && !socket.readableEnded).length;
    await until(() => held() <= 20);
    assert.equal(held(), 20, "the first 20 are kept");
    assert.ok(refused.filter((reason) => reason === "client_full").length >= 280);
    assert.equal(await get(port, "127.0.0.2"), 200, "another client is served at once");
    assert.notEqual(await get(port), 200, "the holder gets nothing more while it holds its cap");
    for (const socket of sockets) socket?.destroy();
  });

  it("gives a slot back when its socket closes, however many come and go", async () => {
    for (let round = 0; round < 10; round++) {
      const sockets = await Promise.all(Array.from({ length: 40 }, () => silentSocket(port).catch(() => undefined)));
      for (const socket of sockets) socket?.destroy();
    }
    await sleep(100);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => get(port)));
    assert.deepEqual(statuses, Array.from({ length: 20 }, () => 200), "the whole cap is free again");
  });

  it("counts an IPv6 client by its /64, an IPv4-mapped one as the IPv4 address, and loopback alone", () => {
    assert.equal(clientNetwork("2001:db8:1:2:aaaa::1"), clientNetwork("2001:0db8:0001:0002:bbbb:cccc:dddd:eeee"));
    assert.notEqual(clientNetwork("2001:db8:1:2::1"), clientNetwork("2001:db8:1:3::1"));
    assert.equal(clientNetwork("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(clientNetwork("::1"), "0:0:0:0:0:0:0:1", "loopback counts alone");
    assert.equal(clientNetwork("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(clientNetwork("::ffff:203.0.113.7"), "203.0.113.7");
    assert.equal(clientNetwork("203.0.113.7"), "203.0.113.7");
    assert.notEqual(clientNetwork("203.0.113.7"), clientNetwork("203.0.113.8"));
    assert.equal(clientNetwork(undefined), "unknown");
  });

  it("drops a port and IPv6 brackets, so each source port is not a client of its own", () => {
    assert.equal(clientNetwork("1.2.3.4:5678"), "1.2.3.4");
    assert.equal(clientNetwork("1.2.3.4:80"), clientNetwork("1.2.3.4"));
    assert.equal(clientNetwork("[2001:db8::1]:443"), "2001:db8:0:0::/64");
    assert.equal(clientNetwork("[2001:db8::1]"), "2001:db8:0:0::/64");
    assert.equal(clientNetwork("[::ffff:203.0.113.7]:8080"), "203.0.113.7");
    assert.equal(clientNetwork(" 203.0.113.7 "), "203.0.113.7");
  });

  it("reads an IPv4-mapped address in hex and a NAT64 well-known-prefix address as the IPv4 address they carry", () => {
    assert.equal(clientNetwork("::ffff:0102:0304"), "1.2.3.4");
    assert.equal(clientNetwork("::FFFF:102:304"), "1.2.3.4");
    assert.equal(clientNetwork("0:0:0:0:0:ffff:cb00:7107"), "203.0.113.7");
    assert.notEqual(clientNetwork("::ffff:0102:0304"), clientNetwork("::ffff:0102:0305"));
    assert.equal(clientNetwork("64:ff9b::203.0.113.7"), "203.0.113.7");
    assert.equal(clientNetwork("64:ff9b::cb00:7107"), "203.0.113.7");
    assert.equal(clientNetwork("0064:ff9b:0000:0000:0000:0000:cb00:7108"), "203.0.113.8");
    assert.notEqual(clientNetwork("64:ff9b::198.51.100.1"), clientNetwork("64:ff9b::198.51.100.2"), "two IPv4 clients behind NAT64 are two clients");
    assert.notEqual(clientNetwork("::1"), clientNetwork("::ffff:0102:0304"), "loopback is not every mapped client");
    // Other NAT64 prefixes are ordinary networks: counted by their /64.
    assert.equal(clientNetwork("64:ff9b:1::cb00:7107"), "64:ff9b:1:0::/64");
  });

  it("gives every address it cannot read one key, rather than a key of its own", () => {
    for (const malformed of ["1:2:3", "1::2::3", "unknown", "_hidden", "evil-1", "evil-2", "", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4.5", "[1.2.3.4]:80", "::ffff:1.2.3.999", "[2001:db8::1", "2001:db8::1]:443", "1.2.3.4:99999", "2001:db8::g"]) {
      assert.equal(clientNetwork(malformed), "unknown", JSON.stringify(malformed));
    }
  });

  it("reads a key it returned as the same key (the gateway's key is the subgraphs' client address)", () => {
    for (const address of ["203.0.113.7", "::ffff:0102:0304", "2001:db8:1:2::7", "[2001:db8::1]:443", "::1", "64:ff9b::1.2.3.4", "fe80::1%eth0", "garbage"]) {
      assert.equal(clientNetwork(clientNetwork(address)), clientNetwork(address), address);
    }
    assert.equal(clientNetwork("2001:db8:0:0:0:0:0:1/64"), "unknown", "only a network's first address carries /64");
  });
});

describe("guarded HTTP server: the whole server's cap", async () => {
  const { server, port, refused } = await guardedServer({ maxConnections: 30 });
  after(() => closeServer(server));

  it("closes sockets past the cap at once, and serves again when they go", async () => {
    const froms = Array.from({ length: 60 }, (_, i) => `127.0.0.${10 + (i % 50)}`);
    const sockets = await Promise.all(froms.map((from) => silentSocket(port, from).catch(() => undefined)));
    const held = () => sockets.filter((socket) => socket && !socket.destroyed && !socket.readableEnded).length;
    await until(() => held() <= 30);
    assert.equal(held(), 30);
    assert.ok(refused.filter((reason) => reason === "server_full").length >= 30);
    for (const socket of sockets) socket?.destroy();
    await sleep(100);
    assert.equal(await get(port, "127.0.0.3"), 200);
  });
});

describe("guarded HTTP server: deadlines for slow clients", async () => {
  const { server, port } = await guardedServer({ maxConnections: 100, headersTimeoutMs: 300, requestTimeoutMs: 800 });
  after(() => closeServer(server));

  const closedWithin = (socket: Socket) =>
    new Promise<{ ms: number; answer: string }>((resolve) => {
      const started = Date.now();
      let answer = "";
      socket.on("data", (chunk) => (answer += String(chunk)));
      socket.once("close", () => resolve({ ms: Date.now() - started, answer }));
    });

  it("closes a socket that never sends a request with 408", async () => {
    const socket = await silentSocket(port);
    const { ms, answer } = await closedWithin(socket);
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(ms < 3_000, `closed after ${ms} ms`);
  });

  /** Sends `start`, then `each` every 100 ms until the server closes the socket. */
  async function trickled(start: string, each: string) {
    const socket = await silentSocket(port);
    const closed = closedWithin(socket);
    socket.write(start);
    const trickle = setInterval(() => socket.writable && socket.write(each), 100);
    try {
      return await closed;
    } finally {
      clearInterval(trickle);
    }
  }

  it("closes a socket that trickles its headers", async () => {
    const { ms, answer } = await trickled("POST / HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n");
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(ms < 3_000, `closed after ${ms} ms`);
  });

  it("closes a socket that trickles its body past the request deadline", async () => {
    const { ms, answer } = await trickled("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", "x");
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(ms >= 700 && ms < 4_000, `closed after ${ms} ms`);
  });

  it("keeps an idle keep-alive connection past the headers deadline: pooled callers reuse it", async () => {
    const socket = await silentSocket(port);
    let answers = "";
    socket.on("data", (chunk) => (answers += String(chunk)));
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(1_500);
    assert.ok(!socket.destroyed, "still open after five headers deadlines of idleness");
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => (answers.match(/HTTP\/1\.1 200/g) ?? []).length === 2);
    socket.destroy();
  });

  it("serves a request that arrives in time", async () => {
    assert.equal(await get(port), 200);
  });
});

describe("the default socket cap follows the open-file limit", () => {
  it("keeps a fifth of the descriptors (at least 256) for the process's own connections", () => {
    assert.equal(maxConnectionsFor(20_000), 16_000);
    assert.equal(maxConnectionsFor(1_024), 768);
    assert.equal(maxConnectionsFor(300), 64);
    assert.equal(maxConnectionsFor(10_000_000), 50_000);
    assert.equal(maxConnectionsFor(undefined), 10_000);
  });

  it("reads this process's limit", () => {
    const limit = openFileLimit();
    assert.ok(limit !== undefined && limit > 0, "a Linux process has a readable limit");
    assert.equal(defaultMaxConnections(), maxConnectionsFor(limit));
  });
});

describe("guarded HTTP server: a client that stops reading", () => {
  it("is cut once nothing has moved on its socket for the inactivity deadline", async () => {
    // Answers of 8 MB: more than the kernel's buffers take for a client that reads nothing.
    const server = createGuardedServer({ maxConnections: 100, inactivityTimeoutMs: 500 }, (req, res) => {
      req.resume();
      req.on("end", () => res.end(Buffer.alloc(8 * 1024 * 1024, 120)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const socket = connect({ port, host: "127.0.0.1" });
      socket.on("error", () => {});
      socket.pause();
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const closedAt = new Promise<number>((resolve) => server.on("request", (req) => req.socket.once("close", () => resolve(Date.now()))));
      const sentAt = Date.now();
      socket.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(3));
      const closed = await Promise.race([closedAt, sleep(5_000).then(() => undefined)]);
      assert.ok(closed !== undefined, "the server closed the socket of a client that reads nothing");
      assert.ok(closed! - sentAt < 3_000, `within a few deadlines (${closed! - sentAt} ms)`);
      socket.destroy();
    } finally {
      await closeServer(server);
    }
  });
});

describe("guarded HTTP server: what a client leaves unread", () => {
  /** 512 KB: less than the kernel takes on loopback, so the server is done writing at once. */
  const ANSWER_BYTES = 512 * 1024;

  /** A server answering every request with `answerBytes` bytes; when each request's socket closed. */
  async function answering(guards: Partial<ConnectionGuards> = {}, answerBytes = ANSWER_BYTES) {
    const server = createGuardedServer({ maxConnections: 100, ...guards }, (req, res) => {
      req.resume();
      req.on("end", () => res.end(Buffer.alloc(answerBytes, 120)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const closedAt = new Promise<number>((resolve) => server.on("request", (req) => req.socket.once("close", () => resolve(Date.now()))));
    return { server, port: (server.address() as AddressInfo).port, closedAt };
  }

  /** A client that asks for one answer and reads nothing of it until told to. */
  async function notReading(port: number, headers = "") {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.pause();
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    return {
      /** Reads everything left: the bytes, and the error that ended the socket, if any. */
      read: () =>
        new Promise<{ bytes: number; error?: string }>((resolve) => {
          let bytes = 0;
          let error: string | undefined;
          socket.on("data", (chunk: Buffer) => (bytes += chunk.length));
          socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code));
          socket.once("close", () => resolve({ bytes, error }));
          socket.resume();
        }),
    };
  }

  it("drops an answer its client never reads once the connection the client asked closed has lingered, where it stayed in the kernel after the server let go", async () => {
    // Before, the server forgot the socket as soon as the kernel held the answer: the kernel kept
    // it (FIN-WAIT-1) for as long as the client kept its window shut, outside every socket cap.
    const { server, port, closedAt } = await answering({ closeLingerMs: 300 });
    try {
      const client = await notReading(port, "Connection: close\r\n");
      const closed = await Promise.race([closedAt, sleep(5_000).then(() => undefined)]);
      assert.ok(closed !== undefined, "the server let the socket go");
      await sleep(100);
      // The client's own kernel holds what it took before it stopped reading (128 KB here).
      const { bytes } = await client.read();
      assert.ok(bytes < ANSWER_BYTES, `what was left was dropped: ${bytes} bytes reached the client, the answer has ${ANSWER_BYTES}`);
    } finally {
      await closeServer(server);
    }
  });

  it("drops what a client left unread when its socket is cut at the inactivity deadline", async () => {
    // 8 MB: more than the kernel takes, so the server waits on the client until its deadline.
    const { server, port, closedAt } = await answering({ inactivityTimeoutMs: 300 }, 8 * 1024 * 1024);
    try {
      const client = await notReading(port);
      const closed = await Promise.race([closedAt, sleep(5_000).then(() => undefined)]);
      assert.ok(closed !== undefined, "the server cut the socket");
      await sleep(100);
      // Before, the server's kernel went on holding megabytes of it (4 MB on loopback).
      const { bytes } = await client.read();
      assert.ok(bytes < 1024 * 1024, `what the server's kernel held was dropped: ${bytes} bytes reached the client`);
    } finally {
      await closeServer(server);
    }
  });

  it("delivers the whole answer of a connection its client asked closed to a client that reads it, ending it cleanly", async () => {
    const { server, port } = await answering({ closeLingerMs: 300 });
    try {
      const client = await notReading(port, "Connection: close\r\n");
      const { bytes, error } = await client.read();
      assert.equal(error, undefined);
      assert.ok(bytes > ANSWER_BYTES, `${bytes} bytes read, the answer and its head`);
    } finally {
      await closeServer(server);
    }
  });

  it("does not wait for a lingering socket when the server closes", async () => {
    const { server, port, closedAt } = await answering({ closeLingerMs: 60_000 });
    await notReading(port, "Connection: close\r\n");
    await sleep(200);
    const started = Date.now();
    await closeServer(server);
    await closedAt;
    assert.ok(Date.now() - started < 3_000, `closed in ${Date.now() - started} ms, not after the linger`);
  });

  it("drops an answer a kept-alive client leaves unread once it has taken nothing of it for the stall deadline, where it stayed in the kernel until the keep-alive timeout", async () => {
    // Before, the kernel took the whole answer, Node saw it finished, and the socket waited 65 s
    // for the next request with the answer parked: 64 such sockets of one address held 21.7 MB.
    const { server, port, closedAt } = await answering({ stalledReaderMs: 500 });
    try {
      const client = await notReading(port);
      const closed = await Promise.race([closedAt, giveUpAfter(THREE_LOOKS_MS).then(() => undefined)]);
      assert.ok(closed !== undefined, "the server let the kept-alive socket of a client that reads nothing go");
      const { bytes } = await client.read();
      assert.ok(bytes < ANSWER_BYTES, `what was left was dropped: ${bytes} bytes reached the client, the answer has ${ANSWER_BYTES}`);
    } finally {
      await closeServer(server);
    }
  });

  it("resets a client that never reads an answer larger than the kernel takes, once it has taken nothing for the stall deadline", async () => {
    // 8 MB: the kernel holds 4 MB of it and Node the rest, the write never completing.
    const { server, port, closedAt } = await answering({ stalledReaderMs: 500 }, 8 * 1024 * 1024);
    try {
      const client = await notReading(port);
      const closed = await Promise.race([closedAt, giveUpAfter(THREE_LOOKS_MS).then(() => undefined)]);
      assert.ok(closed !== undefined, "the server cut the socket of a client that reads nothing");
      const { bytes } = await client.read();
      assert.ok(bytes < 1024 * 1024, `what the server's kernel held was dropped: ${bytes} bytes reached the client`);
    } finally {
      await closeServer(server);
    }
  });

  it("resets a client that reads so slowly that it would take more than four stall deadlines to read what the kernel holds for it, though it never stalls", async () => {
    // 4 MB: what the kernel takes for one socket on loopback. Read at 16 KB every 400 ms, it
    // would have taken 100 s, acknowledging something at every look, the kernel holding megabytes
    // all along: slow enough that the verdict comes long before, however far apart the looks.
    const server = createGuardedServer({ maxConnections: 100, stalledReaderMs: 500 }, (req, res) => {
      req.resume();
      req.on("end", () => res.end(Buffer.alloc(4 * 1024 * 1024, 120)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const socket = connect({ port: (server.address() as AddressInfo).port, host: "127.0.0.1" });
    try {
      socket.on("error", () => {});
      socket.pause();
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`);
      let bytes = 0;
      const deadline = Date.now() + THREE_LOOKS_MS;
      while (!socket.destroyed && Date.now() < deadline) {
        await sleep(400);
        const chunk = socket.read(16 * 1024) ?? socket.read();
        if (chunk) bytes += chunk.length;
        // Whatever the client's own kernel held is read once the reset is known.
        if (socket.readableEnded || socket.closed) break;
      }
      assert.ok(socket.destroyed || socket.closed || socket.readableEnded, `the server cut the socket (${bytes} bytes read meanwhile)`);
      assert.ok(bytes < 4 * 1024 * 1024, `what the kernel held was dropped: ${bytes} bytes reached the client`);
    } finally {
      socket.destroy();
      await closeServer(server);
    }
  });

  it("keeps serving a client that reads its answer slowly, past many stall deadlines, then keeps its connection alive", async () => {
    const { server, port } = await answering({ stalledReaderMs: 3_000 });
    const socket = connect({ port, host: "127.0.0.1" });
    try {
      socket.pause();
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`);
      const startedAt = Date.now();
      let bytes = 0;
      let error: string | undefined;
      socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code));
      // 8 KB every 100 ms: the 512 KB answer takes about 6 s, two stall deadlines, and what the
      // kernel holds (the answer less what the client's kernel took) is read within four.
      while (bytes < ANSWER_BYTES && !socket.destroyed) {
        await sleep(100);
        const chunk = socket.read(8 * 1024) ?? socket.read();
        if (chunk) bytes += chunk.length;
      }
      assert.equal(error, undefined);
      assert.ok(bytes >= ANSWER_BYTES, `the whole answer arrived (${bytes} bytes)`);
      assert.ok(Date.now() - startedAt > 4_000, "it was read slowly");
      assert.equal(socket.destroyed, false, "the connection is still open for its next request");
    } finally {
      socket.destroy();
      await closeServer(server);
    }
  });

  it("closes with a kept-alive connection idle after its answer: the idle socket is closed, not left lingering with nothing to keep the close going", async () => {
    // Node's close destroys idle kept-alive sockets while the server still listens; taken for
    // a close that lingers, they held the close open with only an unreferenced timer behind it.
    const { server, port } = await answering({ closeLingerMs: 60_000 });
    const agent = new Agent({ keepAlive: true });
    try {
      const answered = await new Promise<number>((resolve, reject) =>
        httpGet({ port, host: "127.0.0.1", path: "/", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        }).on("error", reject),
      );
      assert.equal(answered, 200);
      const closing = new Promise<string>((resolve) => server.close(() => resolve("closed")));
      assert.equal(await Promise.race([closing, sleep(5_000).then(() => "still open after 5 s")]), "closed");
    } finally {
      agent.destroy();
      server.closeAllConnections();
    }
  });
});

describe("guarded HTTP server: what a WebSocket client leaves unread", () => {
  /** One message of 512 KB: the server's kernel takes it whole on loopback. */
  const PUSHED_BYTES = 512 * 1024;

  /** A server that pushes one large message to each socket, its socket guarded as the gateway guards it. */
  async function pushing(guards: Partial<ConnectionGuards> = {}) {
    const server = createGuardedServer({ maxConnections: 100, ...guards }, (_req, res) => res.end());
    const sockets = new WebSocketServer({ server });
    const closed: Promise<void>[] = [];
    sockets.on("connection", (socket, request) => {
      resetWhenCut(request.socket);
      closed.push(new Promise((resolve) => request.socket.once("close", () => resolve())));
      socket.on("error", () => {});
      socket.send(Buffer.alloc(PUSHED_BYTES, 120));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, sockets, port: (server.address() as AddressInfo).port, closed };
  }

  /** A raw client that opens a WebSocket and reads nothing past the first of what is pushed (so it sees no FIN of the server's, and sends none back). */
  async function notReadingPushes(port: number) {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    // The upgrade's answer and the first of the push, then nothing more is read.
    const first = await new Promise<Buffer>((resolve) => socket.once("data", resolve));
    socket.pause();
    return {
      socket,
      /** Every byte the client got, the upgrade's answer included. */
      read: () =>
        new Promise<number>((resolve) => {
          let bytes = first.length;
          socket.on("data", (chunk: Buffer) => (bytes += chunk.length));
          socket.once("close", () => resolve(bytes));
          socket.resume();
        }),
    };
  }

  it("drops what was pushed to a WebSocket whose client stops reading, once it has taken nothing for the stall deadline", async () => {
    // Before, only the protocol's own keep-alive ping (when it has one) ended such a socket.
    const { server, sockets, port, closed } = await pushing({ stalledReaderMs: 500 });
    const client = await notReadingPushes(port);
    try {
      await until(() => closed.length === 1);
      const cut = await Promise.race([closed[0]!.then(() => true), giveUpAfter(THREE_LOOKS_MS).then(() => false)]);
      assert.ok(cut, "the server cut the socket of a client that reads nothing");
      const bytes = await client.read();
      assert.ok(bytes < PUSHED_BYTES, `what was left was dropped: ${bytes} bytes reached the client, the push has ${PUSHED_BYTES}`);
    } finally {
      client.socket.destroy();
      sockets.close();
      await closeServer(server);
    }
  });

  for (const ending of ["a FIN without the closing handshake", "its close frame, reading no more"] as const) {
    it(`drops what was pushed to a WebSocket whose client sent ${ending}, once its socket has lingered`, async () => {
      // Before, ws ended the socket and Node let go of it once the protocol was over: the
      // kernel kept the unread push (FIN-WAIT-1) for as long as the client kept its window shut,
      // outside every cap.
      const { server, sockets, port, closed } = await pushing({ closeLingerMs: 300, stalledReaderMs: 600_000 });
      const client = await notReadingPushes(port);
      try {
        const held = () => heldForConnection(port, client.socket.localPort!);
        await waitFor("the server's kernel holds what the client has not read", async () => (await held()) > 0);
        // A close frame from a client is masked: a zero key leaves its payload (1000) as it is.
        if (ending === "its close frame, reading no more") client.socket.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
        else client.socket.end();
        await waitFor("the server's kernel holds nothing for the client", async () => (await held()) === 0, { timeoutMs: 20_000, intervalMs: 100 });
        await closed[0];
      } finally {
        client.socket.destroy();
        sockets.close();
        await closeServer(server);
      }
    });
  }
});

/** The JSON error body of a raw answer, whether sent with a length or in chunks. */
function errorsOf(answer: string): { errors: { message: string; extensions: { code: string } }[] } {
  return JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4).replace(/^[0-9a-f]+\r\n([\s\S]*)\r\n0\r\n\r\n$/, "$1"));
}

/** Writes raw bytes on a fresh socket and reads what comes back until the server closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    socket.on("error", () => {});
    socket.on("close", () => resolve(answer));
    socket.write(bytes);
  });
}

describe("guarded HTTP server: requests it cannot read", async () => {
  const { server, port } = await guardedServer({ maxConnections: 100, headersTimeoutMs: 300, requestTimeoutMs: 300 });
  after(() => closeServer(server));

  it("answers every bytes-level refusal with a JSON error and its code, marked nosniff, then closes the socket", async () => {
    const cases: [string, string, number][] = [
      ["a request line that is not HTTP", "HELLO\r\n\r\n", 400],
      ["a garbled chunk size (a body in chunks is refused at its headers)", "POST / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", 411],
      ["Content-Length and Transfer-Encoding together (request smuggling)", "POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400],
      ["two different Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}", 400],
      ["a control character in a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400],
      ["headers over the size limit (a 20 KB token)", `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${"a".repeat(20_000)}\r\n\r\n`, 431],
      ["two thousand Cookie headers", `GET / HTTP/1.1\r\nHost: x\r\n${"Cookie: a=b\r\n".repeat(2_000)}\r\n`, 431],
      ["an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\n\r\n", 400],
      ["headers that never end", "GET / HTTP/1.1\r\nHost: x\r\n", 408],
    ];
    for (const [name, bytes, status] of cases) {
      const answer = await exchange(port, bytes);
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), name);
      assert.match(answer, /\r\nx-content-type-options: nosniff\r\n/i, name);
      const body = errorsOf(answer);
      assert.equal(body.errors[0]!.extensions.code, "BAD_USER_INPUT", name);
      assert.ok(body.errors[0]!.message.length > 20, name);
    }
    // A request that reads is still served on the same server, marked as every answer is.
    assert.equal(await get(port), 200);
    assert.match(await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 200 [\s\S]*\r\nx-content-type-options: nosniff\r\n/i);
  });

  it("refuses a body sent in chunks (Transfer-Encoding) 411 before reading any of it, and closes the socket", async () => {
    let listened = 0;
    server.prependListener("request", () => (listened += 1));
    // Each one-byte chunk was handed to JavaScript on its own: 100 KB sent so took 0.6 s of a
    // gateway's CPU. The chunks never end here: only a refusal at the headers answers at once.
    const oneByteChunks = "1\r\nx\r\n".repeat(5_000);
    for (const [method, path] of [["POST", "/graphql"], ["GET", "/healthz"]]) {
      const answer = await exchange(port, `${method} ${path} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${oneByteChunks}`);
      assert.match(answer, /^HTTP\/1\.1 411 /, `${method} ${path}`);
      const body = errorsOf(answer);
      assert.equal(body.errors[0]!.extensions.code, "BAD_USER_INPUT");
      assert.match(body.errors[0]!.message, /Content-Length/);
    }
    assert.equal(listened, 2);
    // A body with its length is read and answered as before.
    const answer = await exchange(port, "POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
    assert.match(answer, /^HTTP\/1\.1 200 [\s\S]*ok$/);
  });

  it("refuses a body sent in chunks at the health server of a process that serves no HTTP of its own, as at every other", async () => {
    const health = await startHealthServer({ name: "notifications", port: 0, host: "127.0.0.1" });
    try {
      const answer = await exchange(health.port, `GET /healthz HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n${"1\r\nx\r\n".repeat(5_000)}`);
      assert.match(answer, /^HTTP\/1\.1 411 /);
      assert.equal(errorsOf(answer).errors[0]!.extensions.code, "BAD_USER_INPUT");
    } finally {
      await health.close();
    }
  });
});

describe("guarded HTTP server: too many headers", async () => {
  const { server, port } = await guardedServer({ maxConnections: 100 });
  after(() => closeServer(server));
  /** A GET with `count` headers in all (Host and Connection among them). */
  const withHeaders = (count: number) => `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${Array.from({ length: count - 2 }, (_, n) => `x-${n}: 1\r\n`).join("")}\r\n`;

  it("refuses a request with 1,500 tiny distinct headers 431 in JSON saying so, rather than dropping the ones past Node's count", async () => {
    const answer = await exchange(port, withHeaders(1_500));
    assert.match(answer, /^HTTP\/1\.1 431 /);
    const body = errorsOf(answer);
    assert.equal(body.errors[0]!.extensions.code, "BAD_USER_INPUT");
    assert.match(body.errors[0]!.message, /more than 100 headers/);
  });

  it(`serves ${MAX_REQUEST_HEADERS} headers and refuses one more`, async () => {
    assert.match(await exchange(port, withHeaders(MAX_REQUEST_HEADERS)), /^HTTP\/1\.1 200 /);
    assert.match(await exchange(port, withHeaders(MAX_REQUEST_HEADERS + 1)), /^HTTP\/1\.1 431 /);
  });

  it("refuses them at the health server of a process that serves no HTTP of its own, as at every other", async () => {
    const health = await startHealthServer({ name: "notifications", port: 0, host: "127.0.0.1" });
    try {
      const answer = await exchange(health.port, withHeaders(1_500).replace("GET / ", "GET /healthz "));
      assert.match(answer, /^HTTP\/1\.1 431 /);
      assert.equal(errorsOf(answer).errors[0]!.extensions.code, "BAD_USER_INPUT");
      assert.match(await exchange(health.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 200 /);
    } finally {
      await health.close();
    }
  });
});

describe("guarded HTTP server: requests pipelined on one connection", () => {
  /** Sends `count` GETs in one write; resolves with what came back once the socket closes or `responses` have come. */
  function pipelined(port: number, count: number, responses: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ port, host: "127.0.0.1" });
      let answer = "";
      const done = () => {
        socket.destroy();
        resolve(answer);
      };
      socket.on("data", (chunk) => {
        answer += chunk.toString("utf8");
        if ((answer.match(/HTTP\/1\.1 \d{3} /g) ?? []).length >= responses) done();
      });
      socket.on("error", () => {});
      socket.on("close", done);
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count));
    });
  }
  const statusesOf = (answer: string) => [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));

  it("serves them one after another, in order, each once the one before it is answered", async () => {
    let running = 0;
    let mostAtOnce = 0;
    let served = 0;
    const server = createGuardedServer({ maxConnections: 100 }, (_req, res) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      const turn = ++served;
      setTimeout(() => {
        running -= 1;
        res.end(`answer ${turn}`);
      }, 10);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const answer = await pipelined((server.address() as AddressInfo).port, 5, 5);
      assert.deepEqual(statusesOf(answer), [200, 200, 200, 200, 200]);
      assert.deepEqual([...answer.matchAll(/answer (\d)/g)].map((match) => match[1]), ["1", "2", "3", "4", "5"]);
      assert.equal(mostAtOnce, 1);
    } finally {
      await closeServer(server);
    }
  });

  it("cuts off a connection pipelining more than MAX_PIPELINED requests, and charges its network's new-connection budget for it", async () => {
    let served = 0;
    const refused: ConnectionRefusal[] = [];
    // Fewer than one cut-off connection costs: the debt it leaves takes a minute to refill.
    const perMinute = PIPELINE_FLOOD_CONNECTIONS / 2;
    const server = createGuardedServer({ maxConnections: 100, maxConnectionsPerClient: 50, newConnectionsPerMinute: perMinute, onRefused: (reason) => refused.push(reason) }, (_req, res) => {
      served += 1;
      setImmediate(() => res.end("ok"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      // 2,000 tiny requests in one write: all of them were served before, free of any budget.
      const answer = await pipelined(port, 2_000, 2_000);
      assert.ok(statusesOf(answer).length <= MAX_PIPELINED + 1, `${statusesOf(answer).length} answers`);
      assert.ok(served <= MAX_PIPELINED + 1, `${served} served`);
      assert.deepEqual(refused, ["client_pipelining"]);
      assert.notEqual(await get(port), 200, "the network has spent its new connections for a while");
      assert.equal(refused.at(-1), "client_churn");
      assert.equal(await get(port, "127.0.0.2"), 200, "another network is served");
      const polite = await pipelined(port, MAX_PIPELINED, MAX_PIPELINED);
      assert.ok(statusesOf(polite).length === 0 || statusesOf(polite).every((status) => status === 200));
    } finally {
      await closeServer(server);
    }
  });

  it("serves a few pipelined requests from a network with budget left", async () => {
    const server = createGuardedServer({ maxConnections: 100, maxConnectionsPerClient: 50, newConnectionsPerMinute: 1_000 }, (_req, res) => void setImmediate(() => res.end("ok")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const answer = await pipelined((server.address() as AddressInfo).port, MAX_PIPELINED, MAX_PIPELINED);
      assert.deepEqual(statusesOf(answer), Array.from({ length: MAX_PIPELINED }, () => 200));
    } finally {
      await closeServer(server);
    }
  });

  it("serves nothing of what was pipelined behind an answer that closes the connection (a spent budget's 429)", async () => {
    let served = 0;
    const server = createGuardedServer({ maxConnections: 100 }, (_req, res) => {
      served += 1;
      setImmediate(() => res.writeHead(429, { connection: "close", "retry-after": "30" }).end("spent"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const answer = await pipelined((server.address() as AddressInfo).port, 200, 200);
      assert.deepEqual(statusesOf(answer), [429]);
      assert.equal(served, 1);
      // A new connection is served as before.
      assert.equal(await get((server.address() as AddressInfo).port), 429);
      assert.equal(served, 2);
    } finally {
      await closeServer(server);
    }
  });
});
