// A database restart or an unavailable service must not send events to the dead-letter topic:
// only failures that say something about the event count toward it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLockService, createLogger, DependencyFailed, DomainError, EmbeddedEventBus, EmbeddedKeyValueStore, ErrorCode, metricsRegistry, newEvent, withDeadLetter, type DomainEvent } from "#kernel";
import { parseExposition, total } from "../../test/support/prometheus-scrape.js";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";
import { describeWithRealEngine } from "#kernel/testing";
import { MongoClient, MongoServerError } from "mongodb";
import { GraphQLError } from "graphql";
import kafkajs from "kafkajs";
import { KafkaEventBus } from "../src/events/kafka-event-bus.js";
import { createErrorFormatter } from "#kernel/errors/format-error.ts";

const event = (): DomainEvent => newEvent("PaymentConfirmed", "ord_1", { orderId: "ord_1" });

function prismaLike(message: string, code?: string): Error {
  return Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", ...(code && { code }) });
}

/** A Prisma error from its pg adapter: the server's SQLSTATE kept in `meta`. */
function adapterError(code: string, message: string, cause: { originalCode: string; kind: string }): Error {
  return Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", code, meta: { driverAdapterError: { name: "DriverAdapterError", cause } } });
}

const TRANSIENT: [string, unknown][] = [
  ["Prisma: can't reach the server", prismaLike("Can't reach database server at 127.0.0.1:5432", "P1001")],
  ["the pg adapter: server shut down", prismaLike("Database error. Code: `57P01`. Message: `terminating connection due to unexpected postmaster exit`")],
  ["pg: a connection that broke", new Error("Client has encountered a connection error and is not queryable")],
  ["pg: refused, errno only", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
  ["pg: a deadlock, by SQLSTATE", Object.assign(new Error("deadlock detected"), { code: "40P01" })],
  ["a callee answering SERVICE_UNAVAILABLE", new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry")],
  ["a wrapped cause", new Error("commit failed", { cause: prismaLike("Timed out fetching a new connection from the connection pool", "P2024") })],
  // The pool's bounds (DATABASE_BOUNDS): the statement wrote nothing and may pass a moment later.
  ["pg-pool: no pooled connection in time", new Error("timeout exceeded when trying to connect")],
  ["pg: no new connection in time", new Error("Connection terminated due to connection timeout")],
  ["pg: no answer in time", new Error("Query read timeout")],
  ["pg: a statement cancelled at its timeout", Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })],
  ["the pg adapter: a statement cancelled at its timeout", prismaLike("Database error. Code: `57014`. Message: `canceling statement due to statement timeout`")],
  ["pg: a transaction ended idle", Object.assign(new Error("terminating connection due to idle-in-transaction timeout"), { code: "25P03" })],
  ["a raw statement whose connection timed out", prismaLike("Invalid `prisma.$queryRaw()` invocation:\n\nRaw query failed. Code: `N/A`. Message: `Operation has timed out`", "P2010")],
  // A lock not had within an operator's lock_timeout, and a server out of a resource (class 53),
  // as pg, a raw statement and a model query report them (shapes taken from PostgreSQL 18).
  ["pg: a lock not had within lock_timeout", Object.assign(new Error("canceling statement due to lock timeout"), { code: "55P03" })],
  ["a raw statement: a lock not had within lock_timeout", prismaLike("Invalid `prisma.$executeRaw()` invocation:\n\nRaw query failed. Code: `55P03`. Message: `canceling statement due to lock timeout`", "P2010")],
  ["pg: a full disk", Object.assign(new Error("could not extend file: No space left on device"), { code: "53100" })],
  ["pg: out of memory", Object.assign(new Error("out of memory"), { code: "53200" })],
  ["a model query on a full disk", adapterError("P2039", "Database error. Code: `53100`. Message: `could not extend file: No space left on device`", { originalCode: "53100", kind: "postgres" })],
  // Prisma words these without the SQLSTATE: only its code and the adapter's cause say it.
  ["a model query in a deadlock", adapterError("P2034", "Transaction failed due to a write conflict or a deadlock. Please retry your transaction", { originalCode: "40P01", kind: "TransactionWriteConflict" })],
  ["every connection slot taken", adapterError("P2037", "Too many database connections opened: too many connections for role \"app\"", { originalCode: "53300", kind: "TooManyConnections" })],
  ["MariaDB: a lock waited for past innodb_lock_wait_timeout", adapterError("P2010", "Raw query failed. Code: `1205`. Message: `Lock wait timeout exceeded; try restarting transaction`", { originalCode: "1205", kind: "mysql" })],
  ["MariaDB: a full table", adapterError("P2039", "Database error. Code: `1114`.", { originalCode: "1114", kind: "mysql" })],
  ["an adapter's SQLSTATE alone", adapterError("P2039", "Database error.", { originalCode: "55P03", kind: "postgres" })],
  ["MongoDB shutting down", new MongoServerError({ code: 91, errmsg: "The server is in quiesce mode and will shut down" })],
  ["MongoDB primary stepped down", new MongoServerError({ code: 189, errmsg: "PrimarySteppedDown" })],
  ["Kafka: a request timed out", new kafkajs.KafkaJSRequestTimeoutError("Request Metadata(key: 3, version: 6) timed out")],
  ["Kafka: retries used up on a request timeout", new kafkajs.KafkaJSNumberOfRetriesExceeded(new kafkajs.KafkaJSRequestTimeoutError("Request Fetch(key: 1, version: 11) timed out"), { retryCount: 5, retryTime: 1000 })],
  ["Kafka: no leader yet", new kafkajs.KafkaJSProtocolError({ message: "There is no leader for this topic-partition", type: "LEADER_NOT_AVAILABLE", code: 5, retriable: true } as unknown as Error)],
];
const ABOUT_THE_EVENT: [string, unknown][] = [
  ["a malformed event", new Error("PaymentConfirmed ev_1 names no order")],
  ["a coded refusal", new DomainError(ErrorCode.NOT_FOUND, "Order ord_1 was not found")],
  ["a constraint violation", Object.assign(new Error("duplicate key"), { code: "23505" })],
  ["MariaDB: a duplicate key", adapterError("P2002", "Unique constraint failed", { originalCode: "1062", kind: "UniqueConstraintViolation" })],
  ["MariaDB: a value too long", adapterError("P2000", "The provided value for the column is too long", { originalCode: "1406", kind: "LengthMismatch" })],
  ["a model query refused by a constraint", adapterError("P2002", "Unique constraint failed on the fields: (`id`)", { originalCode: "23505", kind: "UniqueConstraintViolation" })],
  ["a mail server down, said in words only", new Error("connect ECONNREFUSED mail server")],
  ["nothing", undefined],
  ["a raw statement refused by a constraint", prismaLike("Invalid `prisma.$queryRaw()` invocation:\n\nRaw query failed. Code: `23514`. Message: `new row violates check constraint`", "P2010")],
  ["MongoDB: a duplicate key", new MongoServerError({ code: 11000, errmsg: "E11000 duplicate key error collection: storefront.products" })],
  ["MongoDB: a document refused by validation", new MongoServerError({ code: 121, errmsg: "Document failed validation" })],
  ["Kafka: an event too large for the broker", new kafkajs.KafkaJSProtocolError({ message: "The request included a message larger than the max message size the server will accept", type: "MESSAGE_TOO_LARGE", code: 10, retriable: false } as unknown as Error)],
  // A callee's INTERNAL_SERVER_ERROR (inventory refusing a commit on a CHECK): clients are told
  // SERVICE_UNAVAILABLE, but retrying the event for ever blocked its partition.
  ["a callee's unexpected error", new DependencyFailed()],
  ["a callee's unexpected error, wrapped", new Error("commit failed", { cause: new DependencyFailed() })],
];

