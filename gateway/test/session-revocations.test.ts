import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomUUID } from "node:crypto";
import { createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, MARKS_KEPT_SINCE_KEY, newEvent, recordSessionsEnded, SessionsEndedEventType, Topics, sessionKey, userSessionsKey, type KeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { Redis } from "ioredis";
import { describeWithRealEngine, startThrowawayRedis } from "#kernel/testing";
import { createSessionRevocations } from "../src/auth/session-revocations.js";

describe("session revocations at the gateway", () => {
  it("never lets a store read that left before an end undo the end the event told of", async () => {
    const bus = new EmbeddedEventBus();
    const store = new EmbeddedKeyValueStore();
    // The store answers a read only when released: the read leaves before the session ends.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const kv: KeyValueStore = Object.assign(Object.create(store), {
      getMany: async (keys: string[]) => {
        const answer = await store.getMany(keys);
        await held;
        return answer;
      },
    });
    const revocations = createSessionRevocations({ kv, bus, logger: createLogger("silent", {}) });
    await revocations.start();
    try {
      const token = { userId: "usr_1", issuedAt: Math.floor(Date.now() / 1000) - 10, sessionId: "ses_1" };
      const asked = revocations.hasEnded(token);
      // The session ends; the event arrives while the read is out.
      await bus.publish(Topics.sessionsEnded, [newEvent(SessionsEndedEventType, "usr_1", { userId: "usr_1", sessionId: "ses_1", endedBefore: Math.floor(Date.now() / 1000) + 1 })]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      await asked;
      assert.equal(await revocations.hasEnded(token), true, "the end stands after the stale read returns");
    } finally {
      await revocations.stop();
      await bus.close();
      await store.close();
    }
  });
});

describe("session revocations when the store's marker cannot be written", () => {
  it("still refuses an ended session whose mark was read (a read-only store user, a replica)", async () => {
    const store = new EmbeddedKeyValueStore();
    const kv: KeyValueStore = Object.assign(Object.create(store), {
      setIfAbsent: async () => {
        throw new Error("READONLY You can't write against a read only replica");
      },
    });
    const bus = new EmbeddedEventBus();
    try {
      await recordSessionsEnded({ kv: store, bus, maxTokenLifetimeSeconds: 60 }, { userId: "usr_1", sessionId: "ses_1" });
      const revocations = createSessionRevocations({ kv, bus: new EmbeddedEventBus(), logger: createLogger("silent", {}) });
      assert.equal(await revocations.hasEnded({ userId: "usr_1", issuedAt: Math.floor(Date.now() / 1000) - 10, sessionId: "ses_1" }), true);
    } finally {
      await bus.close();
      await store.close();
    }
  });
});

/**
 * A gateway replica that never heard the SessionsEnded event (it missed it, or started after
 * it) still refuses what ended: the marks are in the key-value store all replicas share.
 */
function defineSharedEnds(engine: string, open: () => Promise<KeyValueStore>) {
  describe(`session revocations shared by gateway replicas [${engine}]`, () => {
    it("refuses on a replica that never heard the event a logged-out session and every token from before a reset, and accepts the next log-in's, whatever order ends land in", async () => {
      const kv = await open();
      const accountsBus = new EmbeddedEventBus();
      const replicaBus = new EmbeddedEventBus();
      const replica = createSessionRevocations({ kv, bus: replicaBus, logger: createLogger("silent", {}) });
      await replica.start();
      const [ann, bob, phone] = [`usr_${randomUUID()}`, `usr_${randomUUID()}`, `fam_${randomUUID()}`];
      try {

        const before = Math.floor(Date.now() / 1000) - 5;
        await recordSessionsEnded({ kv, bus: accountsBus, maxTokenLifetimeSeconds: 60 }, { userId: bob, sessionId: phone });
        await recordSessionsEnded({ kv, bus: accountsBus, maxTokenLifetimeSeconds: 60 }, { userId: ann, everySession: true });
        const endedBefore = Number(await kv.get(userSessionsKey(ann)));

        assert.equal(await replica.hasEnded({ userId: bob, issuedAt: before, sessionId: phone }), true, "the logged-out session");
        assert.equal(await replica.hasEnded({ userId: bob, issuedAt: before, sessionId: "fam_bob_laptop" }), false, "another device of the user");
        assert.equal(await replica.hasEnded({ userId: ann, issuedAt: endedBefore - 1, sessionId: "fam_ann_1" }), true, "a token from before the reset");
        assert.equal(await replica.hasEnded({ userId: ann, issuedAt: endedBefore, sessionId: "fam_ann_2" }), false, "the log-in after it");

        // An earlier end of every session landing after a later one (another accounts
        // replica's slow write) leaves the later one standing.
        const clockBehind = () => (endedBefore - 30) * 1000;
        await recordSessionsEnded({ kv, bus: accountsBus, maxTokenLifetimeSeconds: 60 }, { userId: ann, everySession: true }, clockBehind);
        assert.equal(Number(await kv.get(userSessionsKey(ann))), endedBefore);
        const fresh = createSessionRevocations({ kv, bus: replicaBus, logger: createLogger("silent", {}) });
        assert.equal(await fresh.hasEnded({ userId: ann, issuedAt: endedBefore - 1, sessionId: "fam_ann_1" }), true, "a token from before the later end stays refused");
      } finally {
        // Leave a shared server as it was found.
        await kv.delete(sessionKey(phone), userSessionsKey(ann));
        await replica.stop();
        await accountsBus.close();
        await replicaBus.close();
        await kv.close();
      }
    });
  });
}

