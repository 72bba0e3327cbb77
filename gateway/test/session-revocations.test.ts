import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomUUID } from "node:crypto";
import { createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, newEvent, recordSessionsEnded, SessionsEndedEventType, Topics, sessionKey, userSessionsKey, type KeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine } from "#kernel/testing";
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