/** What the lock service throws when another holder keeps a lock past this call's wait. */
async function lockHeldPastTheWait(): Promise<unknown> {
  const locks = createLockService(new EmbeddedKeyValueStore());
  let release!: () => void;
  const holding = locks.withLock("listing:PRICE|*", () => new Promise<void>((resolve) => (release = resolve)));
  const refused = await locks.withLock("listing:PRICE|*", async () => undefined, { waitMs: 20 }).then(
    () => assert.fail("the lock was free"),
    (error: unknown) => error,
  );
  release();
  await holding;
  return refused;
}

test("a lock another holder keeps past the wait is a failure waiting mends: a client is told CONFLICT, an event is retried and never dead-lettered", async () => {
  const busy = await lockHeldPastTheWait();
  assert.equal((busy as DomainError).extensions.code, "CONFLICT");
  assert.equal(isTransientInfrastructureError(busy), true);
  const bus = new EmbeddedEventBus();
  const dead: DomainEvent[] = [];
  await bus.subscribe({ topic: "inventory.stock-changed.dead-letter", group: "watch", handle: async (e) => void dead.push(e) });
  let refusals = 6;
  let applied = 0;
  const handle = withDeadLetter({ bus, topic: "inventory.stock-changed", consumer: "products-stock-flags", logger: createLogger("silent"), maxAttempts: 3 }, async () => {
    if (refusals-- > 0) throw busy;
    applied += 1;
  });
  const stockChanged = newEvent("StockChanged", "prod_1", { productId: "prod_1", available: 5, delta: 5 });
  for (let attempt = 0; attempt < 6; attempt++) await assert.rejects(handle(stockChanged));
  await handle(stockChanged);
  assert.equal(applied, 1);
  assert.deepEqual(dead, []);
});

