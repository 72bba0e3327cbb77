// A gateway that missed a SessionsEnded event (its consumer restarting, a partition) still
// ends the session's sockets: each is asked again from the same cached lookup HTTP uses, on a
// timer and at every subscribe message.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { parse, type OperationDefinitionNode } from "graphql";
import { createLogger, EmbeddedKeyValueStore, issueAccessToken, recordSessionsEnded, type EventBus, type Identity } from "#kernel";
import { attachGraphQLWebSocket } from "../src/subscriptions/graphql-websocket.js";
import { createSessionRevocations } from "../src/auth/session-revocations.js";
import type { RequestPolicy } from "../src/security/request-policy.js";
import type { OrderStatusFeed } from "../src/subscriptions/order-status-feed.js";
import { RawGraphQLSocket } from "../../test/support/raw-graphql-websocket.js";
import { unsignedTokenVerifier } from "./support/unsigned-token-verifier.js";

const AUTH = { secret: "websocket-session-recheck-secret", issuer: "test" };
const ME = { query: "{ me { id } }" };

/** A bus that delivers nothing: the gateway never hears SessionsEnded. */
const deafBus: EventBus = {
  engine: "deaf",
  publish: async () => undefined,
  subscribe: async () => ({ stop: async () => undefined }),
  close: async () => undefined,
};

async function gatewaySockets(recheckSessionsEveryMs: number) {
  let clock = Date.now();
  const kv = new EmbeddedKeyValueStore();
  const reads = { count: 0 };
  const counted = Object.assign(Object.create(kv) as EmbeddedKeyValueStore, {
    getMany: (keys: string[]) => {
      reads.count++;
      return kv.getMany(keys);
    },
  });
  const revocations = createSessionRevocations({ kv: counted, bus: deafBus, logger: createLogger("silent"), now: () => clock });
  await revocations.start();
  const executed: string[] = [];
  const httpServer: Server = createServer();
  // Tokens are taken as signed: what is judged here is not the signature.
  const verify = unsignedTokenVerifier();
  const policy = {
    admit: async ([payload]: { query: string }[]) => {
      const document = parse(payload!.query);
      return [{ query: payload!.query, document, operation: document.definitions[0] as OperationDefinitionNode, variables: {}, measure: {} }];
    },
  } as unknown as RequestPolicy;
  const sockets = attachGraphQLWebSocket({
    httpServer,
    path: "/graphql",
    policy,
    limits: { maxConnections: 100, maxConnectionsPerClient: 100, maxOperationsPerConnection: 10, maxSubscriptionsPerUser: 10, maxLiveSubscriptionBytes: 10_000_000, maxMessagesPerSecond: 100, maxBufferedBytes: 1_000_000 },
    maxMessageBytes: 100_000,
    clientAddress: () => "127.0.0.1",
    openingBudget: async () => ({ allowed: true, retryAfterSeconds: 0 }),
    verify,
    revocations,
    recheckSessionsEveryMs,
    feed: { listen: () => () => undefined } as unknown as OrderStatusFeed,
    execute: async (_request, context) => {
      executed.push(context.identity?.userId ?? "anonymous");
      return { data: { me: { id: context.identity?.userId } } };
    },
    logger: createLogger("silent"),
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`;
  return {
    url,
    executed,
    reads,
    /** A signed-in socket of this user's session. */
    async signIn(userId: string, sessionId: string) {
      const identity = { userId, roles: ["customer"], sessionId } as Identity;
      return RawGraphQLSocket.connect(url, await issueAccessToken(AUTH, identity));
    },
    /** Ends the session as accounts does, the event lost on the way to this gateway. */
    async logOut(userId: string, sessionId: string) {
      await recordSessionsEnded({ kv, bus: deafBus, maxTokenLifetimeSeconds: 3_600 }, { userId, sessionId });
    },
    /** Lets what this gateway remembers of sessions grow stale (REMEMBER_MS is 5 s). */
    forgetCachedSessions: () => (clock += 5_001),
    async close() {
      await sockets.close();
      await revocations.stop();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

describe("sockets of a session ended while this gateway missed the event", () => {
  let gateway: Awaited<ReturnType<typeof gatewaySockets>> | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it("are closed 4401 at the next recheck once the cached lookup is refreshed, while another session's socket stays open", async () => {
    gateway = await gatewaySockets(50);
    const laptop = await gateway.signIn("u-recheck", "s-laptop");
    const phone = await gateway.signIn("u-recheck", "s-phone");
    laptop.subscribe("before", ME);
    assert.equal((await laptop.result("before")).next.length, 1);

    await gateway.logOut("u-recheck", "s-laptop");
    gateway.forgetCachedSessions();
    const closed = await laptop.closedWith(2_000);
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /session has ended/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(phone.closed, undefined, "the phone's session goes on");
    phone.close();
  });

  it("refuse a subscribe message and close, whatever the timer has not yet done", async () => {
    gateway = await gatewaySockets(60_000);
    const laptop = await gateway.signIn("u-subscribe", "s-laptop");
    await gateway.logOut("u-subscribe", "s-laptop");
    gateway.forgetCachedSessions();

    laptop.subscribe("after", ME);
    const closed = await laptop.closedWith(2_000);
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /session has ended/);
    assert.equal(laptop.messages.find((m) => m.id === "after" && m.type === "next"), undefined);
    assert.deepEqual(gateway.executed, [], "nothing ran as the ended session");
  });

  it("cost one store read per session and refresh, however many of its sockets are rechecked", async () => {
    gateway = await gatewaySockets(20);
    const sockets = await Promise.all(Array.from({ length: 10 }, () => gateway!.signIn("u-cost", "s-one")));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(gateway.reads.count, 1, "ten sockets, ~15 ticks, the cache still fresh: one read");
    gateway.forgetCachedSessions();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(gateway.reads.count - 1, 1, "stale, the ten asked in one tick: one more read for all of them");
    for (const socket of sockets) {
      assert.equal(socket.closed, undefined);
      socket.close();
    }
  });
});
