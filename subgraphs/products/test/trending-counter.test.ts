import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { EmbeddedEventBus, EmbeddedKeyValueStore, ProductViewEventTypes, Topics, newEvent, type DomainEvent, type EventBus, type KeyValueStore } from "#kernel";
import { KafkaEventBus, RedisKeyValueStore } from "#kernel/adapters.ts";
import { NamespacedEventBus, describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { startTrendingCounter } from "../src/trending/trending-counter.js";
import { rankingKeys } from "../src/trending/trending-window.js";

interface Engines {
  bus: EventBus;
  kv: KeyValueStore;
  close(): Promise<void>;
}

/**
 * The trending counter's delivery guarantees on one engine pair: members of the group split
 * the views, and a member that dies after counting some views but before its position was
 * committed makes the next owner see them again, which must count each view exactly once.
 */
function defineTrendingCounterSuite(engine: string, open: () => Promise<Engines>, timeoutMs: number) {
  describe(engineSuiteTitle("trending counter", engine), { timeout: 4 * timeoutMs }, () => {
    it("splits views among members, and a member stopped mid-stream without committing neither loses nor double counts a view", async () => {
      const { bus, kv, close } = await open();
      const keyPrefix = `trending-test-${randomUUID()}`;
      const products = Array.from({ length: 12 }, (_, i) => `prod_trend_${i}`);
      const events = Array.from({ length: 120 }, (_, i) => {
        const productId = products[(i * 7) % products.length]!;
        return newEvent(ProductViewEventTypes.viewed, productId, { productId, category: i % 2 === 0 ? "audio" : "books", viewedAt: new Date().toISOString() });
      });
      const expected = new Map<string, number>();
      for (const event of events) expected.set(event.key, (expected.get(event.key) ?? 0) + 1);

      const handledBy = new Map<string, Map<string, boolean>>();
      const observe = (member: string) => (event: DomainEvent, counted: boolean) => {
        const seen = handledBy.get(member) ?? new Map<string, boolean>();
        handledBy.set(member, seen);
        // A later delivery of an event already seen by this member keeps the first answer.
        if (!seen.has(event.id)) seen.set(event.id, counted);
      };

      // The doomed member: its 5th view is written to the store, then it dies before finishing
      // (so before its position is committed), and stays dead: every later delivery fails.
      let applied = 0;
      let crashedEventMark: string | undefined;
      const doomedKv: KeyValueStore = Object.create(kv, {
        incrementScores: {
          value: async (...args: Parameters<KeyValueStore["incrementScores"]>) => {
            if (applied >= 5) throw new Error("member died");
            const result = await kv.incrementScores(...args);
            applied += 1;
            if (applied === 5) {
              crashedEventMark = args[1]?.key;
              throw new Error("member died after writing");
            }
            return result;
          },
        },
      });
      const completedByDoomed = new Set<string>();
      const steady = await startTrendingCounter({ bus, kv, keyPrefix, onHandled: observe("steady") });
      const doomed = await startTrendingCounter({
        bus,
        kv: doomedKv,
        keyPrefix,
        onHandled: (event, counted) => {
          completedByDoomed.add(event.id);
          observe("doomed")(event, counted);
        },
      });
      let late: { stop(): Promise<void> } | undefined;
      try {
        for (let i = 0; i < events.length; i += 20) await bus.publish(Topics.productViewed, events.slice(i, i + 20));
        await waitFor("the doomed member dies after writing a view", () => crashedEventMark !== undefined, { timeoutMs });
        await doomed.stop();
        // A member joining after the death forces a rebalance over the remaining partitions.
        late = await startTrendingCounter({ bus, kv, keyPrefix, onHandled: observe("late") });
        const crashedId = crashedEventMark!.slice(`${keyPrefix}:counted:`.length);
        const handledByLiving = () => new Set([...(handledBy.get("steady")?.keys() ?? []), ...(handledBy.get("late")?.keys() ?? [])]);
        await waitFor(
          "every view is handled by a living member or completed by the doomed one, the crashed one again",
          () => {
            const living = handledByLiving();
            return living.has(crashedId) && events.every((event) => living.has(event.id) || completedByDoomed.has(event.id));
          },
          { timeoutMs },
        );

        assert.ok((handledBy.get("steady")?.size ?? 0) > 0 && completedByDoomed.size > 0, "both members handled views before the death");
        const redelivered = handledBy.get("steady")?.get(crashedId) ?? handledBy.get("late")?.get(crashedId);
        assert.equal(redelivered, false, "the view written before the death was delivered again and found counted");
        const ranking = await kv.topScores(rankingKeys("LAST_HOUR", undefined, Date.now(), keyPrefix), 50);
        assert.deepEqual(
          new Map(ranking.map(({ member, score }) => [member, score])),
          expected,
          "each product's count is exactly its number of views",
        );
        const day = await kv.topScores(rankingKeys("LAST_DAY", undefined, Date.now(), keyPrefix), 50);
        assert.equal(
          day.reduce((sum, { score }) => sum + score, 0),
          events.length,
        );
        const byCategory = await kv.topScores(rankingKeys("LAST_HOUR", ["audio", "books"], Date.now(), keyPrefix), 50);
        assert.equal(
          byCategory.reduce((sum, { score }) => sum + score, 0),
          events.length,
        );
      } finally {
        await late?.stop();
        await steady.stop();
        await doomed.stop();
        await close();
      }
    });

    it("skips a malformed view event instead of holding its partition", async () => {
      const { bus, kv, close } = await open();
      const keyPrefix = `trending-test-${randomUUID()}`;
      const handled: boolean[] = [];
      const counter = await startTrendingCounter({ bus, kv, keyPrefix, onHandled: (_event, counted) => void handled.push(counted) });
      try {
        await bus.publish(Topics.productViewed, [
          newEvent(ProductViewEventTypes.viewed, "k", { productId: "x".repeat(10_000), category: "audio", viewedAt: new Date().toISOString() }),
          newEvent(ProductViewEventTypes.viewed, "k", { productId: "prod_ok", category: "audio", viewedAt: "not a date" }),
          newEvent(ProductViewEventTypes.viewed, "k", { productId: "prod_ok", category: "AUDIO", viewedAt: new Date().toISOString() }),
        ]);
        await waitFor("three events handled", () => handled.length >= 3, { timeoutMs });
        assert.deepEqual(handled, [false, false, true]);
        assert.deepEqual(await kv.topScores(rankingKeys("LAST_HOUR", ["audio"], Date.now(), keyPrefix), 5), [{ member: "prod_ok", score: 1 }]);
      } finally {
        await counter.stop();
        await close();
      }
    });
  });
}

defineTrendingCounterSuite(
  "embedded",
  async () => {
    const bus = new EmbeddedEventBus({ maxBackoffMs: 20 });
    const kv = new EmbeddedKeyValueStore();
    return { bus, kv, close: async () => void (await Promise.all([bus.close(), kv.close()])) };
  },
  10_000,
);

describeWithRealEngine({ suite: "trending counter", engine: "kafka", variable: "KAFKA_BROKERS" }, (brokers) => {
  describeWithRealEngine({ suite: "trending counter", engine: "redis", variable: "REDIS_URL" }, (redisUrl) => {
    defineTrendingCounterSuite(
      "kafka+redis",
      async () => {
        const kafka = new KafkaEventBus({ brokers: brokers.split(",").map((b) => b.trim()), clientId: "trending-test", maxBackoffMs: 50 });
        const kv = new RedisKeyValueStore(redisUrl);
        await kv.connect();
        return { bus: new NamespacedEventBus(kafka, `trending-test-${randomUUID()}`), kv, close: async () => void (await Promise.all([kafka.close(), kv.close()])) };
      },
      60_000,
    );
  });
});