test("infrastructure failures are told apart from failures about the event", () => {
  for (const [name, error] of TRANSIENT) assert.equal(isTransientInfrastructureError(error), true, name);
  for (const [name, error] of ABOUT_THE_EVENT) assert.equal(isTransientInfrastructureError(error), false, name);
});

test("an event whose handler meets a restarting database is retried past the attempt budget, never dead-lettered, and applied once it is back", async () => {
  const bus = new EmbeddedEventBus();
  const dead: DomainEvent[] = [];
  await bus.subscribe({ topic: "payments.events.dead-letter", group: "watch", handle: async (e) => void dead.push(e) });
  let down = true;
  let applied = 0;
  const handle = withDeadLetter({ bus, topic: "payments.events", consumer: "orders", logger: createLogger("silent"), maxAttempts: 3 }, async () => {
    if (down) throw prismaLike("Can't reach database server at 127.0.0.1:5432", "P1001");
    applied += 1;
  });
  const confirmed = event();
  for (let attempt = 0; attempt < 20; attempt++) await assert.rejects(handle(confirmed), /reach database server/);
  down = false;
  await handle(confirmed);
  assert.equal(applied, 1);
  assert.equal(dead.length, 0);
  await bus.close();
});

test("an event its handler refuses for itself still goes to the dead-letter topic after the attempt budget", async () => {
  const bus = new EmbeddedEventBus();
  const dead: DomainEvent[] = [];
  await bus.subscribe({ topic: "payments.events.dead-letter", group: "watch", handle: async (e) => void dead.push(e) });
  const counted = async () => total(parseExposition(await metricsRegistry.metrics()), "storefront_events_dead_lettered_total", { topic: "payments.events", consumer: "poison-test" });
  const handle = withDeadLetter({ bus, topic: "payments.events", consumer: "poison-test", logger: createLogger("silent"), maxAttempts: 3 }, async () => {
    throw new Error("PaymentConfirmed names no order");
  });
  assert.equal(await counted(), 0, "exported at zero from the consumer's start");
  const poison = event();
  await assert.rejects(handle(poison));
  await assert.rejects(handle(poison));
  await handle(poison); // the third failure moves it on
  const deadline = Date.now() + 5_000;
  while (dead.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.id, poison.id);
  assert.equal(await counted(), 1, "counted for the alert");
  await bus.close();
});

/** The error a real client of each engine throws when the engine is down, hung or recovering. */
async function realEngineFailures(): Promise<{ transient: [string, unknown][]; aboutTheRequest: [string, unknown][] }> {
  const { Client: Elasticsearch } = await import("@elastic/elasticsearch");
  const { Client: OpenSearch } = await import("@opensearch-project/opensearch");
  const { Redis } = await import("ioredis");
  const { createServer: tcpServer } = await import("node:net");
  const { createServer: httpServer } = await import("node:http");
  const caught = (promise: Promise<unknown>) => promise.then(() => assert.fail("expected a failure"), (error: unknown) => error);
  const listening = async <T extends import("node:net").Server>(server: T) => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as import("node:net").AddressInfo).port;
  };
  // A port nothing listens on: taken, then given back.
  const freed = tcpServer();
  const closed = await listening(freed);
  await new Promise((resolve) => freed.close(resolve));
  const held = new Set<import("node:net").Socket>();
  const hole = tcpServer((socket) => void held.add(socket));
  const holePort = await listening(hole);
  const answering = (status: number) => httpServer((_req, res) => res.writeHead(status, { "content-type": "application/json" }).end(`{"error":{"type":"search_phase_execution_exception"},"status":${status}}`));
  const recovering = answering(503);
  const refusing = answering(400);
  const [recoveringPort, refusingPort] = [await listening(recovering), await listening(refusing)];
  const clients: { close(): Promise<unknown> }[] = [];
  const search = (Client: typeof Elasticsearch | typeof OpenSearch, port: number) => {
    const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0, requestTimeout: 300 });
    clients.push(client);
    // Both clients take the same search request; their overloads differ only in callbacks.
    return caught((client.search as (params: { index: string }) => Promise<unknown>)({ index: "products" }));
  };
  const redisDown = new Redis({ port: closed, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 1_000 });
  redisDown.on("error", () => {});
  const redisHung = new Redis({ port: holePort, maxRetriesPerRequest: 0, commandTimeout: 300 });
  redisHung.on("error", () => {});
  const kafka = (port: number) => {
    const bus = new KafkaEventBus({ brokers: [`127.0.0.1:${port}`], clientId: "transient-probe", publishTimeoutMs: 600 });
    clients.push(bus);
    return caught(bus.publish("orders.events", [event()]));
  };
  const mongo = (port: number) => {
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/storefront`, { serverSelectionTimeoutMS: 400, connectTimeoutMS: 300 });
    clients.push(client);
    return caught(client.db().collection("products").findOne({ _id: "prod_1" as never }));
  };
  try {
    return {
      transient: [
        ["Elasticsearch unreachable", await search(Elasticsearch, closed)],
        ["OpenSearch unreachable", await search(OpenSearch, closed)],
        ["Elasticsearch not answering", await search(Elasticsearch, holePort)],
        ["OpenSearch not answering", await search(OpenSearch, holePort)],
        ["OpenSearch recovering (503)", await search(OpenSearch, recoveringPort)],
        ["Elasticsearch recovering (503)", await search(Elasticsearch, recoveringPort)],
        ["Redis unreachable", await caught(redisDown.get("stock:p1"))],
        ["Redis not answering", await caught(redisHung.get("stock:p1"))],
        ["MongoDB unreachable", await mongo(closed)],
        ["MongoDB not answering", await mongo(holePort)],
        ["Kafka unreachable", await kafka(closed)],
        ["Kafka not answering (the publish deadline)", await kafka(holePort)],
      ],
      aboutTheRequest: [
        ["OpenSearch refusing the query (400)", await search(OpenSearch, refusingPort)],
        ["an AbortSignal's timeout (a callee that did not answer)", await caught(fetch(`http://127.0.0.1:${holePort}/`, { signal: AbortSignal.timeout(200) }))],
      ],
    };
  } finally {
    redisDown.disconnect();
    redisHung.disconnect();
    await Promise.all(clients.map((client) => client.close()));
    for (const socket of held) socket.destroy();
    for (const server of [recovering, refusing]) server.closeAllConnections();
    for (const server of [hole, recovering, refusing]) server.close();
  }
}

