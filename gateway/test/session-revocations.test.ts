import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, EmbeddedEventBus, EmbeddedKeyValueStore, newEvent, SessionsEndedEventType, Topics, type KeyValueStore } from "#kernel";
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
