// A database restart or an unavailable service must not send events to the dead-letter topic:
// only failures that say something about the event count toward it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, DependencyFailed, DomainError, EmbeddedEventBus, ErrorCode, newEvent, withDeadLetter, type DomainEvent } from "#kernel";
import { isTransientInfrastructureError } from "#kernel/errors/transient-error.ts";

const event = (): DomainEvent => newEvent("PaymentConfirmed", "ord_1", { orderId: "ord_1" });

function prismaLike(message: string, code?: string): Error {
  return Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", ...(code && { code }) });
}

const TRANSIENT: [string, unknown][] = [
  ["Prisma: can't reach the server", prismaLike("Can't reach database server at 127.0.0.1:5432", "P1001")],
  ["the pg adapter: server shut down", prismaLike("Database error. Code: `57P01`. Message: `terminating connection due to unexpected postmaster exit`")],
  ["pg: a connection that broke", new Error("Client has encountered a connection error and is not queryable")],
  ["pg: refused, errno only", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
  ["pg: a deadlock, by SQLSTATE", Object.assign(new Error("deadlock detected"), { code: "40P01" })],
  ["a callee answering SERVICE_UNAVAILABLE", new DomainError(ErrorCode.SERVICE_UNAVAILABLE, "A service this operation needs is unavailable; please retry")],
  ["a wrapped cause", new Error("commit failed", { cause: prismaLike("Timed out fetching a new connection from the connection pool", "P2024") })],
];
const ABOUT_THE_EVENT: [string, unknown][] = [
  ["a malformed event", new Error("PaymentConfirmed ev_1 names no order")],
  ["a coded refusal", new DomainError(ErrorCode.NOT_FOUND, "Order ord_1 was not found")],
  ["a constraint violation", Object.assign(new Error("duplicate key"), { code: "23505" })],
  ["a mail server down, said in words only", new Error("connect ECONNREFUSED mail server")],
  ["nothing", undefined],
  // A callee's INTERNAL_SERVER_ERROR (inventory refusing a commit on a CHECK): clients are told
  // SERVICE_UNAVAILABLE, but retrying the event for ever blocked its partition.
  ["a callee's unexpected error", new DependencyFailed()],
  ["a callee's unexpected error, wrapped", new Error("commit failed", { cause: new DependencyFailed() })],
];

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
  const handle = withDeadLetter({ bus, topic: "payments.events", consumer: "orders", logger: createLogger("silent"), maxAttempts: 3 }, async () => {
    throw new Error("PaymentConfirmed names no order");
  });
  const poison = event();
  await assert.rejects(handle(poison));
  await assert.rejects(handle(poison));
  await handle(poison); // the third failure moves it on
  const deadline = Date.now() + 5_000;
  while (dead.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.id, poison.id);
  await bus.close();
});