defineSharedEnds("embedded", async () => new EmbeddedKeyValueStore());
describeWithRealEngine({ suite: "session revocations shared by gateway replicas", engine: "redis", variable: "REDIS_URL" }, (url) =>
  defineSharedEnds("redis", async () => {
    const store = new RedisKeyValueStore(url);
    await store.connect();
    return store;
  }),
);

/**
 * The store comes back empty (a Redis restart without persistence, a FLUSHDB): the marks of
 * ended sessions are gone, and a replica that never heard of an end would let its tokens in.
 */
function defineLostMarks(engine: string, open: () => Promise<{ kv: KeyValueStore; lose(): Promise<void>; close(): Promise<void> }>) {
  describe(`session revocations after the store lost its marks [${engine}]`, () => {
    it("refuses every token issued before the loss until it is renewed, the ended session's among them, and accepts those issued after", async () => {
      const { kv, lose, close } = await open();
      const accountsBus = new EmbeddedEventBus();
      const replicaBus = new EmbeddedEventBus();
      const silent = createLogger("silent", {});
      const replica = createSessionRevocations({ kv, bus: replicaBus, logger: silent });
      await replica.start();
      try {
        const issued = Math.floor(Date.now() / 1000) - 5;
        const [phone, laptop] = [{ userId: "usr_bob", issuedAt: issued, sessionId: "fam_phone" }, { userId: "usr_bob", issuedAt: issued, sessionId: "fam_laptop" }];
        assert.equal(await replica.hasEnded(laptop), false, "a new store refuses nothing");
        await recordSessionsEnded({ kv, bus: accountsBus, maxTokenLifetimeSeconds: 60 }, { userId: "usr_bob", sessionId: "fam_phone" });

        // A replica running since before the loss that never heard of the phone's end.
        const other = createSessionRevocations({ kv, bus: new EmbeddedEventBus(), logger: silent });
        await other.start();
        await lose();
        assert.equal(await other.hasEnded(phone), true, "the logged-out session, its mark lost");
        assert.equal(await other.hasEnded(laptop), true, "a live session's token from before the loss must be renewed");
        const since = Number(await kv.get(MARKS_KEPT_SINCE_KEY));
        assert.ok(since >= issued + 5, "the loss is dated when it was noticed");
        assert.equal(await other.hasEnded({ ...laptop, issuedAt: since }), false, "the renewed token");

        // A replica started after the loss refuses the same tokens.
        const late = createSessionRevocations({ kv, bus: new EmbeddedEventBus(), logger: silent });
        await late.start();
        assert.equal(await late.hasEnded(phone), true);
        assert.equal(await late.hasEnded({ ...laptop, issuedAt: since }), false);
        await late.stop();
        await other.stop();
      } finally {
        await replica.stop();
        await accountsBus.close();
        await replicaBus.close();
        await close();
      }
    });
  });
}

defineLostMarks("embedded", async () => {
  const kv = new EmbeddedKeyValueStore();
  return {
    kv,
    // The embedded store has no flush: its marks and marker deleted stand for a store come back empty.
    lose: () => kv.delete(sessionKey("fam_phone"), userSessionsKey("usr_bob"), MARKS_KEPT_SINCE_KEY),
    close: () => kv.close(),
  };
});
describeWithRealEngine({ suite: "session revocations after the store lost its marks", engine: "redis", variable: "REDIS_URL" }, () =>
  defineLostMarks("redis", async () => {
    // A server of the test's own: the shared one is never flushed.
    const server = await startThrowawayRedis();
    const kv = new RedisKeyValueStore(server.url);
    await kv.connect();
    return {
      kv,
      lose: async () => {
        const admin = new Redis(server.url);
        await admin.flushdb();
        await admin.quit();
      },
      close: async () => {
        await kv.close();
        await server.kill();
      },
    };
  }),
);