test("the search cluster, MongoDB, Redis and Kafka down, hung or recovering are infrastructure failures, as real clients report them", async () => {
  const { transient, aboutTheRequest } = await realEngineFailures();
  for (const [name, error] of transient) assert.equal(isTransientInfrastructureError(error), true, `${name}: ${String(error)}`);
  for (const [name, error] of aboutTheRequest) assert.equal(isTransientInfrastructureError(error), false, `${name}: ${String(error)}`);
});

// A FerretDB or MongoDB restart while the products subgraph served: its listing answered
// INTERNAL_SERVER_ERROR ("connection 11 to 127.0.0.1:27017 closed"), and the popularity consumer
// dead-lettered a paid order's OrderStatusChanged, so that sale never counted.
describeWithRealEngine({ suite: "MongoDB closing a connection under an operation", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  test("is an infrastructure failure: clients are told SERVICE_UNAVAILABLE, events are retried, never dead-lettered", async () => {
    const { createServer, connect } = await import("node:net");
    const engine = new URL(url);
    const sockets = new Set<import("node:net").Socket>();
    // A proxy in front of the engine that closes its connections as an engine shutting down does
    // (FIN, no errno; the kernel's cuttable proxy resets them, which an errno already told).
    const proxy = createServer((client) => {
      const upstream = connect(Number(engine.port || 27017), engine.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as import("node:net").AddressInfo).port;
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/storefront`, { serverSelectionTimeoutMS: 2_000, retryReads: false, retryWrites: false, maxPoolSize: 1 });
    try {
      const products = client.db().collection("dead_letter_transient_probe");
      await products.findOne({});
      for (const socket of sockets) socket.destroy();
      const cut = await products.findOne({}).then(() => assert.fail("the cut connection answered"), (error: unknown) => error);
      assert.equal(isTransientInfrastructureError(cut), true, String(cut));
      const wrapped = new GraphQLError(String(cut), { originalError: cut as Error });
      assert.equal(createErrorFormatter(createLogger("silent"))(wrapped.toJSON(), wrapped).extensions?.code, "SERVICE_UNAVAILABLE");
      const bus = new EmbeddedEventBus();
      const dead: DomainEvent[] = [];
      await bus.subscribe({ topic: "orders.status-changed.dead-letter", group: "watch", handle: async (e) => void dead.push(e) });
      const handle = withDeadLetter({ bus, topic: "orders.status-changed", consumer: "products-popularity", logger: createLogger("silent"), maxAttempts: 3 }, async () => {
        throw cut;
      });
      const paid = newEvent("OrderStatusChanged", "ord_1", { orderId: "ord_1", to: "PAID" });
      for (let attempt = 0; attempt < 6; attempt++) await assert.rejects(handle(paid));
      await bus.close();
      assert.deepEqual(dead, []);
    } finally {
      await client.close();
      for (const socket of sockets) socket.destroy();
      proxy.close();
    }
  });
});
